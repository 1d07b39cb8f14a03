"""What the integration tells automations and the logbook: its bus events.

Every event carries `config_entry_id`, `device_id` (the account device) and
`entity_id` (the event entity that shows it), so the event entities (event.py) pick
their account's events and Home Assistant's logbook shows them in that device's
Activity and on the logbook page filtered by the device, which asks for its
entities (logbook.py describes them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.const import ATTR_DEVICE_ID, ATTR_ENTITY_ID, Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er

from .const import ATTR_CONFIG_ENTRY_ID, DOMAIN, EVENT_ENTITY_OF

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry


def account_device_id(hass: HomeAssistant, entry: ConfigEntry) -> str | None:
    """Return the id of the entry's account device in the registry (None before setup).

    Home Assistant 2026.10 looks devices up per config entry and deprecates the
    global lookup; 2026.6 has only the global one.
    """
    registry = dr.async_get(hass)
    identifier = (DOMAIN, str(entry.unique_id))
    if hasattr(registry, "async_get_device_by_identifier"):
        device = registry.async_get_device_by_identifier(identifier, entry.entry_id)
    else:  # pragma: no cover - Home Assistant before 2026.10
        device = registry.async_get_device(identifiers={identifier})
    return None if device is None else device.id


@callback
def async_fire(
    hass: HomeAssistant, entry: ConfigEntry, event_type: str, data: dict[str, Any]
) -> None:
    """Fire one of the integration's events for an account.

    Args:
        hass: Home Assistant.
        entry: The account's config entry.
        event_type: One of the `EVENT_*` names in const.py.
        data: The event's own fields; `config_entry_id`, `device_id` and
            `entity_id` are added (the ids are None before setup registered them).

    """
    hass.bus.async_fire(
        event_type,
        {
            ATTR_CONFIG_ENTRY_ID: entry.entry_id,
            ATTR_DEVICE_ID: account_device_id(hass, entry),
            ATTR_ENTITY_ID: er.async_get(hass).async_get_entity_id(
                Platform.EVENT,
                DOMAIN,
                f"{entry.unique_id}_{EVENT_ENTITY_OF[event_type]}",
            ),
            **data,
        },
    )
