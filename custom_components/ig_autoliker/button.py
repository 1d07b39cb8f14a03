"""Button: run a liking cycle now."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription

from .entity import IgAutolikerEntity

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import IgAutolikerConfigEntry

PARALLEL_UPDATES = 1

RUN_CYCLE = ButtonEntityDescription(key="run_cycle", translation_key="run_cycle")


async def async_setup_entry(
    hass: HomeAssistant,
    entry: IgAutolikerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the "Run cycle now" button of the account."""
    async_add_entities([RunCycleButton(entry.runtime_data, RUN_CYCLE)])


class RunCycleButton(IgAutolikerEntity, ButtonEntity):
    """Starts a cycle in the background; limits still apply."""

    async def async_press(self) -> None:
        """Start a cycle now."""
        self.coordinator.async_start_cycle()
