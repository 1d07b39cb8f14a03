"""Binary sensors: Instagram asks for a challenge (checkpoint); a cycle is running."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from homeassistant.components.binary_sensor import (  # type: ignore[attr-defined,unused-ignore]
    # In __init__ on 2026.6, re-exported from .const since; mypy sees the latter.
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)

from .entity import IgAutolikerEntity

if TYPE_CHECKING:
    from collections.abc import Callable

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import IgAutolikerConfigEntry
    from .snapshot import IgAutolikerData

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class IgAutolikerBinarySensorEntityDescription(BinarySensorEntityDescription):
    """An account binary sensor and how to read it from the coordinator data."""

    is_on_fn: Callable[[IgAutolikerData], bool]


BINARY_SENSORS: tuple[IgAutolikerBinarySensorEntityDescription, ...] = (
    IgAutolikerBinarySensorEntityDescription(
        key="challenge_required",
        translation_key="challenge_required",
        device_class=BinarySensorDeviceClass.PROBLEM,
        is_on_fn=lambda data: data.challenge_required,
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
    """Add the binary sensors of the account."""
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
