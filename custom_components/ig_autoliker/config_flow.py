# Copyright (C) 2026 the ig_autoliker authors. SPDX-License-Identifier: MIT
"""Config flow of the Instagram Auto-Liker: add, reauthenticate, reconfigure an account.

The account flow logs in before it creates or updates an entry (test before
configure). Instagram may ask for a two-factor code or a checkpoint ("challenge") on
the way; both continue on the same `InstagramClient` instance, because Instagram ties
the pending login to the device and cookies of the first attempt.

Every `InstagramClient` call is blocking and runs in the executor. Nothing here ever
logs the password or the session. The options flow lives in `options_flow.py`, the
target subentry flow in `target_flow.py`.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any, Final, override

from homeassistant.config_entries import (
    SOURCE_REAUTH,
    SOURCE_USER,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
)
from homeassistant.const import CONF_CODE, CONF_METHOD, CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.selector import (
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from .compat import vol
from .const import CONF_SESSION, DOMAIN, SUBENTRY_TYPE_TARGET
from .engine.client import InstagramClient
from .engine.exceptions import ChallengeRequired, TwoFactorRequired
from .engine.models import Account, ChallengeMethod
from .issues import native_challenge_pending
from .options_flow import IgAutolikerOptionsFlow
from .signin import (
    USERNAME_SELECTOR,
    challenge_schema,
    fresh_adapter,
    login_error,
    normalize_code,
    normalize_username,
)
from .store import IgAutolikerStore
from .target_flow import TargetSubentryFlow

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from .coordinator import IgAutolikerConfigEntry

STEP_TWO_FACTOR: Final = "two_factor"
STEP_CHALLENGE: Final = "challenge"
STEP_CHALLENGE_CODE: Final = "challenge_code"
STEP_CHALLENGE_APP: Final = "challenge_app"

type _SignedIn = tuple[Account, dict[str, Any]]

_PASSWORD_SELECTOR = TextSelector(
    TextSelectorConfig(type=TextSelectorType.PASSWORD, autocomplete="current-password")
)
CREDENTIALS_SCHEMA: Final = vol.Schema(
    {
        vol.Required(CONF_USERNAME): USERNAME_SELECTOR,
        vol.Required(CONF_PASSWORD): _PASSWORD_SELECTOR,
    }
)
REAUTH_SCHEMA: Final = vol.Schema({vol.Required(CONF_PASSWORD): _PASSWORD_SELECTOR})
CODE_SCHEMA: Final = vol.Schema(
    {
        vol.Required(CONF_CODE): TextSelector(
            TextSelectorConfig(type=TextSelectorType.TEXT, autocomplete="one-time-code")
        )
    }
)


async def _async_saved_adapter(
    hass: HomeAssistant, entry: IgAutolikerConfigEntry
) -> InstagramClient:
    """Return an adapter with the entry's credentials and session as saved now."""
    session: dict[str, Any] | None
    if entry.state is ConfigEntryState.LOADED:
        session = await hass.async_add_executor_job(
            entry.runtime_data.engine.client.export_session
        )
    else:
        session = (
            await IgAutolikerStore(hass, entry.entry_id).async_load_data()
        ).session
    return await hass.async_add_executor_job(
        InstagramClient, entry.data[CONF_USERNAME], entry.data[CONF_PASSWORD], session
    )


class IgAutolikerConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add, reauthenticate and reconfigure an Instagram account."""

    VERSION = 1
    MINOR_VERSION = 1

    def __init__(self) -> None:
        """Start without an adapter; the first login attempt creates it."""
        self._api: InstagramClient | None = None
        self._username = ""
        self._password = ""
        self._methods: tuple[ChallengeMethod, ...] = ()
        #: Placeholders the form errors name (the instagrapi version).
        self._placeholders: dict[str, str] = {}

    @staticmethod
    @callback
    @override
    def async_get_options_flow(
        config_entry: IgAutolikerConfigEntry,
    ) -> IgAutolikerOptionsFlow:
        """Return the options flow (pacing and limits)."""
        return IgAutolikerOptionsFlow()

    @classmethod
    @callback
    @override
    def async_get_supported_subentry_types(
        cls, config_entry: IgAutolikerConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Return the subentry flows: the accounts whose stories and posts are liked."""
        return {SUBENTRY_TYPE_TARGET: TargetSubentryFlow}

    # ------------------------------------------------------------ entry points --

    @override
    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the credentials of a new account and log in."""
        return await self._async_step_credentials(SOURCE_USER, user_input)

    async def async_step_reauth(
        self, _entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """Start a reauthentication when Instagram refused the saved login.

        A checkpoint the user confirms in the Instagram app needs no password: the
        flow logs in again with the saved device and session once they confirmed.
        """
        entry = self._get_reauth_entry()
        if native_challenge_pending(self.hass, entry.entry_id):
            self._username = entry.data[CONF_USERNAME]
            self._password = entry.data[CONF_PASSWORD]
            self._api = await _async_saved_adapter(self.hass, entry)
            return await self.async_step_challenge_app()
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the password again and log in afresh."""
        username = self._get_reauth_entry().data[CONF_USERNAME]
        errors: dict[str, str] = {}
        if user_input is not None:
            result = await self._async_try_credentials(
                username, user_input[CONF_PASSWORD]
            )
            if not isinstance(result, str):
                return result
            errors["base"] = result
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=REAUTH_SCHEMA,
            errors=errors,
            description_placeholders={**self._placeholders, CONF_USERNAME: username},
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change username and password of the same Instagram account."""
        return await self._async_step_credentials("reconfigure", user_input)

    async def _async_step_credentials(
        self, step_id: str, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        """Show the username/password form of `user` or `reconfigure`, then log in."""
        errors: dict[str, str] = {}
        if user_input is not None:
            username = normalize_username(user_input[CONF_USERNAME])
            if self.source == SOURCE_USER:
                # Saves a login (a new device on the account) when it is known already.
                self._async_abort_entries_match({CONF_USERNAME: username})
            result = await self._async_try_credentials(
                username, user_input[CONF_PASSWORD]
            )
            if not isinstance(result, str):
                return result
            errors["base"] = result
            suggested: Mapping[str, Any] = {CONF_USERNAME: username}
        elif self.source == SOURCE_USER:
            suggested = {}
        else:
            suggested = {
                CONF_USERNAME: self._get_reconfigure_entry().data[CONF_USERNAME]
            }
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(
                CREDENTIALS_SCHEMA, suggested
            ),
            errors=errors,
            description_placeholders=dict(self._placeholders),
        )

    # ------------------------------------------------------- continued login --

    async def async_step_two_factor(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Finish the login with the two-factor code."""
        if TYPE_CHECKING:
            assert self._api is not None
        login = self._api.login
        return await self._async_step_code(
            STEP_TWO_FACTOR,
            user_input,
            lambda code: partial(login, verification_code=code),
            solving=False,
        )

    async def async_step_challenge(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Let the user pick where Instagram sends the checkpoint code."""
        if user_input is None:
            return self._async_show_challenge_form()
        return await self._async_send_challenge_code(
            ChallengeMethod(user_input[CONF_METHOD])
        )

    async def async_step_challenge_code(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Submit the checkpoint code Instagram sent."""
        if TYPE_CHECKING:
            assert self._api is not None
        submit = self._api.challenge_submit_code
        return await self._async_step_code(
            STEP_CHALLENGE_CODE,
            user_input,
            lambda code: partial(submit, code),
            solving=True,
        )

    async def async_step_challenge_app(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask the user to confirm the login in the Instagram app, then log in again.

        The retry uses the same adapter, so Instagram sees the device and session
        it asked about (`native_flow` checkpoints).
        """
        errors: dict[str, str] = {}
        if user_input is not None:
            if TYPE_CHECKING:
                assert self._api is not None
            result = await self._async_attempt(
                self._api.login, solving=True, unconfirmed="challenge_not_confirmed"
            )
            if not isinstance(result, str):
                return result
            errors["base"] = result
        return self.async_show_form(
            step_id=STEP_CHALLENGE_APP,
            data_schema=vol.Schema({}),
            errors=errors,
            description_placeholders=self._form_placeholders(),
        )

    def _form_placeholders(self, **extra: str) -> dict[str, str]:
        """Return the username, the placeholders the errors name, and `extra`."""
        return {CONF_USERNAME: self._username, **self._placeholders, **extra}

    async def _async_step_code(
        self,
        step_id: str,
        user_input: dict[str, Any] | None,
        make_job: Callable[[str], Callable[[], Account]],
        *,
        solving: bool,
    ) -> ConfigFlowResult:
        """Ask for a code; a well-formed one runs `make_job(code)` in the executor."""
        errors: dict[str, str] = {}
        if user_input is not None:
            if (code := normalize_code(user_input[CONF_CODE])) is None:
                errors["base"] = "invalid_code"
            else:
                result = await self._async_attempt(make_job(code), solving=solving)
                if not isinstance(result, str):
                    return result
                errors["base"] = result
        return self.async_show_form(
            step_id=step_id,
            data_schema=CODE_SCHEMA,
            errors=errors,
            description_placeholders=self._form_placeholders(),
        )

    # --------------------------------------------------------------- helpers --

    async def _async_try_credentials(
        self, username: str, password: str
    ) -> ConfigFlowResult | str:
        """Log in with a fresh adapter; return the next result or a form error key."""
        if not username or not password:
            return "invalid_auth"  # no request can succeed
        self._username, self._password = username, password
        return await self._async_attempt(self._login_fresh, solving=False)

    def _login_fresh(self) -> Account:
        """Create the adapter and log in. Runs in the executor."""
        self._api = fresh_adapter(self._api, self._username, self._password)
        return self._api.login()

    def _run(self, job: Callable[[], Account | None]) -> _SignedIn | None:
        """Run a login job and export the session it produced. Runs in the executor."""
        if (account := job()) is None:
            return None
        if TYPE_CHECKING:
            assert self._api is not None
        return account, self._api.export_session()

    async def _async_attempt(
        self,
        job: Callable[[], Account | None],
        *,
        solving: bool,
        unconfirmed: str = "challenge_failed",
    ) -> ConfigFlowResult | str:
        """Run one blocking login job; map its outcome onto the next step.

        Args:
            job: Logs in (returns the account) or sends a checkpoint code (None).
            solving: True while a checkpoint is being solved, so a new
                ChallengeRequired means it failed rather than that one starts.
            unconfirmed: The error key when the checkpoint is still there.

        Returns:
            The next form, abort or created entry, or an error key for this form.

        """
        try:
            signed_in = await self.hass.async_add_executor_job(self._run, job)
        except TwoFactorRequired:
            return await self.async_step_two_factor()
        except ChallengeRequired as err:
            if not solving:
                return await self._async_start_challenge(err.methods)
            error = unconfirmed
        except Exception as err:  # noqa: BLE001 - the rest are form errors
            error = login_error(err, self._placeholders)
        else:
            if signed_in is None:  # a checkpoint code is on its way
                return await self.async_step_challenge_code()
            return await self._async_finish(*signed_in)
        return error

    async def _async_start_challenge(
        self, methods: tuple[ChallengeMethod, ...]
    ) -> ConfigFlowResult:
        """Continue with a checkpoint: offer the methods, or send if only one."""
        self._methods = methods
        if not methods:
            # Instagram's usual checkpoint (native_flow), or one like a selfie that
            # only the app can pass: the user acts there, then we log in again.
            return await self.async_step_challenge_app()
        if len(methods) == 1:
            return await self._async_send_challenge_code(methods[0])
        return await self.async_step_challenge()

    async def _async_send_challenge_code(
        self, method: ChallengeMethod
    ) -> ConfigFlowResult:
        """Have the code sent; on failure offer the method choice again."""
        if TYPE_CHECKING:
            assert self._api is not None
        send = partial(self._api.challenge_send_code, method)
        result = await self._async_attempt(send, solving=True)
        if isinstance(result, str):
            return self._async_show_challenge_form({"base": result})
        return result

    async def _async_finish(
        self, account: Account, session: dict[str, Any]
    ) -> ConfigFlowResult:
        """Create the entry, or update the reauthenticated/reconfigured one.

        The session is a handoff: the integration moves it into its store at setup.
        """
        await self.async_set_unique_id(account.pk, raise_on_progress=False)
        data = {CONF_USERNAME: self._username, CONF_PASSWORD: self._password}
        if self.source == SOURCE_USER:
            self._abort_if_unique_id_configured()
            return self.async_create_entry(
                title=account.username, data={**data, CONF_SESSION: session}
            )
        entry = (
            self._get_reauth_entry()
            if self.source == SOURCE_REAUTH
            else self._get_reconfigure_entry()
        )
        self._abort_if_unique_id_mismatch(
            reason="wrong_account",
            description_placeholders={CONF_USERNAME: entry.title},
        )
        return self.async_update_reload_and_abort(
            entry, data_updates={**data, CONF_SESSION: session}
        )

    @callback
    def _async_show_challenge_form(
        self, errors: dict[str, str] | None = None
    ) -> ConfigFlowResult:
        """Show the choice of the methods Instagram offered for the checkpoint code."""
        return self.async_show_form(
            step_id=STEP_CHALLENGE,
            data_schema=challenge_schema(self._methods),
            errors=errors or {},
            description_placeholders=self._form_placeholders(),
        )
