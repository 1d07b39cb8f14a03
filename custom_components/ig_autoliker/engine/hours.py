"""The active hours: when, in the account's local wall-clock time, liking may happen.

Pure functions of a `SafetySettings` and an aware local time. Wall-clock arithmetic
in the local zone, so 08:00 stays 08:00 across a daylight-saving change.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .safety import SafetySettings


def is_active_hour(settings: SafetySettings, local: datetime) -> bool:
    """Tell whether `local` (an aware local time) lies inside the active hours.

    The window is `[active_start, active_end)` and may wrap past midnight
    (22..6 = 22:00 to 06:00).
    """
    if settings.always_active:
        return True
    start, end = settings.active_start, settings.active_end % 24
    if start < end:
        return start <= local.hour < end
    return local.hour >= start or local.hour < end


def next_active_start(settings: SafetySettings, local: datetime) -> datetime:
    """Return when the active hours start next, `local` itself when they run now.

    Wall-clock arithmetic in `local`'s time zone, so 08:00 stays 08:00 across a
    daylight-saving change.
    """
    if is_active_hour(settings, local):
        return local
    start = local.replace(hour=settings.active_start, minute=0, second=0, microsecond=0)
    if start <= local:
        start += timedelta(days=1)
    return start


def next_active_change(settings: SafetySettings, local: datetime) -> datetime | None:
    """Return the next full hour at which the active hours begin or end.

    Args:
        settings: The active hours.
        local: Now, an aware local time.

    Returns:
        The first full hour after `local` whose state (active or not) differs from
        now, in wall-clock time of `local`'s zone; None when always active.

    """
    if settings.always_active:
        return None
    now_active = is_active_hour(settings, local)
    hour = local.replace(minute=0, second=0, microsecond=0)
    for _ in range(26):  # a day, plus a daylight-saving hour to spare
        hour += timedelta(hours=1)
        if is_active_hour(settings, hour) != now_active:
            return hour
    return None
