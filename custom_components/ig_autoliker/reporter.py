"""What the engine reports, shown in Home Assistant.

The engine tells its listener what happened (`engine/events.py`); this module turns
each event into what a user sees and automates on: a bus event (and so the event
entities and the logbook), a repair issue, a save, the entities' state. What changes
by time alone (a freeze or a backoff ends, the active hours begin or end) shows when
it happens, on a Home Assistant timer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.core import callback
from homeassistant.helpers.event import async_call_later
from homeassistant.util import dt as dt_util

from . import activity, issues
from .const import (
    EVENT_ACTION_BLOCKED,
    EVENT_CHALLENGE_REQUIRED,
    EVENT_LIKED,
    EVENT_REAUTH_REQUIRED,
)
from .engine.events import (
    Blocked,
    Changed,
    HealthChanged,
    Liked,
    Progress,
    SessionHealth,
)

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from .coordinator import IgAutolikerCoordinator
    from .engine.events import EngineEvent


class EngineReporter:
    """The engine's listener inside Home Assistant, for one account.

    Args:
        coordinator: The account's coordinator: its entry, store, policy and
            entities.

    """

    def __init__(self, coordinator: IgAutolikerCoordinator) -> None:
        """Hold the coordinator; nothing is shown yet."""
        self._coordinator = coordinator
        self._timer: Callable[[], None] | None = None
        #: The backoff end a timer is set for (Unix seconds), and its canceller.
        self._backoff_timer: tuple[float, Callable[[], None]] | None = None

    @callback
    def on_event(self, event: EngineEvent) -> None:
        """Turn an engine event into what Home Assistant shows."""
        coordinator = self._coordinator
        hass, entry = coordinator.hass, coordinator.config_entry
        match event:
            case Changed():
                coordinator.async_schedule_save()
            case Progress(target_pk=pk):
                coordinator.async_publish_progress(pk)
                self.follow_backoff()
            case Liked():
                activity.async_fire(hass, entry, EVENT_LIKED, {
                    "target": event.username,
                    "target_pk": event.target_pk,
                    "kind": event.kind.value,
                    "media_pk": event.media_pk,
                    "url": event.url,
                }, activity.liked_entity_id(hass, entry, event.target_pk))  # fmt: skip
            case Blocked(freeze=freeze):
                activity.async_fire(hass, entry, EVENT_ACTION_BLOCKED, {
                    "username": entry.title,
                    "kind": freeze.kind.value,
                    "until": dt_util.utc_from_timestamp(freeze.until).isoformat(),
                    "message": freeze.message,
                })  # fmt: skip
                self.sync_states()
                self._save_now()
            case HealthChanged(health=health, native=native):
                self._health_changed(health, native=native)

    @callback
    def _save_now(self) -> None:
        """Write the store now, not within its delay: a freeze must outlive a kill.

        The likes are on disk before they are sent; a freeze is the other thing a
        restart must not forget, or liking resumes inside it.
        """
        coordinator = self._coordinator
        entry = coordinator.config_entry
        entry.async_create_background_task(
            coordinator.hass,
            coordinator.store.async_save_data(coordinator.engine.state_to_save()),
            f"{entry.domain} save freeze {entry.title}",
        )

    @callback
    def _health_changed(self, health: SessionHealth, *, native: bool) -> None:
        coordinator = self._coordinator
        hass, entry = coordinator.hass, coordinator.config_entry
        username = entry.title
        if health is SessionHealth.HEALTHY:
            issues.async_session_healthy(hass, entry.entry_id)
            return
        if health is SessionHealth.CHALLENGE_REQUIRED:
            issues.async_challenge(hass, entry.entry_id, username, native=native)
            activity.async_fire(hass, entry, EVENT_CHALLENGE_REQUIRED, {
                "username": username, "confirm_in_app": native,
            })  # fmt: skip
        elif health is SessionHealth.SUSPENDED:
            issues.async_suspended(hass, entry.entry_id, username)
        elif health is not SessionHealth.ERROR:
            activity.async_fire(hass, entry, EVENT_REAUTH_REQUIRED, {
                "username": username, "reason": health.value,
            })  # fmt: skip
        # At once: a reauthentication may stay open for days.
        coordinator.async_publish_progress(None)

    @callback
    def sync_states(self, _now: datetime | None = None) -> None:
        """Show the freezes in force; wake up when a state changes by time alone.

        That is when the next freeze ends, the warm-up ends or the active hours
        begin or end: the entities change then, not at the next cycle, and a
        target added while liking was not allowed is checked as soon as it is.
        The timer runs on the engine's clock (a delay from now), as every wait of
        the engine does.
        """
        coordinator = self._coordinator
        hass, entry = coordinator.hass, coordinator.config_entry
        policy = coordinator.engine.policy
        freezes = policy.active_freezes()
        issues.async_sync_blocks(hass, entry.entry_id, entry.title, freezes)
        self.cancel()
        wakes = [freeze.until for freeze in freezes]
        if (change := policy.next_active_change()) is not None:
            wakes.append(change)
        if (warmed := policy.warmup_until) is not None:
            wakes.append(warmed)  # "Warming up" turns "OK"
        if wakes:
            delay = max(0.0, min(wakes) - coordinator.clock())
            self._timer = async_call_later(hass, delay, self.sync_states)
        if _now is not None:
            coordinator.async_publish()
            coordinator.async_check_unchecked()
        self.follow_backoff()  # `cancel` stopped its timer too

    @callback
    def follow_backoff(self) -> None:
        """Show the end of the limiter's backoff when it comes.

        A backoff starts with a throttled request (`Progress` follows); a timer on
        the engine's clock publishes at its end, so "Backoff" and "Rate-limit state"
        change then and not at the next cycle.
        """
        coordinator = self._coordinator
        until = coordinator.engine.limiter.backoff_until
        if self._backoff_timer is not None:
            if self._backoff_timer[0] == until:
                return
            self._backoff_timer[1]()
            self._backoff_timer = None
        if until is None:
            return

        @callback
        def _ended(_now: datetime) -> None:
            self._backoff_timer = None
            coordinator.async_publish()

        delay = max(0.0, until - coordinator.clock())
        self._backoff_timer = (until, async_call_later(coordinator.hass, delay, _ended))

    @callback
    def cancel(self) -> None:
        """Stop the timers of the next change by time and of the backoff (unload)."""
        if self._timer is not None:
            self._timer()
            self._timer = None
        if self._backoff_timer is not None:
            self._backoff_timer[1]()
            self._backoff_timer = None
