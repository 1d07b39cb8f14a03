"""What the integration tells automations and the logbook: its bus events.

Every event carries `config_entry_id`, `device_id` (the account device) and
`entity_id`, so the event entities (event.py) pick their account's events and Home
Assistant's logbook (logbook.py describes them) lists each one where it belongs.
The logbook matches an event to a view by these two fields only
(`homeassistant/components/logbook/queries`): the device page's Activity card asks
for the device and its entities, the Activity page filtered by a device asks for
the device's enabled entities alone. So `device_id` puts every event in the
account's card, and `entity_id` names the entity the event is about: the event
entity that shows it, and for a like the target's "Enabled" switch
(`liked_entity_id`), which puts the like in the target's card and in the Activity
page filtered by the target. That switch changes only when the user turns it, so
it adds no row of its own; the target's "Last liked media" image would, as an
image, be left out of the filter by the logbook (`ALWAYS_CONTINUOUS_DOMAINS`), and
a "Last like" timestamp sensor would add a second row per like.
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


def liked_entity_id(
    hass: HomeAssistant, entry: ConfigEntry, target_pk: str
) -> str | None:
    """Return the entity id of a target's "Enabled" switch (None: not registered).

    Args:
        hass: Home Assistant.
        entry: The account's config entry.
        target_pk: The target's Instagram user pk.

    """
    unique_id = f"{entry.unique_id}_{target_pk}_enabled"  # switch.py's key
    return er.async_get(hass).async_get_entity_id(Platform.SWITCH, DOMAIN, unique_id)


@callback
def async_fire(
    hass: HomeAssistant,
    entry: ConfigEntry,
    event_type: str,
    data: dict[str, Any],
    entity_id: str | None = None,
) -> None:
    """Fire one of the integration's events for an account.

    Args:
        hass: Home Assistant.
        entry: The account's config entry.
        event_type: One of the `EVENT_*` names in const.py.
        data: The event's own fields; `config_entry_id`, `device_id` and
            `entity_id` are added (the ids are None before setup registered them).
        entity_id: The entity the event is about; None: the event entity that
            shows it.

    """
    if entity_id is None:
        entity_id = er.async_get(hass).async_get_entity_id(
            Platform.EVENT, DOMAIN, f"{entry.unique_id}_{EVENT_ENTITY_OF[event_type]}"
        )
    hass.bus.async_fire(
        event_type,
        {
            ATTR_CONFIG_ENTRY_ID: entry.entry_id,
            ATTR_DEVICE_ID: account_device_id(hass, entry),
            ATTR_ENTITY_ID: entity_id,
            **data,
        },
    )
