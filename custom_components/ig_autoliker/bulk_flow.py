# Copyright (C) 2026 the ig_autoliker authors. SPDX-License-Identifier: MIT
"""The bulk steps of the target subentry flow: pick followed accounts, paste a list.

Both end the flow with a summary (an abort, since a subentry flow creates one entry
while these create many through `bulk.async_add_targets`): how many were added and
which names were not, by reason.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from homeassistant.config_entries import ConfigSubentryFlow, SubentryFlowResult
from homeassistant.const import CONF_USERNAME
from homeassistant.data_entry_flow import AbortFlow
from homeassistant.helpers.selector import (
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
)

from .bulk import (
    LIKE_KINDS_SCHEMA,
    BulkResult,
    async_add_targets,
    like_kinds,
    parse_usernames,
)
from .compat import vol
from .const import SUBENTRY_TYPE_TARGET
from .engine.exceptions import IgAutolikerError
from .errors import flow_error
from .following import async_following

if TYPE_CHECKING:
    from .coordinator import IgAutolikerConfigEntry
    from .engine.models import TargetUser

#: The pick form's field: usernames of followed accounts.
CONF_ACCOUNTS: Final = "accounts"
#: The paste form's field: the pasted text.
CONF_USERNAMES: Final = "usernames"
#: Form errors about the signed-in account that may pass: try again later.
_RETRY_LATER: Final = frozenset({"rate_limited", "cannot_connect", "ip_blocked"})
#: The flow ends with these reasons; any other key means "reauthenticate first".
_ABORTS: Final = frozenset({"account_suspended", "client_outdated"})
#: Placeholder for an empty list of names in the summary.
_NONE: Final = "-"


def _label(user: TargetUser) -> str:
    """Return the option label: username, then the display name when it differs."""
    if user.full_name and user.full_name.lower() != user.username:
        return f"{user.username} ({user.full_name})"
    return user.username


def _names(names: list[str]) -> str:
    """Return names for a message, or "-" when there are none."""
    return ", ".join(names) if names else _NONE


class BulkTargetSteps(ConfigSubentryFlow):
    """The steps `pick` and `paste` of the target subentry flow."""

    def _summary(self, result: BulkResult) -> SubentryFlowResult:
        """End the flow, naming what was and was not added."""
        placeholders = {
            "added": str(len(result.added)),
            "already": _names(result.already),
            "not_found": _names(result.not_found),
            "private": _names(result.private),
            "not_tried": _names(result.not_tried),
        }
        reason = "targets_partly_added" if result.skipped() else "targets_added"
        return self.async_abort(reason=reason, description_placeholders=placeholders)

    def _account_error(self, err: IgAutolikerError) -> dict[str, str]:
        """Return the form error of a failed request, or abort (reauthenticate)."""
        key = flow_error(err)
        if key in _RETRY_LATER or key == "unknown":
            return {"base": key}
        # The account waits for the user (password, checkpoint, suspension).
        reason = key if key in _ABORTS else "reauth_required"
        raise AbortFlow(reason) from err

    async def async_step_pick(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Add any number of the accounts the signed-in account follows."""
        entry: IgAutolikerConfigEntry = self._get_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            chosen = [str(name) for name in user_input.get(CONF_ACCOUNTS) or []]
            if (kinds := like_kinds(user_input)) is None:
                errors["base"] = "no_kind"
            elif not chosen:
                errors[CONF_ACCOUNTS] = "none_chosen"
            else:
                result = await async_add_targets(self.hass, entry, chosen, kinds)
                if result.added or not result.not_tried:
                    return self._summary(result)
                errors["base"] = result.reason or "unknown"
        try:
            following = await async_following(self.hass, entry)
        except IgAutolikerError as err:
            return self.async_show_form(step_id="pick", errors=self._account_error(err))
        present = {
            str(t.data[CONF_USERNAME])
            for t in entry.get_subentries_of_type(SUBENTRY_TYPE_TARGET)
        }
        options = [
            SelectOptionDict(value=user.username, label=_label(user))
            for user in sorted(following.users, key=lambda u: u.username)
            if user.username not in present
        ]
        schema = vol.Schema(
            {
                # What is liked first: below a list of 200 accounts it is unseen.
                **LIKE_KINDS_SCHEMA,
                # A checkbox a line, A-Z: one click an account. The dropdown mode
                # closes after every pick (the frontend's ha-generic-picker), which
                # makes 50 picks 50 searches; the list is searched with the
                # browser's Find, which reaches the labels inside the dialog.
                vol.Optional(CONF_ACCOUNTS, default=[]): SelectSelector(
                    SelectSelectorConfig(
                        options=options,
                        multiple=True,
                        mode=SelectSelectorMode.LIST,
                    )
                ),
            }
        )
        return self.async_show_form(
            step_id="pick",
            data_schema=self.add_suggested_values_to_schema(schema, user_input),
            errors=errors,
            description_placeholders={
                "account": entry.title,
                "count": str(len(options)),
            },
        )

    async def async_step_paste(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Add a pasted list of usernames or profile links."""
        entry: IgAutolikerConfigEntry = self._get_entry()
        errors: dict[str, str] = {}
        placeholders = {"account": entry.title, "invalid": _NONE}
        if user_input is not None:
            names, invalid = parse_usernames(str(user_input.get(CONF_USERNAMES, "")))
            if (kinds := like_kinds(user_input)) is None:
                errors["base"] = "no_kind"
            elif invalid:
                # The form keeps the text as typed; the message names the bad ones.
                errors[CONF_USERNAMES] = "invalid_usernames"
                placeholders["invalid"] = _names(invalid)
            elif not names:
                errors[CONF_USERNAMES] = "none_chosen"
            else:
                result = await async_add_targets(self.hass, entry, names, kinds)
                if result.added or not result.not_tried:
                    return self._summary(result)
                errors["base"] = result.reason or "unknown"
        schema = vol.Schema(
            {
                vol.Required(CONF_USERNAMES): TextSelector(
                    TextSelectorConfig(multiline=True)
                ),
                **LIKE_KINDS_SCHEMA,
            }
        )
        return self.async_show_form(
            step_id="paste",
            data_schema=self.add_suggested_values_to_schema(schema, user_input),
            errors=errors,
            description_placeholders=placeholders,
        )
