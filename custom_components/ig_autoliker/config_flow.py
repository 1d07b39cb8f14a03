# Copyright (C) 2026 the ig_autoliker authors. SPDX-License-Identifier: MIT
"""
Config flow of the Instagram Auto-Liker: account, options and target accounts.

The account flow logs in before it creates or updates an entry (test before
configure). Instagram may ask for a two-factor code or a checkpoint ("challenge") on
the way; both continue on the same `InstagramClient` instance, because Instagram ties
the pending login to the device and cookies of the first attempt.

Every `InstagramClient` call is blocking and runs in the executor. Nothing here ever
logs the password or the session.
"""

from __future__ import annotations

import logging
import math
import re
from functools import partial
from typing import TYPE_CHECKING, Any, Final, override

from homeassistant.config_entries import (
    SOURCE_REAUTH,
    SOURCE_USER,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
    OptionsFlowWithReload,
    SubentryFlowResult,
)
from homeassistant.const import (
    CONF_CODE,
    CONF_METHOD,
    CONF_PASSWORD,
    CONF_USERNAME,
    PERCENTAGE,
    UnitOfTime,
)
from homeassistant.core import callback
from homeassistant.data_entry_flow import AbortFlow, SectionConfig, section
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from .compat import vol
from .const import (
    CONF_BACKLOG_POSTS,
    CONF_BACKOFF_BASE,
    CONF_BACKOFF_MAX,
    CONF_CYCLE_INTERVAL,
    CONF_DELAY_ACCOUNTS,
    CONF_DELAY_LIKES,
    CONF_DELAY_REQUESTS,
    CONF_FEEDBACK_FREEZE,
    CONF_JITTER,
    CONF_KEEP_ALIVE,
    CONF_LIKE_CURRENT_STORIES,
    CONF_LIKE_POSTS,
    CONF_LIKE_STORIES,
    CONF_SESSION,
    CONF_TARGET_PK,
    CONF_WARMUP_DAYS,
    DEFAULT_OPTIONS,
    DOMAIN,
    OPTION_SECTIONS,
    OPTIONS,
    SUBENTRY_TYPE_TARGET,
    OptionSection,
)
from .engine.client import InstagramClient
from .engine.exceptions import (
    AccountSuspended,
    AuthenticationFailed,
    CannotConnect,
    ChallengeRequired,
    ClientOutdated,
    FeedbackRequired,
    InvalidCode,
    IpBlocked,
    RateLimited,
    SessionExpired,
    TargetNotFound,
    TargetPrivate,
    TwoFactorRequired,
)
from .engine.models import Account, ChallengeMethod, TargetUser
from .session import native_challenge_pending
from .store import IgAutolikerStore

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from .coordinator import IgAutolikerConfigEntry

_LOGGER = logging.getLogger(__name__)

STEP_TWO_FACTOR: Final = "two_factor"
STEP_CHALLENGE: Final = "challenge"
STEP_CHALLENGE_CODE: Final = "challenge_code"
STEP_CHALLENGE_APP: Final = "challenge_app"

type _SignedIn = tuple[Account, dict[str, Any]]

#: Instagram's username rule (lowercased): 1-30 of a-z 0-9 . _, no period at either
#: end or twice in a row. It also keeps path tricks ("..") out of the lookup URL.
TARGET_USERNAME: Final = re.compile(r"(?!\.)(?!.*\.\.)[a-z0-9._]{1,30}(?<!\.)")

_USERNAME_SELECTOR = TextSelector(
    TextSelectorConfig(type=TextSelectorType.TEXT, autocomplete="username")
)
_PASSWORD_SELECTOR = TextSelector(
    TextSelectorConfig(type=TextSelectorType.PASSWORD, autocomplete="current-password")
)
CREDENTIALS_SCHEMA: Final = vol.Schema(
    {
        vol.Required(CONF_USERNAME): _USERNAME_SELECTOR,
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
LIKE_KINDS_SCHEMA: Final = {
    vol.Required(CONF_LIKE_STORIES, default=True): BooleanSelector(),
    vol.Required(CONF_LIKE_POSTS, default=True): BooleanSelector(),
}
#: Most older posts a new target may have liked: one page of its feed.
MAX_BACKLOG_POSTS: Final = 12
#: What of a new target's past is liked (issue 10: no backlog bursts).
BACKLOG_SCHEMA: Final = {
    vol.Required(CONF_BACKLOG_POSTS, default=0): NumberSelector(
        NumberSelectorConfig(
            min=0, max=MAX_BACKLOG_POSTS, step=1, mode=NumberSelectorMode.BOX
        )
    ),
    vol.Required(CONF_LIKE_CURRENT_STORIES, default=True): BooleanSelector(),
}

#: Units shown next to the option fields; the others are plain counts.
OPTION_UNITS: Final[dict[str, str]] = {
    CONF_CYCLE_INTERVAL: UnitOfTime.MINUTES,
    CONF_DELAY_REQUESTS: UnitOfTime.SECONDS,
    CONF_DELAY_LIKES: UnitOfTime.SECONDS,
    CONF_DELAY_ACCOUNTS: UnitOfTime.SECONDS,
    CONF_JITTER: PERCENTAGE,
    CONF_BACKOFF_BASE: UnitOfTime.SECONDS,
    CONF_BACKOFF_MAX: UnitOfTime.SECONDS,
    CONF_KEEP_ALIVE: UnitOfTime.MINUTES,
    CONF_FEEDBACK_FREEZE: UnitOfTime.HOURS,
    CONF_WARMUP_DAYS: UnitOfTime.DAYS,
}


def normalize_username(raw: str) -> str:
    """Return a username as Instagram compares it: trimmed, without "@", lowercase."""
    return raw.strip().removeprefix("@").strip().lower()


def normalize_code(raw: str) -> str | None:
    """
    Return a security code without whitespace, or None when it cannot be one.

    Instagram's codes are digits; users paste them with spaces ("123 456").
    """
    code = "".join(raw.split())
    return code if code.isascii() and code.isdigit() else None


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
        """
        Start a reauthentication when Instagram refused the saved login.

        A checkpoint the user confirms in the Instagram app needs no password: the
        flow logs in again with the saved device and session once they confirmed.
        """
        entry = self._get_reauth_entry()
        if native_challenge_pending(self.hass, entry.entry_id):
            self._username = entry.data[CONF_USERNAME]
            self._password = entry.data[CONF_PASSWORD]
            session = await self._async_saved_session(entry)
            self._api = await self.hass.async_add_executor_job(
                InstagramClient, self._username, self._password, session
            )
            return await self.async_step_challenge_app()
        return await self.async_step_reauth_confirm()

    async def _async_saved_session(
        self, entry: IgAutolikerConfigEntry
    ) -> dict[str, Any] | None:
        """Return the entry's session (device, cookies) as it is saved now."""
        if entry.state is ConfigEntryState.LOADED:
            return await self.hass.async_add_executor_job(
                entry.runtime_data.api.export_session
            )
        stored = await IgAutolikerStore(self.hass, entry.entry_id).async_load_data()
        return stored.session

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
        """
        Ask the user to confirm the login in the Instagram app, then log in again.

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
        return self._async_show_code_form(step_id, errors)

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
        """
        Create the adapter and log in. Runs in the executor.

        A retry for the same username (say, after a mistyped password) keeps the
        device of the first try: a new phone on every attempt is what Instagram's
        checks flag.
        """
        device = None
        if self._api is not None and self._api.username == self._username:
            device = self._api.export_session()
        self._api = InstagramClient(self._username, self._password, device)
        return self._api.login()

    def _send_code(self, method: ChallengeMethod) -> None:
        """Ask Instagram to send the checkpoint code. Runs in the executor."""
        if TYPE_CHECKING:
            assert self._api is not None
        self._api.challenge_send_code(method)

    def _run(self, job: Callable[[], Account | None]) -> _SignedIn | None:
        """Run a login job and export the session it produced. Runs in the executor."""
        if (account := job()) is None:
            return None
        if TYPE_CHECKING:
            assert self._api is not None
        return account, self._api.export_session()

    async def _async_attempt(  # noqa: PLR0912 - one branch per error the user sees
        self,
        job: Callable[[], Account | None],
        *,
        solving: bool,
        unconfirmed: str = "challenge_failed",
    ) -> ConfigFlowResult | str:
        """
        Run one blocking login job; map its outcome onto the next step.

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
        except AuthenticationFailed:
            error = "invalid_auth"
        except IpBlocked:
            error = "ip_blocked"
        except ClientOutdated as err:
            self._placeholders["version"] = err.library_version
            error = "client_outdated"
        except AccountSuspended:
            error = "account_suspended"
        except InvalidCode:
            error = "invalid_code"
        except RateLimited, FeedbackRequired:
            error = "rate_limited"
        except CannotConnect:
            error = "cannot_connect"
        except Exception:
            _LOGGER.exception("Unexpected error while signing in to Instagram")
            error = "unknown"
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
        result = await self._async_attempt(
            partial(self._send_code, method), solving=True
        )
        if isinstance(result, str):
            return self._async_show_challenge_form({"base": result})
        return result

    async def _async_finish(
        self, account: Account, session: dict[str, Any]
    ) -> ConfigFlowResult:
        """
        Create the entry, or update the reauthenticated/reconfigured one.

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
    def _async_show_code_form(
        self, step_id: str, errors: dict[str, str]
    ) -> ConfigFlowResult:
        """Show the two-factor or the checkpoint code form."""
        return self.async_show_form(
            step_id=step_id,
            data_schema=CODE_SCHEMA,
            errors=errors,
            description_placeholders=self._form_placeholders(),
        )

    @callback
    def _async_show_challenge_form(
        self, errors: dict[str, str] | None = None
    ) -> ConfigFlowResult:
        """Show the choice of the methods Instagram offered for the checkpoint code."""
        methods = [method.value for method in self._methods]
        return self.async_show_form(
            step_id=STEP_CHALLENGE,
            data_schema=vol.Schema(
                {
                    vol.Required(CONF_METHOD, default=methods[0]): SelectSelector(
                        SelectSelectorConfig(
                            options=methods,
                            mode=SelectSelectorMode.LIST,
                            translation_key="challenge_method",
                        )
                    )
                }
            ),
            errors=errors or {},
            description_placeholders=self._form_placeholders(),
        )


# ------------------------------------------------------------------- options --


def options_schema() -> vol.Schema:
    """
    Build the options form: one section per `OptionSection`, one number box per option.

    Options keep the order of OPTIONS within their section (OPTION_SECTIONS). The
    boxes carry no min/max: the flow checks ranges itself, so an out-of-range value
    gets a translated error on its section instead of a generic schema error.
    """
    sections: dict[OptionSection, dict[vol.Marker, NumberSelector]] = {
        name: {} for name in OptionSection
    }
    for key, spec in OPTIONS.items():
        config = NumberSelectorConfig(
            mode=NumberSelectorMode.BOX, step=1 if spec.integer else 0.1
        )
        if unit := OPTION_UNITS.get(key):
            config["unit_of_measurement"] = unit
        sections[OPTION_SECTIONS[key]][vol.Required(key, default=spec.default)] = (
            NumberSelector(config)
        )
    return vol.Schema(
        {
            vol.Required(name.value): section(
                vol.Schema(fields), SectionConfig(collapsed=False)
            )
            for name, fields in sections.items()
            if fields
        }
    )


def _flat(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Return the options form's answer without its sections (stored flat)."""
    return {
        key: value
        for name in OptionSection
        for key, value in user_input.get(name.value, {}).items()
    }


def _nested(options: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Flat option values as the sectioned form expects them (suggested values)."""
    nested: dict[str, dict[str, Any]] = {name.value: {} for name in OptionSection}
    for key, value in options.items():
        if key in OPTION_SECTIONS:
            nested[OPTION_SECTIONS[key].value][key] = value
    return nested


def validate_options(
    user_input: Mapping[str, Any],
) -> tuple[dict[str, float], dict[str, str]]:
    """
    Check every option against its range and type, then backoff base <= max.

    Returns:
        The options to store (ints where the spec wants whole numbers) and the
        per-field error keys; the options are only complete without errors.

    """
    options: dict[str, float] = {}
    errors: dict[str, str] = {}
    for key, spec in OPTIONS.items():
        value = float(user_input[key])
        if not (math.isfinite(value) and spec.minimum <= value <= spec.maximum):
            errors[key] = "out_of_range"
        elif spec.integer and not value.is_integer():
            errors[key] = "not_integer"
        else:
            options[key] = int(value) if spec.integer else value
    if not errors and options[CONF_BACKOFF_BASE] > options[CONF_BACKOFF_MAX]:
        errors[CONF_BACKOFF_BASE] = "backoff_order"
    return options, errors


class IgAutolikerOptionsFlow(OptionsFlowWithReload):
    """Tune pacing, limits and backoff; the entry reloads when they change."""

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show all options with their current values and validate them."""
        errors: dict[str, str] = {}
        if user_input is not None:
            flat = _flat(user_input)
            options, field_errors = validate_options(flat)
            if not field_errors:
                return self.async_create_entry(data=options)
            # Sections show errors for the section, as Home Assistant's mqtt does.
            errors = {
                OPTION_SECTIONS[key].value: error for key, error in field_errors.items()
            }
        suggested = (
            _flat(user_input)
            if user_input is not None
            else {**DEFAULT_OPTIONS, **self.config_entry.options}
        )
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                options_schema(), _nested(suggested)
            ),
            errors=errors,
        )


# ------------------------------------------------------------------- targets --


def _like_kinds(user_input: Mapping[str, Any]) -> dict[str, bool] | None:
    """Return the chosen kinds of likes, or None when neither is chosen."""
    kinds = {
        CONF_LIKE_STORIES: bool(user_input[CONF_LIKE_STORIES]),
        CONF_LIKE_POSTS: bool(user_input[CONF_LIKE_POSTS]),
    }
    return kinds if any(kinds.values()) else None


def _backlog(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Return what of the target's past to like (older posts clamped to 0..12)."""
    posts = round(float(user_input.get(CONF_BACKLOG_POSTS, 0)))
    return {
        CONF_BACKLOG_POSTS: min(max(posts, 0), MAX_BACKLOG_POSTS),
        CONF_LIKE_CURRENT_STORIES: bool(
            user_input.get(CONF_LIKE_CURRENT_STORIES, True)
        ),
    }


class TargetSubentryFlow(ConfigSubentryFlow):
    """Add or change an Instagram account whose stories and posts are liked."""

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Resolve the username through the running account, then add the target."""
        entry: IgAutolikerConfigEntry = self._get_entry()
        if entry.state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="entry_not_loaded")
        errors: dict[str, str] = {}
        if user_input is not None:
            username = normalize_username(user_input[CONF_USERNAME])
            targets = entry.get_subentries_of_type(SUBENTRY_TYPE_TARGET)
            if (kinds := _like_kinds(user_input)) is None:
                errors["base"] = "no_kind"
            elif not TARGET_USERNAME.fullmatch(username):
                errors[CONF_USERNAME] = "invalid_username"
            elif username in {target.data[CONF_USERNAME] for target in targets}:
                return self.async_abort(reason="already_configured")
            elif isinstance(user := await _async_resolve(entry, username), TargetUser):
                if user.pk in {target.unique_id for target in targets}:
                    # The same account under a new username.
                    return self.async_abort(reason="already_configured")
                return self.async_create_entry(
                    title=username,
                    data={
                        CONF_USERNAME: username,
                        CONF_TARGET_PK: user.pk,
                        **kinds,
                        **_backlog(user_input),
                    },
                    unique_id=user.pk,
                )
            else:
                errors = user
            user_input = {**user_input, CONF_USERNAME: username}
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema(
                    {
                        vol.Required(CONF_USERNAME): _USERNAME_SELECTOR,
                        **LIKE_KINDS_SCHEMA,
                        **BACKLOG_SCHEMA,
                    }
                ),
                user_input,
            ),
            errors=errors,
            description_placeholders={"account": entry.title},
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change what is liked; to like another account, add a new target."""
        entry = self._get_entry()
        subentry = self._get_reconfigure_subentry()
        errors: dict[str, str] = {}
        if user_input is not None:
            if (kinds := _like_kinds(user_input)) is not None:
                return self.async_update_and_abort(entry, subentry, data_updates=kinds)
            errors["base"] = "no_kind"
        username = subentry.data[CONF_USERNAME]
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema(
                    {
                        # Shown for orientation only; the input is ignored.
                        vol.Optional(CONF_USERNAME): TextSelector(
                            TextSelectorConfig(read_only=True)
                        ),
                        **LIKE_KINDS_SCHEMA,
                    }
                ),
                {**subentry.data, **(user_input or {}), CONF_USERNAME: username},
            ),
            errors=errors,
            description_placeholders={CONF_USERNAME: username},
        )


async def _async_resolve(
    entry: IgAutolikerConfigEntry, username: str
) -> TargetUser | dict[str, str]:
    """
    Look a target up through the entry's coordinator.

    Returns:
        The target, or the form errors explaining why it cannot be added.

    Raises:
        AbortFlow: The account must reauthenticate before it can look anyone up.

    """
    try:
        return await entry.runtime_data.async_resolve_target(username)
    except TargetNotFound:
        return {CONF_USERNAME: "not_found"}
    except TargetPrivate:
        return {CONF_USERNAME: "private"}
    except RateLimited, FeedbackRequired:
        return {"base": "rate_limited"}
    except CannotConnect:
        return {"base": "cannot_connect"}
    except (ChallengeRequired, SessionExpired) as err:
        reason = "reauth_required"
        raise AbortFlow(reason) from err
    except Exception:
        _LOGGER.exception("Unexpected error while looking up an Instagram account")
        return {"base": "unknown"}
