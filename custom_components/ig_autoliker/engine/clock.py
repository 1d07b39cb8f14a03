# Copyright (C) 2026 the ig_autoliker authors. SPDX-License-Identifier: MIT
"""Time in the engine: Unix seconds from an injected clock.

Every engine class that needs the time takes a `Clock` and calls it, and every wait
goes through an injected `Sleep`; none reads the wall clock or sleeps by itself, so a
simulated week runs in seconds and every test gives the same answer at any hour.
Times are Unix seconds (floats), durations seconds.
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable
from typing import Any, Final

type Clock = Callable[[], float]
"""Returns the current time, Unix seconds."""

type Sleep = Callable[[float], Awaitable[None]]
"""Waits the given seconds without blocking anyone else (asyncio.sleep in HA)."""

#: One hour, seconds: the length of the hourly windows (spec section 8.2).
HOUR: Final = 3600.0
#: One day, seconds: the length of the sliding 24 h like window (spec section 8.2).
DAY: Final = 86400.0


def wall_clock() -> float:
    """Return the current Unix time in seconds.

    Looks `time.time` up on every call (instead of binding it as a default argument)
    so that tests freezing time with freezegun also move this clock.
    """
    return time.time()


def seconds_until(now: float, deadline: float | None) -> float:
    """Return how long from `now` until `deadline`, 0.0 when it has passed or is None.

    The result is nudged up so that `now + result >= deadline` holds: float
    subtraction can round down by an ulp, and a caller that advances its clock by
    the result must then find the deadline reached, not one ulp short.
    """
    if deadline is None or deadline <= now:
        return 0.0
    wait = deadline - now
    while now + wait < deadline:
        wait = math.nextafter(wait, math.inf)
    return wait


def stored_seconds(value: Any) -> float | None:
    """Return a stored time or duration as a finite float, None when it is none.

    The one parser of numbers read back from storage: bools, strings, NaN and
    infinities are no time, so a damaged store never schedules anything by them.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    result = float(value)
    return result if math.isfinite(result) else None
