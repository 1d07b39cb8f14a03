# Copyright (C) 2026 the ig_autoliker authors. SPDX-License-Identifier: MIT
"""Sliding windows: the timestamps of counted actions, for `RateLimiter` (spec 8.2).

An action recorded at `t` counts toward a window of `W` seconds while `t + W > now`,
so it stops counting at exactly `t + W`. Clockless: every method takes `now` (Unix
seconds); the limiter reads its clock once per call and passes it on.
"""

from __future__ import annotations

import math
from bisect import bisect_left, insort
from collections import deque
from typing import TYPE_CHECKING, Final

from .clock import seconds_until

if TYPE_CHECKING:
    from collections.abc import Hashable, Iterable, Mapping, Sequence

#: Two stamps closer than this, seconds, are one action written down twice (the
#: limiter keeps milliseconds and its owner reads the clock again microseconds
#: later); two likes are never this close: the shortest pause between two likes is
#: 0.1 s (the 1 s minimum at 90 % jitter, `const.py`).
SAME_ACTION: Final = 0.05


class SlidingWindows[K: Hashable]:
    """Timestamps of each kind of action, kept as long as its longest window.

    Invariants: each kind's deque is sorted ascending; after `purge(now)` it holds
    only timestamps with `timestamp + retention > now`. Every public method purges
    first (`restore` keeps only what is inside), so memory stays bounded by what
    the windows can still count.

    Args:
        retention: Each kind of action and how long its timestamps are kept,
            seconds (its longest window).

    Attributes:
        events: Each kind's timestamps, Unix seconds, oldest first.

    """

    def __init__(self, retention: Mapping[K, float]) -> None:
        """Start with no history."""
        self._retention = dict(retention)
        self.events: dict[K, deque[float]] = {kind: deque() for kind in retention}

    def purge(self, now: float) -> None:
        """Drop every timestamp that has left its kind's longest window."""
        for kind, events in self.events.items():
            retention = self._retention[kind]
            while events and events[0] + retention <= now:
                events.popleft()

    def _inside(self, kind: K, window: float, now: float) -> int:
        """Count timestamps with `timestamp + window > now` (purged history only)."""
        counted = 0
        for stamp in reversed(self.events[kind]):
            if stamp + window <= now:
                break
            counted += 1
        return counted

    def record(self, kind: K, count: int, now: float) -> None:
        """Add `count` timestamps `now` (`count` >= 0; the caller checks it)."""
        self.purge(now)
        events = self.events[kind]
        for _ in range(count):
            if not events or events[-1] <= now:
                events.append(now)
            else:  # the clock went backwards: keep the deque sorted
                insort(events, now)

    def forget(self, kind: K, at: float, now: float) -> bool:
        """Remove the first timestamp at or after `at`; False when there is none."""
        self.purge(now)
        events = self.events[kind]
        index = bisect_left(events, at)
        if index == len(events):
            return False
        del events[index]
        return True

    def count(self, kind: K, window: float, now: float) -> int:
        """Return how many timestamps have `timestamp + window > now`.

        A window longer than the retention counts the whole kept history; a window
        <= 0 counts 0.

        Raises:
            ValueError: `window` is NaN.

        """
        if math.isnan(window):
            msg = "window must be a number of seconds, got nan"
            raise ValueError(msg)
        self.purge(now)
        return self._inside(kind, window, now)

    def seconds_until_fits(
        self, kind: K, window: float, limit: int, count: int, now: float
    ) -> float:
        """Return how long until `count` more fit under `limit` per `window`.

        Exact, assuming nothing else is recorded meanwhile: at `now + result` the
        oldest entries that have to go have left the window. 0.0 when they fit now,
        `math.inf` when `count > limit` (they never fit).
        """
        if count > limit:
            return math.inf
        self.purge(now)
        inside = self._inside(kind, window, now)
        excess = inside + count - limit
        if excess <= 0:
            return 0.0
        # The `excess` oldest entries inside the window have to leave it.
        events = self.events[kind]
        oldest_needed = events[len(events) - inside + excess - 1]
        return seconds_until(now, oldest_needed + window)

    def restore(self, kind: K, stamps: Iterable[float], now: float) -> None:
        """Fill the empty history of `kind` from storage, minus stamps past retention.

        A timestamp in the future (a corrupt store, or a clock set back) counts as
        `now`.
        """
        self.events[kind] = deque(self._kept(kind, stamps, now))

    def merge(self, kind: K, stamps: Iterable[float], now: float) -> int:
        """Add the stamps of `kind` that the history lacks (`missing_stamps`).

        Stamps past retention drop and future ones count as `now`, as in
        `restore`; a stamp matching one already held is that same action.

        Returns:
            How many were added.

        """
        self.purge(now)
        events = self.events[kind]
        missing = missing_stamps(events, self._kept(kind, stamps, now))
        if missing:
            self.events[kind] = deque(sorted([*events, *missing]))
        return len(missing)

    def _kept(self, kind: K, stamps: Iterable[float], now: float) -> list[float]:
        """Sorted stamps inside `kind`'s retention, future ones moved to `now`."""
        retention = self._retention[kind]
        return sorted(min(stamp, now) for stamp in stamps if stamp + retention > now)


def missing_stamps(
    held: Sequence[float], known: Iterable[float], tolerance: float = SAME_ACTION
) -> list[float]:
    """Return the stamps of `known` that `held` lacks, each held stamp matched once.

    A known stamp within `tolerance` of a held one that no other known stamp has
    matched yet is that same action; the rest are missing. Pure: a merge of two
    records of the same actions (a limiter's saved window and the like ledger)
    counts each action once, and never drops one that only one record holds.

    Args:
        held: Unix seconds already counted, any order.
        known: Unix seconds known from elsewhere, any order.
        tolerance: Largest gap between two stamps of one action, seconds, >= 0.

    Returns:
        The missing stamps of `known`, ascending; `len(held) + len(result)` is
        at least `len(known)` and at most `len(held) + len(known)`.

    """
    wanted = sorted(known)
    have = sorted(held)
    missing: list[float] = []
    index = 0
    for stamp in wanted:
        # Held stamps too early to match this (or any later) known stamp.
        while index < len(have) and have[index] < stamp - tolerance:
            index += 1
        if index < len(have) and have[index] <= stamp + tolerance:
            index += 1  # matched: the same action
        else:
            missing.append(stamp)
    return missing
