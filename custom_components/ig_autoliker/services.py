"""Actions of the Instagram Auto-Liker integration."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv

from .bulk import async_add_targets, parse_usernames
from .compat import vol
from .const import (
    ATTR_CONFIG_ENTRY_ID,
    ATTR_USERNAMES,
    DOMAIN,
    SERVICE_ADD_TARGETS,
    SERVICE_RUN_CYCLE,
)

if TYPE_CHECKING:
    from .coordinator import IgAutolikerConfigEntry

RUN_CYCLE_SCHEMA = vol.Schema({vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string})
#: `usernames`: a list, or one string of names separated by commas, spaces or lines.
ADD_TARGETS_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Required(ATTR_USERNAMES): vol.Any(cv.string, [cv.string]),
    }
)


def _entries(call: ServiceCall) -> list[IgAutolikerConfigEntry]:
    """Return the loaded entries an action call is for.

    Raises:
        ServiceValidationError: The named entry is unknown, not ours or not loaded.

    """
    hass = call.hass
    if (entry_id := call.data.get(ATTR_CONFIG_ENTRY_ID)) is None:
        return [
            entry
            for entry in hass.config_entries.async_entries(DOMAIN)
            if entry.state is ConfigEntryState.LOADED
        ]
    entry = hass.config_entries.async_get_entry(entry_id)
    if entry is None or entry.domain != DOMAIN:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_found",
            translation_placeholders={"entry_id": entry_id},
        )
    if entry.state is not ConfigEntryState.LOADED:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_loaded",
            translation_placeholders={"title": entry.title},
        )
    return [entry]


async def _async_run_cycle(call: ServiceCall) -> None:
    """Start a cycle now for one account, or for every loaded account that can run.

    Raises:
        HomeAssistantError: No named account can run a cycle now (paused, waiting
            for reauthentication, frozen); the message says why (the first one's).

    """
    refused: list[HomeAssistantError] = []
    entries = _entries(call)
    for entry in entries:
        try:
            entry.runtime_data.async_start_cycle()
        except HomeAssistantError as err:
            refused.append(err)
    if refused and len(refused) == len(entries):
        raise refused[0]


async def _async_add_targets(call: ServiceCall) -> ServiceResponse:
    """Add targets to one account; names that cannot be added are reported by name.

    Returns:
        `added`, `already_targets`, `not_found`, `private` (private and not
        followed), `invalid` (no username, as given), `not_tried` (the account could
        not ask now) and `not_tried_reason` (errors.py's key, or None).

    Raises:
        ServiceValidationError: The entry is unknown, not ours or not loaded.

    """
    (entry,) = _entries(call)
    names, invalid = parse_usernames(call.data[ATTR_USERNAMES])
    result = await async_add_targets(call.hass, entry, names)
    result.invalid = invalid
    return result.as_response()


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the actions (called once from `async_setup`)."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_RUN_CYCLE,
        _async_run_cycle,
        schema=RUN_CYCLE_SCHEMA,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_ADD_TARGETS,
        _async_add_targets,
        schema=ADD_TARGETS_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
