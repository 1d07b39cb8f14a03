"""Binary sensors: a checkpoint, an action block, a backoff; a cycle is running.

"Instagram block" and "Backoff" replace the timestamp sensors "Blocked until" and
"Backoff until", which read "Unknown" whenever nothing was wrong: a timestamp sensor
has no value then, and Home Assistant shows no text for a missing value. Each is now
a problem sensor with its own translated states ("Not blocked" / "Blocked"), and the
end of the block is its `until` attribute (ISO 8601, UTC) while it is on; translated
attribute names are Home Assistant's documented way to name such a detail
(developers blog 2023-03-27, "Translating the name and attributes of entities").
The replaced sensors' registry entries are removed at setup, so no entity is left
"no longer provided".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from homeassistant.components.binary_sensor import (  # type: ignore[attr-defined,unused-ignore]
    # In __init__ on 2026.6, re-exported from .const since; mypy sees the latter.
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import EntityCategory, Platform
from homeassistant.helpers import entity_registry as er

from .const import DOMAIN
from .entity import IgAutolikerEntity

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import IgAutolikerConfigEntry
    from .snapshot import IgAutolikerData

PARALLEL_UPDATES = 0

#: Keys of the timestamp sensors the problem sensors below replace.
REPLACED_SENSORS = ("blocked_until", "backoff_until")
ATTR_UNTIL = "until"


@dataclass(frozen=True, kw_only=True)
class IgAutolikerBinarySensorEntityDescription(BinarySensorEntityDescription):
    """An account binary sensor and how to read it from the coordinator data.

    Attributes:
        is_on_fn: The state.
        until_fn: When what the sensor reports ends (shown as the `until`
            attribute while it is on), or None for sensors without an end.

    """

    is_on_fn: Callable[[IgAutolikerData], bool]
    until_fn: Callable[[IgAutolikerData], datetime | None] | None = None


BINARY_SENSORS: tuple[IgAutolikerBinarySensorEntityDescription, ...] = (
    IgAutolikerBinarySensorEntityDescription(
        key="challenge_required",
        translation_key="challenge_required",
        device_class=BinarySensorDeviceClass.PROBLEM,
        is_on_fn=lambda data: data.challenge_required,
    ),
    IgAutolikerBinarySensorEntityDescription(
        key="blocked",
        translation_key="blocked",
        device_class=BinarySensorDeviceClass.PROBLEM,
        is_on_fn=lambda data: data.blocked_until is not None,
        until_fn=lambda data: data.blocked_until,
    ),
    IgAutolikerBinarySensorEntityDescription(
        key="backoff",
        translation_key="backoff",
        device_class=BinarySensorDeviceClass.PROBLEM,
        entity_category=EntityCategory.DIAGNOSTIC,
        is_on_fn=lambda data: data.backoff_until is not None,
        until_fn=lambda data: data.backoff_until,
    ),
    IgAutolikerBinarySensorEntityDescription(
        key="cycle_running",
        translation_key="cycle_running",
        # Two logbook rows per cycle otherwise (on, off): bookkeeping, not activity.
        entity_registry_enabled_default=False,
        device_class=BinarySensorDeviceClass.RUNNING,
        is_on_fn=lambda data: data.cycle_running,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: IgAutolikerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the binary sensors of the account; forget the sensors they replace."""
    registry = er.async_get(hass)
    for key in REPLACED_SENSORS:
        if entity_id := registry.async_get_entity_id(
            Platform.SENSOR, DOMAIN, f"{entry.unique_id}_{key}"
        ):
            registry.async_remove(entity_id)
    async_add_entities(
        IgAutolikerBinarySensor(entry.runtime_data, description)
        for description in BINARY_SENSORS
    )


class IgAutolikerBinarySensor(IgAutolikerEntity, BinarySensorEntity):
    """An account state that is on or off (a problem, work in progress)."""

    entity_description: IgAutolikerBinarySensorEntityDescription

    @property
    def is_on(self) -> bool:
        """Read the state from the latest coordinator data."""
        return self.entity_description.is_on_fn(self.coordinator.data)

    @property
    def extra_state_attributes(self) -> dict[str, str] | None:
        """The end (ISO 8601, UTC) of what the sensor reports, while it is on."""
        if (until_fn := self.entity_description.until_fn) is None:
            return None
        until = until_fn(self.coordinator.data)
        return None if until is None else {ATTR_UNTIL: until.isoformat()}
