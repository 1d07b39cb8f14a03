# Copyright (C) 2026 the ig_autoliker authors. SPDX-License-Identifier: MIT
"""Rate limiter: sliding windows, jittered delays and backoff (spec section 8.2, 8.5).

Pure Python: no Home Assistant import, no I/O and no sleeping. The clock and the
randomness are injected, so the limiter only *decides*; the coordinator waits on the
event loop for as long as `seconds_until_allowed()` or a `*_delay()` tells it.

Windows slide: every action is stored as its Unix timestamp (seconds) and counts
toward a window of `W` seconds while `timestamp + W > now`. Boundary rule: an action
recorded at `t` stops counting at exactly `t + W`, so a like at t=0 frees its hourly
slot at t=3600.0 (and its daily slot at t=86400.0).

Windows (limits from `Limits`, defaults from spec section 8.2):

| Action       | Window (s) | Limit                     |
|--------------|------------|---------------------------|
| REQUEST      | 3600       | max_requests_per_hour     |
| LIKE         | 3600       | max_likes_per_hour        |
| LIKE         | 86400      | max_likes_per_day         |
| STORY_VIEW   | 3600       | max_story_views_per_hour  |

A LIKE does not take a REQUEST slot: the coordinator records the HTTP requests a like
costs itself, with `record(Action.REQUEST, n)`.

`RateLimiter` composes the timestamps (`windows.SlidingWindows`), the backoff
(`backoff.Backoff`) and the jitter (`jittered()`); its storage layout is here.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any, Final, Self

from .backoff import Backoff
from .clock import DAY, HOUR, Clock, stored_seconds, wall_clock
from .windows import SlidingWindows

#: Version of the `RateLimiter.as_dict()` layout (a part of the store's entry data).
LIMITER_STATE_VERSION: Final = 1
#: A backoff restored from storage never lasts longer than this, seconds; guards
#: against a corrupt store blocking the integration forever.
MAX_RESTORED_BACKOFF: Final = DAY


@dataclass(frozen=True, slots=True)
class Limits:
    """The rate limits and delays the limiter enforces (defaults: spec section 8.2).

    Attributes:
        delay_between_requests: Pause between two HTTP requests, seconds.
        delay_between_likes: Pause between two likes, seconds.
        delay_between_accounts: Pause between two target accounts, seconds.
        jitter_percent: Random spread of every delay, percent (30 -> +-30 %), 0..100.
        max_requests_per_hour: HTTP requests per sliding 3600 s window, count.
        max_likes_per_hour: Likes per sliding 3600 s window, count.
        max_story_views_per_hour: Story views per sliding 3600 s window, count.
        max_likes_per_day: Likes per sliding 86400 s window, count.
        backoff_base: Wait after the first failure, seconds.
        backoff_max: Longest exponential wait, seconds (a longer `retry_after` from
            Instagram still wins).
        backoff_multiplier: Factor between two consecutive waits (>= 1).

    Raises:
        ValueError: A value is negative or not finite, `jitter_percent` exceeds 100
            or `backoff_multiplier` is below 1.

    """

    delay_between_requests: float = 2.0
    delay_between_likes: float = 3.0
    delay_between_accounts: float = 10.0
    jitter_percent: int = 30
    max_requests_per_hour: int = 150
    max_likes_per_hour: int = 40
    max_story_views_per_hour: int = 150
    max_likes_per_day: int = 800
    backoff_base: float = 60.0
    backoff_max: float = 3600.0
    backoff_multiplier: float = 2.0

    def __post_init__(self) -> None:
        """Reject values that would make the limiter meaningless."""
        for field in fields(self):
            value = getattr(self, field.name)
            if not math.isfinite(value) or value < 0:
                msg = f"{field.name} must be a finite number >= 0, got {value!r}"
                raise ValueError(msg)
        if self.jitter_percent > 100:  # noqa: PLR2004 - a percentage
            msg = f"jitter_percent must be <= 100, got {self.jitter_percent!r}"
            raise ValueError(msg)
        if self.backoff_multiplier < 1:
            msg = f"backoff_multiplier must be >= 1, got {self.backoff_multiplier!r}"
            raise ValueError(msg)


class Action(StrEnum):
    """Something the limiter counts; each has its own windows (module docstring)."""

    REQUEST = "request"
    LIKE = "like"
    STORY_VIEW = "story_view"


class LimitState(StrEnum):
    """What holds the limiter back right now, most severe first.

    The user-facing fifth state "paused" is decided by the coordinator, not here.
    """

    OK = "ok"
    THROTTLED = "throttled"
    BACKOFF = "backoff"
    DAILY_LIMIT = "daily_limit"


#: How long each action's timestamps are kept, seconds (its longest window).
_RETENTION: Final[dict[Action, float]] = {
    Action.REQUEST: HOUR,
    Action.LIKE: DAY,
    Action.STORY_VIEW: HOUR,
}

#: Key of each action's timestamp list in `as_dict()`, in the stored order.
_STORAGE_KEYS: Final[dict[Action, str]] = {
    Action.REQUEST: "requests",
    Action.LIKE: "likes",
    Action.STORY_VIEW: "story_views",
}


def _limit_windows(limits: Limits, action: Action) -> tuple[tuple[float, int], ...]:
    """Return `(window seconds, limit count)` of `action`'s windows, hourly first."""
    if action is Action.LIKE:
        return ((HOUR, limits.max_likes_per_hour), (DAY, limits.max_likes_per_day))
    if action is Action.STORY_VIEW:
        return ((HOUR, limits.max_story_views_per_hour),)
    return ((HOUR, limits.max_requests_per_hour),)


def _check_count(count: int) -> None:
    """Raise ValueError for a negative count."""
    if count < 0:
        msg = f"count must be >= 0, got {count!r}"
        raise ValueError(msg)


def jittered(base: float, jitter_percent: float, rng: random.Random) -> float:
    """Return `base` spread uniformly by +-`jitter_percent` (spec section 8.2).

    Example: base 3.0 s with 30 % jitter gives a value in 2.1..3.9 s.

    Args:
        base: The nominal delay, seconds, >= 0.
        jitter_percent: The spread, percent, 0..100.
        rng: Source of the randomness.

    Returns:
        A delay in `[base * (1 - j), base * (1 + j)]`, j = jitter_percent / 100.

    Raises:
        ValueError: `base` is negative or not finite.

    """
    if not math.isfinite(base) or base < 0:
        msg = f"base must be a finite number >= 0, got {base!r}"
        raise ValueError(msg)
    spread = jitter_percent / 100
    low, high = base * (1 - spread), base * (1 + spread)
    # uniform() may overshoot `high` by an ulp through rounding; clamp.
    return min(max(rng.uniform(low, high), low), high)


class RateLimiter:
    """Sliding-window rate limiter with jittered delays and exponential backoff.

    Implements spec section 8.2 ("Rate-Limiting") and the exponential retry of
    section 8.5 by composing `SlidingWindows` (keyed by `Action`) and `Backoff`;
    reads its clock once per call and hands `now` to both. Purges expired timestamps
    lazily on every call, so each window holds at most its limit plus whatever was
    recorded beyond it.

    Args:
        limits: The limits to enforce.
        clock: Returns the current Unix time, seconds. Defaults to `time.time`.
        rng: Source of jitter. Defaults to a fresh, OS-seeded `random.Random`.

    """

    def __init__(
        self,
        limits: Limits,
        clock: Clock = wall_clock,
        rng: random.Random | None = None,
    ) -> None:
        """Create an empty limiter (no history, no backoff)."""
        self._limits = limits
        self._clock = clock
        self._rng = rng if rng is not None else random.Random()  # noqa: S311 - jitter
        self._windows = SlidingWindows(_RETENTION)
        self._backoff = Backoff()

    # -- configuration -----------------------------------------------------------

    @property
    def limits(self) -> Limits:
        """The limits currently enforced."""
        return self._limits

    def update_limits(self, limits: Limits) -> None:
        """Enforce new limits (options changed); the recorded history is kept.

        Args:
            limits: The new limits; apply from the next call on.

        """
        self._limits = limits

    # -- windows -----------------------------------------------------------------

    def record(self, action: Action, count: int = 1) -> None:
        """Count `count` actions as happening now.

        Records what did happen, whether or not `allows()` said yes: the windows then
        stay blocked until those extra actions have slid out.

        Args:
            action: What happened.
            count: How many of it, >= 0.

        Raises:
            ValueError: `count` is negative.

        """
        _check_count(count)
        self._windows.record(action, count, self._clock())

    def forget(self, action: Action, at: float) -> bool:
        """Take back one `action` that turned out not to have happened.

        For a like whose answer was lost: counted when sent (it may have landed),
        taken back when the feed shows it did not.

        Args:
            action: What was recorded.
            at: Unix seconds at or just before it was recorded; the first one
                recorded from then on is removed.

        Returns:
            False when none recorded since `at` is kept (taken back already, or
            it has left every window).

        """
        return self._windows.forget(action, at, self._clock())

    def count(self, action: Action, window: float = HOUR) -> int:
        """Return how many `action`s happened in the last `window` seconds.

        Args:
            action: Which action to count.
            window: Length of the window, seconds; 86400 gives the likes per day.
                History is kept for 3600 s (REQUEST, STORY_VIEW) or 86400 s (LIKE):
                a longer window counts the whole kept history (e.g. "likes since
                local midnight" on a 25-hour DST day); a window <= 0 counts 0.

        Returns:
            The count; an action recorded at `t` counts while `t + window > now`.

        Raises:
            ValueError: `window` is NaN.

        """
        return self._windows.count(action, window, self._clock())

    def allows(self, action: Action, count: int = 1) -> bool:
        """Tell whether `count` more `action`s may happen now.

        Args:
            action: The action about to happen.
            count: How many of it, >= 0.

        Returns:
            True when no backoff is active and `count` more fit into every window
            `action` belongs to (see the module docstring).

        Raises:
            ValueError: `count` is negative.

        """
        return self.seconds_until_allowed(action, count) == 0.0

    def seconds_until_allowed(self, action: Action, count: int = 1) -> float:
        """Return how long to wait until `allows(action, count)` becomes True.

        Assumes nothing else is recorded meanwhile. The answer is exact: at
        `now + result` the oldest entries that have to go have left their windows
        and any backoff has ended.

        Args:
            action: The action about to happen.
            count: How many of it, >= 0.

        Returns:
            Seconds, 0.0 when allowed now; `math.inf` when `count` exceeds a limit
            outright (it can never fit).

        Raises:
            ValueError: `count` is negative.

        """
        _check_count(count)
        now = self._clock()
        wait = self._backoff.remaining(now)
        for window, limit in _limit_windows(self._limits, action):
            fits = self._windows.seconds_until_fits(action, window, limit, count, now)
            wait = max(wait, fits)
        return wait

    def seconds_until_fits(
        self, action: Action, window: float, limit: int, count: int = 1
    ) -> float:
        """Return how long until `count` more `action`s fit under `limit` per `window`.

        For a limit stricter than the configured ones (a safety policy's warm-up
        cap); the configured limits and any backoff are not considered here.

        Args:
            action: The action about to happen.
            window: Window length, seconds (at most the action's kept history:
                3600 s for requests and story views, 86400 s for likes).
            limit: Most actions allowed per window, count.
            count: How many are about to happen, >= 0.

        Returns:
            Seconds, 0.0 when they fit now; `math.inf` when `count > limit`.

        Raises:
            ValueError: `count` is negative.

        """
        _check_count(count)
        now = self._clock()
        return self._windows.seconds_until_fits(action, window, limit, count, now)

    def like_wait(self, limits: Limits) -> float:
        """Return how long until one more like fits under `limits`' like limits.

        For like limits stricter than the configured ones (the safety policy's
        warm-up and pace, `SafetyPolicy.effective_limits`); as `seconds_until_fits`
        for the hourly and the daily window.

        Args:
            limits: The limits; only `max_likes_per_hour` and `max_likes_per_day`
                are read.

        Returns:
            Seconds, 0.0 when a like fits now.

        """
        return max(
            self.seconds_until_fits(Action.LIKE, HOUR, limits.max_likes_per_hour),
            self.seconds_until_fits(Action.LIKE, DAY, limits.max_likes_per_day),
        )

    def state(self) -> LimitState:
        """Return what holds the limiter back right now.

        Returns:
            BACKOFF while a backoff is active, else DAILY_LIMIT when the 24 h like
            window is full, else THROTTLED when any hourly window is full, else OK.

        """
        now = self._clock()
        if self._backoff.remaining(now) > 0:
            return LimitState.BACKOFF
        windows, limits = self._windows, self._limits
        if windows.count(Action.LIKE, DAY, now) >= limits.max_likes_per_day:
            return LimitState.DAILY_LIMIT
        for action in Action:
            window, limit = _limit_windows(limits, action)[0]
            if windows.count(action, window, now) >= limit:
                return LimitState.THROTTLED
        return LimitState.OK

    # -- delays ------------------------------------------------------------------

    def jittered(self, base: float) -> float:
        """Return `base` spread uniformly by +-`jitter_percent` of the limits.

        See the module function `jittered`, which this calls with the limiter's
        random source.

        Raises:
            ValueError: `base` is negative or not finite.

        """
        return jittered(base, self._limits.jitter_percent, self._rng)

    def request_delay(self) -> float:
        """Return the jittered pause before the next HTTP request, seconds."""
        return self.jittered(self._limits.delay_between_requests)

    def like_delay(self) -> float:
        """Return the jittered pause before the next like, seconds."""
        return self.jittered(self._limits.delay_between_likes)

    def account_delay(self) -> float:
        """Return the jittered pause before the next target account, seconds."""
        return self.jittered(self._limits.delay_between_accounts)

    # -- backoff -----------------------------------------------------------------

    @property
    def backoff_until(self) -> float | None:
        """Unix time (seconds) the active backoff ends, None when none is active."""
        return self._backoff.active_until(self._clock())

    @property
    def consecutive_failures(self) -> int:
        """Failures registered since the last success, count."""
        return self._backoff.failures

    def register_failure(self, retry_after: float | None = None) -> float:
        """Start a backoff after a rate limit or failure (spec sections 8.2 and 8.5).

        The n-th consecutive failure (n from 0) waits
        `min(backoff_max, backoff_base * backoff_multiplier ** n)`: 60, 120, 240, ...,
        capped at 3600 s with the defaults. When Instagram named a `retry_after`, the
        wait is never shorter than it, even beyond `backoff_max`. A backoff already
        running is never shortened.

        Args:
            retry_after: Seconds Instagram asked to wait, or None. A negative or
                non-finite value is ignored.

        Returns:
            Seconds until the backoff ends (the wait above, or longer when an
            earlier backoff runs longer).

        """
        return self._backoff.register_failure(self._limits, self._clock(), retry_after)

    def register_success(self) -> None:
        """Reset the failure count; clear the backoff when it has ended."""
        self._backoff.register_success(self._clock())

    # -- persistence -------------------------------------------------------------

    def as_dict(self) -> dict[str, Any]:
        """Return the state to persist, JSON-safe.

        Returns:
            `{"version": 1, "requests": [...], "likes": [...], "story_views": [...],
            "backoff_until": float | None, "consecutive_failures": int}`; the lists
            hold Unix timestamps (seconds, rounded to ms), oldest first, only those
            still inside their windows; "likes" covers the 24 h window.

        """
        now = self._clock()
        self._windows.purge(now)
        data: dict[str, Any] = {"version": LIMITER_STATE_VERSION}
        for action, key in _STORAGE_KEYS.items():
            data[key] = [round(stamp, 3) for stamp in self._windows.events[action]]
        data["backoff_until"] = self._backoff.active_until(now)
        data["consecutive_failures"] = self._backoff.failures
        return data

    @classmethod
    def from_dict(
        cls,
        data: Any,
        limits: Limits,
        clock: Clock = wall_clock,
        rng: random.Random | None = None,
        known: Mapping[Action, Iterable[float]] | None = None,
    ) -> Self:
        """Restore a limiter saved by `as_dict()`; never raises on bad data.

        Entries older than their window are dropped. Malformed parts start empty:
        a timestamp that is not a finite number is skipped, a list that is not a list
        is ignored, a bad `backoff_until` means no backoff, a bad
        `consecutive_failures` means 0. Timestamps in the future (a corrupt store or
        a clock set back) count as now; a restored backoff lasts at most
        max(backoff_max, 86400 s).

        `known` adds what another record holds (the like ledger): each stamp the
        saved window lacks is counted, one already there (within
        `windows.SAME_ACTION`) is not counted twice (`SlidingWindows.merge`).

        Args:
            data: What `as_dict()` returned, after a JSON round trip, or anything.
            limits: The limits to enforce.
            clock: As for the constructor.
            rng: As for the constructor.
            known: Per action, Unix seconds of actions known to have happened;
                those past the action's retention are dropped like saved ones.

        Returns:
            The restored limiter.

        """
        limiter = cls(limits, clock, rng)
        saved: Mapping[str, Any] = data if isinstance(data, Mapping) else {}
        now = clock()
        for action, key in _STORAGE_KEYS.items():
            raw = saved.get(key)
            if isinstance(raw, list):
                stamps = (stored_seconds(item) for item in raw)
                valid = [stamp for stamp in stamps if stamp is not None]
                limiter._windows.restore(action, valid, now)
            if known is not None and action in known:
                limiter._windows.merge(action, known[action], now)
        failures = saved.get("consecutive_failures")
        if not isinstance(failures, int) or isinstance(failures, bool):
            failures = 0
        longest = max(limits.backoff_max, MAX_RESTORED_BACKOFF)
        until = stored_seconds(saved.get("backoff_until"))
        limiter._backoff.restore(until, failures, now, longest)
        return limiter
