"""
What the integration tells automations and the logbook: its bus events.

Every event carries `config_entry_id` and `device_id` (the account device), so the
event entities (event.py) pick their account's events and Home Assistant's logbook
shows them in that device's Activity (logbook.py describes them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.const import ATTR_DEVICE_ID
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr

from .const import ATTR_CONFIG_ENTRY_ID, DOMAIN

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry


def account_device_id(hass: HomeAssistant, entry: ConfigEntry) -> str | None:
    """
    Return the id of the entry's account device in the registry (None before setup).

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
    """
    Fire one of the integration's events for an account.

    Args:
        hass: Home Assistant.
        entry: The account's config entry.
        event_type: One of the `EVENT_*` names in const.py.
        data: The event's own fields; `config_entry_id` and `device_id` are added.

    """
    hass.bus.async_fire(
        event_type,
        {
            ATTR_CONFIG_ENTRY_ID: entry.entry_id,
            ATTR_DEVICE_ID: account_device_id(hass, entry),
            **data,
        },
    )
