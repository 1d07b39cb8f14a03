# Copyright (C) 2026 the ig_autoliker authors. SPDX-License-Identifier: MIT
"""Target subentry flow: the Instagram accounts whose stories and posts are liked.

A new target is looked up through the running account (its coordinator), so the flow
needs the entry loaded and shows Instagram's answer (not found, private) on the form.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Final

from homeassistant.config_entries import (
    ConfigEntryState,
    SubentryFlowResult,
)
from homeassistant.const import CONF_USERNAME
from homeassistant.data_entry_flow import AbortFlow
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    TextSelector,
    TextSelectorConfig,
)

from .bulk import LIKE_KINDS_SCHEMA, like_kinds
from .bulk_flow import BulkTargetSteps
from .compat import vol
from .const import (
    CONF_BACKLOG_POSTS,
    CONF_LIKE_CURRENT_STORIES,
    CONF_TARGET_PK,
    SUBENTRY_TYPE_TARGET,
)
from .engine.exceptions import IgAutolikerError
from .engine.models import TargetUser
from .errors import flow_error, local_time
from .signin import TARGET_USERNAME, USERNAME_SELECTOR, normalize_username

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .coordinator import IgAutolikerConfigEntry

_LOGGER = logging.getLogger(__name__)

#: Form errors (errors.py's flow keys) that are about the account typed in.
_TARGET_ERRORS: Final = frozenset({"not_found", "private"})
#: Form errors about the signed-in account that may pass: try again later.
_ACCOUNT_ERRORS: Final = frozenset({"rate_limited", "cannot_connect", "ip_blocked"})
#: The flow ends with these reasons; any other key means "reauthenticate first".
_ABORTS: Final = frozenset({"account_suspended", "client_outdated"})

#: Most older posts a new target may have liked: one page of its feed.
MAX_BACKLOG_POSTS: Final = 12
#: What of a new target's past is liked: a bounded choice, so adding a target never
#: bursts into dozens of likes at once (README "Account safety").
BACKLOG_SCHEMA: Final = {
    vol.Required(CONF_BACKLOG_POSTS, default=0): NumberSelector(
        NumberSelectorConfig(
            min=0, max=MAX_BACKLOG_POSTS, step=1, mode=NumberSelectorMode.BOX
        )
    ),
    vol.Required(CONF_LIKE_CURRENT_STORIES, default=True): BooleanSelector(),
}


def _backlog(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Return what of the target's past to like (older posts clamped to 0..12)."""
    posts = round(float(user_input.get(CONF_BACKLOG_POSTS, 0)))
    return {
        CONF_BACKLOG_POSTS: min(max(posts, 0), MAX_BACKLOG_POSTS),
        CONF_LIKE_CURRENT_STORIES: bool(
            user_input.get(CONF_LIKE_CURRENT_STORIES, True)
        ),
    }


class TargetSubentryFlow(BulkTargetSteps):
    """Add or change an Instagram account whose stories and posts are liked."""

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Ask how to add: one account, a pick of the followed ones, or a list."""
        if self._get_entry().state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="entry_not_loaded")
        return self.async_show_menu(
            step_id="user",
            menu_options=["one", "pick", "paste"],
            # The menu's text names the account ({account}); without it the
            # frontend cannot format the text and logs an error.
            description_placeholders={"account": self._get_entry().title},
        )

    async def async_step_one(
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
            if (kinds := like_kinds(user_input)) is None:
                errors["base"] = "no_kind"
            elif not TARGET_USERNAME.fullmatch(username):
                # The form keeps what was typed (a link stays a link to correct).
                username = user_input[CONF_USERNAME]
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
                    **_when_checked(entry, username),
                )
            else:
                errors = user
            user_input = {**user_input, CONF_USERNAME: username}
        return self.async_show_form(
            step_id="one",
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema(
                    {
                        vol.Required(CONF_USERNAME): USERNAME_SELECTOR,
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
            if (kinds := like_kinds(user_input)) is not None:
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


def _when_checked(entry: IgAutolikerConfigEntry, username: str) -> dict[str, Any]:
    """Say on the closing page when a target added outside the active hours is checked.

    Inside the active hours the new target is checked within seconds and Home
    Assistant's own "Created configuration" page says enough. Outside them the
    check waits for the hours to begin (`Reporter.sync_states`); the page names
    that moment in Home Assistant's time zone (`errors.local_time`).

    Returns:
        `{}`, or `{"description": "checked_at_start", "description_placeholders":
        {"username": str, "start": "YYYY-MM-DD HH:MM"}}` for `async_create_entry`.

    """
    policy = entry.runtime_data.engine.policy
    if not policy.sleeping() or (start := policy.next_active_change()) is None:
        return {}
    return {
        "description": "checked_at_start",
        "description_placeholders": {"username": username, "start": local_time(start)},
    }


async def _async_resolve(
    entry: IgAutolikerConfigEntry, username: str
) -> TargetUser | dict[str, str]:
    """Look a target up through the entry's coordinator.

    Returns:
        The target, or the form errors explaining why it cannot be added.

    Raises:
        AbortFlow: The account must reauthenticate before it can look anyone up.

    """
    try:
        return await entry.runtime_data.engine.async_resolve_target(username)
    except IgAutolikerError as err:
        key = flow_error(err)
        if key in _TARGET_ERRORS:
            return {CONF_USERNAME: key}
        if key in _ACCOUNT_ERRORS:
            return {"base": key}
        if key == "unknown":
            _LOGGER.exception("Unexpected error while looking up %s", username)
            return {"base": key}
        # The account waits for the user (password, checkpoint, suspension).
        raise AbortFlow(key if key in _ABORTS else "reauth_required") from err
