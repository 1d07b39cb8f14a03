# Copyright (C) 2026 the ig_autoliker authors. SPDX-License-Identifier: MIT
"""
Home Assistant side of the account-safety policy (issue 10).

`policy.py` decides; this module tells the user: the `ig_autoliker_action_blocked`
event, a log line, a non-fixable repair issue per block that goes away when the
freeze ends, and the state the sensors show. It also builds the policy from the
entry's options and the store, and keeps the store's copy current.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.util import dt as dt_util

from . import activity
from .const import DEFAULT_OPTIONS, DOMAIN, EVENT_ACTION_BLOCKED, LOGGER
from .engine.exceptions import FeedbackRequired, PleaseWait
from .engine.safety import BlockKind, Freeze, FreezeScope, SafetyPolicy, SafetySettings
from .options import safety_settings_from_options

if TYPE_CHECKING:
    import random
    from collections.abc import Callable
    from datetime import datetime

    from homeassistant.config_entries import ConfigEntry

    from .engine.ratelimit import Limits
    from .store import StoredData

#: The "Rate-limit state" values this module adds (most severe first).
BLOCKED = "blocked"
SLEEPING = "sleeping"


def _utc(stamp: float) -> datetime:
    return dt_util.utc_from_timestamp(stamp)


def _issue_id(entry_id: str, kind: BlockKind) -> str:
    return f"action_blocked_{entry_id}_{kind.value}"


@callback
def async_delete_block_issues(hass: HomeAssistant, entry_id: str) -> None:
    """Remove the block notices of an account that was removed."""
    for kind in BlockKind:
        ir.async_delete_issue(hass, DOMAIN, _issue_id(entry_id, kind))


class SafetyGuard:
    """
    The account's safety policy plus what the user sees of it.

    Args:
        hass: Home Assistant.
        entry: The account's config entry (options: `const.OPTIONS`).
        stored: The entry's stored data; `stored.policy` is read and kept current.
        clock: The coordinator's clock, Unix seconds.
        on_change: Called when the state to save changed.
        on_publish: Called when what the entities show changed.

    """

    def __init__(  # noqa: PLR0913 - the collaborators, each named
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        stored: StoredData,
        *,
        clock: Callable[[], float],
        on_change: Callable[[], None],
        on_publish: Callable[[], None],
    ) -> None:
        """Restore the policy; a brand-new account starts its warm-up now."""
        self._hass = hass
        self._entry = entry
        self._stored = stored
        self._clock = clock
        self._on_change = on_change
        self._on_publish = on_publish
        settings = safety_settings_from_options({**DEFAULT_OPTIONS, **entry.options})
        new_account = not stored.policy and stored.last_cycle is None
        self.policy = SafetyPolicy.from_dict(
            stored.policy or None,
            settings,
            clock,
            dt_util.get_default_time_zone(),
            warmup_from=clock() if new_account else None,
        )
        self._timers: dict[BlockKind, Callable[[], None]] = {}
        self.save()

    @property
    def settings(self) -> SafetySettings:
        """The safety options in force."""
        return self.policy.settings

    def save(self) -> None:
        """Copy the policy's state into the stored data (the caller saves)."""
        self._stored.policy = self.policy.as_dict()

    # -- decisions ---------------------------------------------------------------

    def likes_allowed(self, within: float = 0.0) -> bool:
        """
        Tell whether a like (or story view) may be sent now.

        Args:
            within: Seconds until it would be sent (its pauses); it must still
                fall inside the active hours then.

        """
        return self.policy.frozen_until(
            FreezeScope.LIKES
        ) is None and not self.policy.sleeping(within)

    def requests_allowed(self) -> bool:
        """Tell whether requests may be sent (no "Please wait" freeze)."""
        return self.policy.frozen_until(FreezeScope.ALL) is None

    def effective_limits(self, limits: Limits) -> Limits:
        """Return the limits to enforce now (like limits scaled by the warm-up)."""
        return self.policy.effective_limits(limits)

    def next_cycle_delay(self, interval: float, rng: random.Random) -> float:
        """Seconds until the next cycle: jittered, inside the active hours."""
        return self.policy.next_cycle_delay(interval, rng)

    def rate_limit_state(self, limiter_state: str, *, auto_like: bool) -> str:
        """Return "Rate-limit state": blocked, paused, sleeping or the limiter's."""
        if self.policy.blocked_until is not None:
            return BLOCKED
        if not auto_like:
            return "paused"
        if self.policy.sleeping():
            return SLEEPING
        return limiter_state

    # -- events ------------------------------------------------------------------

    @callback
    def like_succeeded(self) -> None:
        """Note a like: the first after a freeze starts the warm-up ramp."""
        self.policy.like_succeeded()
        self.save()

    @callback
    def async_blocked(self, err: FeedbackRequired | PleaseWait) -> Freeze:
        """
        Freeze after Instagram's block and tell the user.

        Args:
            err: The block (`feedback_required` or "Please wait a few minutes").

        Returns:
            The freeze now in force.

        """
        if isinstance(err, FeedbackRequired):
            freeze = self.policy.feedback_required(err.feedback_message)
        else:
            freeze = self.policy.please_wait(err.instagram_message, err.retry_after)
        LOGGER.warning(
            "Instagram blocked %s (%s: %s); %s frozen until %s",
            self._entry.title,
            freeze.kind,
            freeze.message or "no message",
            freeze.scope,
            _utc(freeze.until).isoformat(),
        )
        activity.async_fire(
            self._hass,
            self._entry,
            EVENT_ACTION_BLOCKED,
            {
                "username": self._entry.title,
                "kind": freeze.kind.value,
                "until": _utc(freeze.until).isoformat(),
                "message": freeze.message,
            },
        )
        self._show(freeze)
        self.save()
        self._on_change()
        return freeze

    def _issue_id(self, kind: BlockKind) -> str:
        return _issue_id(self._entry.entry_id, kind)

    @callback
    def _show(self, freeze: Freeze) -> None:
        """Create (or update) the repair issue and the timer that ends it."""
        until = dt_util.as_local(_utc(freeze.until))
        ir.async_create_issue(
            self._hass,
            DOMAIN,
            self._issue_id(freeze.kind),
            is_fixable=False,
            is_persistent=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=f"action_blocked_{freeze.kind.value}",
            translation_placeholders={
                "username": self._entry.title,
                "until": until.strftime("%Y-%m-%d %H:%M"),
                "message": freeze.message or freeze.kind.value,
            },
        )
        if (cancel := self._timers.pop(freeze.kind, None)) is not None:
            cancel()
        self._timers[freeze.kind] = async_track_point_in_utc_time(
            self._hass, self._timer_fired, _utc(freeze.until)
        )

    @callback
    def _timer_fired(self, _now: datetime) -> None:
        self.async_update()

    @callback
    def async_update(self) -> None:
        """Show every freeze in force; remove the issues of the freezes that ended."""
        active = {freeze.kind: freeze for freeze in self.policy.active_freezes()}
        for kind in BlockKind:
            if kind in active:
                if kind not in self._timers:  # restored after a restart
                    self._show(active[kind])
                continue
            if (cancel := self._timers.pop(kind, None)) is not None:
                cancel()
            ir.async_delete_issue(self._hass, DOMAIN, self._issue_id(kind))
        self.save()
        self._on_publish()

    @callback
    def async_unload(self) -> None:
        """Cancel the timers (the issues stay until the freeze ends)."""
        for cancel in self._timers.values():
            cancel()
        self._timers.clear()
