"""Binary sensor: Instagram asks for a challenge (checkpoint)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.components.binary_sensor import (  # type: ignore[attr-defined,unused-ignore]
    # In __init__ on 2026.6, re-exported from .const since; mypy sees the latter.
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)

from .entity import IgAutolikerEntity

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import IgAutolikerConfigEntry

PARALLEL_UPDATES = 0

CHALLENGE_REQUIRED = BinarySensorEntityDescription(
    key="challenge_required",
    translation_key="challenge_required",
    device_class=BinarySensorDeviceClass.PROBLEM,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: IgAutolikerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the challenge binary sensor of the account."""
    async_add_entities(
        [ChallengeRequiredBinarySensor(entry.runtime_data, CHALLENGE_REQUIRED)]
    )


class ChallengeRequiredBinarySensor(IgAutolikerEntity, BinarySensorEntity):
    """On while Instagram waits for the user to pass a checkpoint."""

    @property
    def is_on(self) -> bool:
        """True while the session is stopped by a challenge."""
        return self.coordinator.data.challenge_required
