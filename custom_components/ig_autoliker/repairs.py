"""Repairs: a challenge (checkpoint) leads the user to the reauthentication flow."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.repairs import RepairsFlow, RepairsFlowResult

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant


class ChallengeRepairFlow(RepairsFlow):
    """Explains the challenge, then starts the entry's reauth flow."""

    def __init__(self, entry_id: str) -> None:
        """Remember which config entry the issue is about."""
        self.entry_id = entry_id

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """Go straight to the confirmation."""
        return await self.async_step_confirm()

    async def async_step_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """On confirm, start reauthentication, where the checkpoint is solved."""
        if user_input is None:
            return self.async_show_form(step_id="confirm")
        if (
            entry := self.hass.config_entries.async_get_entry(self.entry_id)
        ) is not None:
            entry.async_start_reauth(self.hass)
        return self.async_create_entry(data={})


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, str | int | float | None] | None
) -> RepairsFlow:
    """Create the fix flow of a `challenge_required_<entry_id>` issue."""
    return ChallengeRepairFlow(str((data or {})["entry_id"]))
