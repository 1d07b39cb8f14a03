"""Sensors: likes, rate-limit state, session health; per target last like, totals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import PERCENTAGE, EntityCategory

from .engine.engine import RATE_LIMIT_STATES
from .engine.events import SessionHealth
from .engine.pace import Health
from .entity import (
    IgAutolikerEntity,
    IgAutolikerTargetEntity,
    async_add_target_entities,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import IgAutolikerConfigEntry, IgAutolikerCoordinator
    from .snapshot import IgAutolikerData, TargetSnapshot
    from .targets import SubentryTarget as Target

PARALLEL_UPDATES = 0

type StateType = int | str | datetime | None

ATTR_LIKES_PER_HOUR = "likes_per_hour_limit"
ATTR_LIKES_PER_DAY = "likes_per_day_limit"
ATTR_WARMUP_UNTIL = "warmup_until"


@dataclass(frozen=True, kw_only=True)
class IgAutolikerSensorEntityDescription(SensorEntityDescription):
    """An account sensor and how to read it from the coordinator data."""

    value_fn: Callable[[IgAutolikerData], StateType]
    attrs_fn: Callable[[IgAutolikerData], dict[str, Any]] | None = None


def health_reasons(data: IgAutolikerData) -> dict[str, Any]:
    """Why the account health is what it is: warnings of 24 h by kind, and the pace."""
    return {**data.warnings, "pace": data.pace_percent}


@dataclass(frozen=True, kw_only=True)
class IgAutolikerTargetSensorEntityDescription(SensorEntityDescription):
    """A target sensor and how to read it from the snapshot."""

    value_fn: Callable[[TargetSnapshot], StateType]
    attrs_fn: Callable[[TargetSnapshot], dict[str, Any]] | None = None


def rate_limit_attributes(data: IgAutolikerData) -> dict[str, str | int | None]:
    """Return the like limits in force and the warm-up's end (ISO 8601 UTC, None)."""
    until = data.warmup_until
    return {
        ATTR_LIKES_PER_HOUR: data.effective_likes_per_hour,
        ATTR_LIKES_PER_DAY: data.effective_likes_per_day,
        ATTR_WARMUP_UNTIL: None if until is None else until.isoformat(),
    }


ACCOUNT_SENSORS: tuple[IgAutolikerSensorEntityDescription, ...] = (
    IgAutolikerSensorEntityDescription(
        key="likes_today",
        translation_key="likes_today",
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=lambda data: data.likes_today,
    ),
    IgAutolikerSensorEntityDescription(
        key="likes_this_hour",
        translation_key="likes_this_hour",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda data: data.likes_this_hour,
    ),
    IgAutolikerSensorEntityDescription(
        key="rate_limit_state",
        translation_key="rate_limit_state",
        device_class=SensorDeviceClass.ENUM,
        options=RATE_LIMIT_STATES,
        value_fn=lambda data: data.rate_limit_state,
        # The limits in force and the warm-up's end where the user looks: the
        # state reads "Warming up" while the warm-up lowers the limits, and the
        # effective-limit sensors are diagnostic (hidden by default on cards).
        attrs_fn=rate_limit_attributes,
    ),
    IgAutolikerSensorEntityDescription(
        key="session_health",
        translation_key="session_health",
        device_class=SensorDeviceClass.ENUM,
        options=[health.value for health in SessionHealth],
        value_fn=lambda data: data.session_health.value,
    ),
    IgAutolikerSensorEntityDescription(
        key="last_cycle",
        translation_key="last_cycle",
        # Cycle bookkeeping: it changes every cycle and would add a logbook row
        # each time (the logbook skips only sensors with a unit or state class).
        entity_registry_enabled_default=False,
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda data: data.last_cycle,
    ),
    IgAutolikerSensorEntityDescription(
        key="next_cycle",
        translation_key="next_cycle",
        # Cycle bookkeeping: it changes every cycle and would add a logbook row
        # each time (the logbook skips only sensors with a unit or state class).
        entity_registry_enabled_default=False,
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda data: data.next_cycle,
    ),
    IgAutolikerSensorEntityDescription(
        key="effective_likes_per_hour",
        translation_key="effective_likes_per_hour",
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda data: data.effective_likes_per_hour,
    ),
    IgAutolikerSensorEntityDescription(
        key="effective_likes_per_day",
        translation_key="effective_likes_per_day",
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda data: data.effective_likes_per_day,
    ),
    IgAutolikerSensorEntityDescription(
        key="account_health",
        translation_key="account_health",
        device_class=SensorDeviceClass.ENUM,
        options=[health.value for health in Health],
        value_fn=lambda data: data.account_health,
        attrs_fn=health_reasons,
    ),
    IgAutolikerSensorEntityDescription(
        key="pace",
        translation_key="pace",
        entity_category=EntityCategory.DIAGNOSTIC,
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda data: data.pace_percent,
    ),
)

TARGET_SENSORS: tuple[IgAutolikerTargetSensorEntityDescription, ...] = (
    IgAutolikerTargetSensorEntityDescription(
        key="last_like",
        translation_key="last_like",
        # Each like is one logbook row already ("liked chef_demo's story",
        # logbook.py), and a timestamp sensor's every change is another: the
        # logbook skips only sensors with a unit or state class, which a timestamp
        # cannot have. The target page shows the like's time as the state of the
        # "Last liked media" image (image.py), which the logbook always skips.
        entity_registry_enabled_default=False,
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda target: target.last_like,
    ),
    # Totals, not total_increasing: a like a feed later shows dropped is taken back
    # out (engine/silent.py), and Home Assistant's statistics read a dip of more
    # than 10 % in a total_increasing sensor as a meter reset.
    IgAutolikerTargetSensorEntityDescription(
        key="stories_liked",
        translation_key="stories_liked",
        state_class=SensorStateClass.TOTAL,
        value_fn=lambda target: target.stories_liked,
    ),
    IgAutolikerTargetSensorEntityDescription(
        key="posts_liked",
        translation_key="posts_liked",
        state_class=SensorStateClass.TOTAL,
        value_fn=lambda target: target.posts_liked,
    ),
    IgAutolikerTargetSensorEntityDescription(
        key="last_checked",
        translation_key="last_checked",
        # Bookkeeping like the account's "Last cycle": it changes at every check
        # of every target, and the logbook would add a row each time (it skips
        # only sensors with a unit or state class, which a timestamp cannot have).
        entity_registry_enabled_default=False,
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda target: target.last_checked,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: IgAutolikerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the account's sensors and every target's sensors."""
    coordinator = entry.runtime_data
    async_add_entities(
        IgAutolikerSensor(coordinator, description) for description in ACCOUNT_SENSORS
    )

    def _target_sensors(
        coordinator: IgAutolikerCoordinator, target: Target
    ) -> list[IgAutolikerTargetSensor]:
        return [
            IgAutolikerTargetSensor(coordinator, target, description)
            for description in TARGET_SENSORS
        ]

    async_add_target_entities(entry, async_add_entities, _target_sensors)


class IgAutolikerSensor(IgAutolikerEntity, SensorEntity):
    """A sensor of the account device."""

    entity_description: IgAutolikerSensorEntityDescription

    @property
    def native_value(self) -> StateType:
        """The value from the coordinator's latest data."""
        return self.entity_description.value_fn(self.coordinator.data)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """The reasons behind the value, for the sensors that have them."""
        attrs_fn = self.entity_description.attrs_fn
        return None if attrs_fn is None else attrs_fn(self.coordinator.data)


class IgAutolikerTargetSensor(IgAutolikerTargetEntity, SensorEntity):
    """A sensor of a target device."""

    entity_description: IgAutolikerTargetSensorEntityDescription

    @property
    def _shown(self) -> TargetSnapshot:
        """The target's latest snapshot; every target with entities has one.

        The coordinator's data lists every configured target (built from the
        subentries before their entities are added, at setup and when one is
        added). A removed target's entities leave within `async_remove_subentry`:
        Home Assistant marks them removed there and writes no state of a removed
        entity, so nothing reads this afterwards (test_shutdown.py: a target
        removed while its like is in flight).
        """
        return self.coordinator.data.targets[self.target_pk]

    @property
    def native_value(self) -> StateType:
        """The value from the target's latest snapshot."""
        return self.entity_description.value_fn(self._shown)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Attributes beside the state, where the description has them."""
        if (attrs_fn := self.entity_description.attrs_fn) is None:
            return None
        return attrs_fn(self._shown)
