"""
The one instant every fake clock of the suite starts at, unless a test sets its own.

Never the wall clock: a test that met the default active hours (08-23) used to pass or
fail with the hour it ran at. `IG_AUTOLIKER_TEST_START` (ISO 8601, local time of the
test time zone) moves the default for a whole run, to prove that no test leans on it:
`scripts/test` passes at 03:00 and at 15:00.
"""

from __future__ import annotations

import os
from datetime import datetime
from zoneinfo import ZoneInfo

#: The time zone pytest-homeassistant-custom-component gives every test's `hass`.
TEST_TIME_ZONE = ZoneInfo("US/Pacific")
#: A Tuesday noon: inside the default active hours.
DEFAULT_TEST_START = "2026-01-06T12:00:00"


def default_test_start() -> float:
    """
    Return where the fake clocks start, Unix seconds.

    Reads `IG_AUTOLIKER_TEST_START` (naive = the test time zone's local time), else
    `DEFAULT_TEST_START`.
    """
    raw = os.environ.get("IG_AUTOLIKER_TEST_START") or DEFAULT_TEST_START
    start = datetime.fromisoformat(raw)
    if start.tzinfo is None:
        start = start.replace(tzinfo=TEST_TIME_ZONE)
    return start.timestamp()
