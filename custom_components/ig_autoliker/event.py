"""Event entities of the account: "Last like" and "Instagram alert".

Home Assistant prefers event entities over raw bus events (developer docs,
"integration events"); the bus events stay for existing automations. Each entity
follows its account's bus events (activity.py), so there is one source of truth.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.const import ATTR_DEVICE_ID, ATTR_ENTITY_ID
from homeassistant.core import Event, callback

from .const import (
    ATTR_CONFIG_ENTRY_ID,
    EVENT_ACTION_BLOCKED,
    EVENT_CHALLENGE_REQUIRED,
    EVENT_ENTITY_ALERT,
    EVENT_ENTITY_LAST_LIKE,
    EVENT_LIKED,
    EVENT_REAUTH_REQUIRED,
)
from .engine.models import MediaKind
from .entity import IgAutolikerEntity

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import IgAutolikerConfigEntry

PARALLEL_UPDATES = 0

#: Bus event fields that never become entity attributes (the entity says them).
_HIDDEN = {ATTR_CONFIG_ENTRY_ID, ATTR_DEVICE_ID, ATTR_ENTITY_ID}


@dataclass(frozen=True, kw_only=True)
class IgAutolikerEventEntityDescription(EventEntityDescription):
    """An event entity and which bus events it follows.

    Attributes:
        bus_events: Bus event type -> function of the event data that returns the
            entity's event type.

    """

    bus_events: Mapping[str, Callable[[Mapping[str, Any]], str]]


LAST_LIKE = IgAutolikerEventEntityDescription(
    key=EVENT_ENTITY_LAST_LIKE,
    translation_key="last_like",
    # Each like is already one logbook row ("liked chef_demo's story", logbook.py);
    # the entity's state change would repeat it, and the logbook has no way to
    # leave out an entity it is asked for. Automations can enable it or use the
    # `ig_autoliker_liked` bus event.
    entity_registry_enabled_default=False,
    event_types=[kind.value for kind in MediaKind],
    bus_events={EVENT_LIKED: lambda data: str(data["kind"])},
)
ALERT = IgAutolikerEventEntityDescription(
    key=EVENT_ENTITY_ALERT,
    translation_key="alert",
    event_types=["challenge_required", "action_blocked", "reauth_required"],
    bus_events={
        EVENT_CHALLENGE_REQUIRED: lambda _data: "challenge_required",
        EVENT_ACTION_BLOCKED: lambda _data: "action_blocked",
        EVENT_REAUTH_REQUIRED: lambda _data: "reauth_required",
    },
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: IgAutolikerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the account's two event entities."""
    async_add_entities(
        IgAutolikerEventEntity(entry.runtime_data, description)
        for description in (LAST_LIKE, ALERT)
    )


class IgAutolikerEventEntity(IgAutolikerEntity, EventEntity):
    """Shows the account's latest event of its kind, with the event's fields."""

    entity_description: IgAutolikerEventEntityDescription

    async def async_added_to_hass(self) -> None:
        """Follow this account's bus events (unsubscribed on removal)."""
        await super().async_added_to_hass()
        entry_id = self.coordinator.config_entry.entry_id

        @callback
        def _ours(data: Mapping[str, Any]) -> bool:
            return bool(data.get(ATTR_CONFIG_ENTRY_ID) == entry_id)

        for bus_event in self.entity_description.bus_events:
            self.async_on_remove(
                self.hass.bus.async_listen(bus_event, self._on_event, _ours)
            )

    @callback
    def _on_event(self, event: Event) -> None:
        """Turn a bus event into this entity's event."""
        to_type = self.entity_description.bus_events[str(event.event_type)]
        event_type = to_type(event.data)
        attributes = {k: v for k, v in event.data.items() if k not in _HIDDEN}
        self._trigger_event(event_type, attributes)
        self.async_write_ha_state()

    @callback
    def _handle_coordinator_update(self) -> None:
        """Coordinator updates change nothing here: only events do."""
