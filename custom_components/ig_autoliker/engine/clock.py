"""
Time as the engine sees it: Unix seconds from an injected clock.

Nothing in the engine reads the wall clock or sleeps by itself; the caller injects
both, so a simulated week runs in seconds and every test gives the same answer at
any hour.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Final

#: Seconds in an hour and in a day (the windows of spec section 8.2).
HOUR: Final = 3600.0
DAY: Final = 86400.0

#: Returns the current time, Unix seconds.
type Clock = Callable[[], float]
#: Waits the given seconds without blocking anyone else (asyncio.sleep in HA).
type Sleep = Callable[[float], Awaitable[None]]
