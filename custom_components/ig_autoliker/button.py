"""Buttons: run a liking cycle now (account); like now (each target)."""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.exceptions import ServiceValidationError

from .const import DOMAIN
from .entity import (
    IgAutolikerEntity,
    IgAutolikerTargetEntity,
    async_add_target_entities,
)

if TYPE_CHECKING:
    from collections.abc import Coroutine

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import IgAutolikerConfigEntry, IgAutolikerCoordinator
    from .targets import SubentryTarget as Target

PARALLEL_UPDATES = 1

RUN_CYCLE = ButtonEntityDescription(key="run_cycle", translation_key="run_cycle")
LIKE_NOW = ButtonEntityDescription(key="like_now", translation_key="like_now")


async def async_setup_entry(
    hass: HomeAssistant,
    entry: IgAutolikerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the "Run cycle now" button of the account and each target's "Like now"."""
    async_add_entities([RunCycleButton(entry.runtime_data, RUN_CYCLE)])

    def _like_now(
        coordinator: IgAutolikerCoordinator, target: Target
    ) -> list[LikeNowButton]:
        return [LikeNowButton(coordinator, target, LIKE_NOW)]

    async_add_target_entities(entry, async_add_entities, _like_now)


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


class LikeNowButton(IgAutolikerTargetEntity, ButtonEntity):
    """Checks one target now and likes what is new, within the limits.

    The press goes the way of a newly added target (`Engine.async_check_targets`
    through `async_check_unchecked`): both feeds are fetched whatever their last
    check, under the cycle lock, through the one gate. While a run holds the lock
    the target waits among the unchecked ones. A refusal raises before the press
    is recorded, as for "Run cycle now" (`RunCycleButton`).
    """

    async def async_request_call[T](self, coro: Coroutine[Any, Any, T]) -> T:
        """Refuse a press the gate would refuse, or for a target switched off.

        Raises:
            ServiceValidationError: The gate refused (why, until when), or the
                target is switched off.

        """
        try:
            self.coordinator.async_check_start()
            self._check_enabled()
        except Exception:
            _discard(coro)
            raise
        return await super().async_request_call(coro)

    def _check_enabled(self) -> None:
        """Raise ServiceValidationError when the target is switched off."""
        target = self.target
        if target is not None and not target.enabled:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="like_now_switched_off",
                translation_placeholders={"target": target.username},
            )

    async def async_press(self) -> None:
        """Check this target now."""
        self.coordinator.engine.unchecked.add(self.target_pk)
        self.coordinator.async_check_unchecked()
