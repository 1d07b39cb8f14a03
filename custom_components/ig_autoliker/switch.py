"""Switches: Auto-like for the account; Enabled, Like stories, Like posts per target."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from homeassistant.components.switch import (  # type: ignore[attr-defined,unused-ignore]
    # Re-exported from .const since 2026.10 (mypy sees that); core imports it here.
    SwitchDeviceClass,
    SwitchEntity,
    SwitchEntityDescription,
)
from homeassistant.const import EntityCategory

from .const import CONF_ENABLED, CONF_LIKE_POSTS, CONF_LIKE_STORIES
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
    from .targets import SubentryTarget as Target

PARALLEL_UPDATES = 0

AUTO_LIKE = SwitchEntityDescription(
    key="auto_like",
    translation_key="auto_like",
    # The one switch of the integration with a device class, so that a blueprint's
    # entity selector can offer it alone: selectors filter by integration, domain,
    # device class, supported features or unit, not by translation key.
    device_class=SwitchDeviceClass.SWITCH,
)


@dataclass(frozen=True, kw_only=True)
class IgAutolikerTargetSwitchEntityDescription(SwitchEntityDescription):
    """A target switch: which subentry data key it stores and how to read it."""

    data_key: str
    value_fn: Callable[[Target], bool]


TARGET_SWITCHES: tuple[IgAutolikerTargetSwitchEntityDescription, ...] = (
    IgAutolikerTargetSwitchEntityDescription(
        key="enabled",
        translation_key="enabled",
        data_key=CONF_ENABLED,
        value_fn=lambda target: target.enabled,
    ),
    IgAutolikerTargetSwitchEntityDescription(
        key="like_stories",
        translation_key="like_stories",
        entity_category=EntityCategory.CONFIG,
        data_key=CONF_LIKE_STORIES,
        value_fn=lambda target: target.like_stories,
    ),
    IgAutolikerTargetSwitchEntityDescription(
        key="like_posts",
        translation_key="like_posts",
        entity_category=EntityCategory.CONFIG,
        data_key=CONF_LIKE_POSTS,
        value_fn=lambda target: target.like_posts,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: IgAutolikerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the Auto-like switch and every target's switches."""
    async_add_entities([AutoLikeSwitch(entry.runtime_data, AUTO_LIKE)])

    def _target_switches(
        coordinator: IgAutolikerCoordinator, target: Target
    ) -> list[TargetSwitch]:
        return [
            TargetSwitch(coordinator, target, description)
            for description in TARGET_SWITCHES
        ]

    async_add_target_entities(entry, async_add_entities, _target_switches)


class AutoLikeSwitch(IgAutolikerEntity, SwitchEntity):
    """Pauses (off) or resumes (on) all liking of the account."""

    @property
    def is_on(self) -> bool:
        """True while liking is not paused."""
        return self.coordinator.data.auto_like

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Resume liking."""
        self.coordinator.async_set_auto_like(enabled=True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Pause liking; a cycle in flight stops before its next like."""
        self.coordinator.async_set_auto_like(enabled=False)


class TargetSwitch(IgAutolikerTargetEntity, SwitchEntity):
    """A per-target switch stored in the target's subentry data."""

    entity_description: IgAutolikerTargetSwitchEntityDescription

    @property
    def available(self) -> bool:
        """Switches stay usable while the target is in error, to turn it off."""
        return self.target is not None

    @property
    def is_on(self) -> bool | None:
        """The setting as stored in the subentry."""
        if (target := self.target) is None:
            return None
        return self.entity_description.value_fn(target)

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Switch the setting on."""
        self._store(value=True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Switch the setting off."""
        self._store(value=False)

    def _store(self, *, value: bool) -> None:
        entry = self.coordinator.config_entry
        subentry = entry.subentries[self.subentry_id]
        self.hass.config_entries.async_update_subentry(
            entry,
            subentry,
            data={**subentry.data, self.entity_description.data_key: value},
        )
