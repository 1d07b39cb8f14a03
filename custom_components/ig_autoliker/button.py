"""Button: run a liking cycle now."""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription

from .entity import IgAutolikerEntity

if TYPE_CHECKING:
    from collections.abc import Coroutine

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


def _discard(coro: Coroutine[Any, Any, Any]) -> None:
    """Close a coroutine that never ran, and the coroutines it was handed.

    The service layer wraps the press in a coroutine that takes the press's own
    coroutine as an argument; left unawaited, Python warns "coroutine ... was never
    awaited" for each when they are collected.
    """
    frame = getattr(coro, "cr_frame", None)  # a native coroutine's frame
    handed = [] if frame is None else list(frame.f_locals.values())
    coro.close()
    for value in handed:
        if inspect.iscoroutine(value):
            _discard(value)


class RunCycleButton(IgAutolikerEntity, ButtonEntity):
    """Starts a cycle in the background; limits still apply.

    A refused press must not show as "Pressed" in the logbook: Home Assistant's
    button writes the press time as its state *before* it calls `async_press`
    (`ButtonEntity._async_press_action`, final), so a refusal raised there comes
    too late. The entity service awaits the press through `async_request_call`
    (helpers/service.py), the one step of the entity before the state is written;
    the gate is asked there, and a refusal raises before the press is recorded.
    """

    async def async_request_call[T](self, coro: Coroutine[Any, Any, T]) -> T:
        """Refuse a press the gate would refuse, before the press is recorded.

        Raises:
            ServiceValidationError: The gate refused; the message says why and
                until when (the state keeps the last accepted press).

        """
        try:
            self.coordinator.async_check_start()
        except Exception:
            _discard(coro)
            raise
        return await super().async_request_call(coro)

    async def async_press(self) -> None:
        """Start a cycle now."""
        self.coordinator.async_start_cycle()
