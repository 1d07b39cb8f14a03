# Copyright (C) 2026 the ig_autoliker authors. SPDX-License-Identifier: MIT
"""Exponential backoff after rate limits and failures (spec sections 8.2 and 8.5).

Clockless: every method takes `now` (Unix seconds), and the limits are passed to
`register_failure`, so changed options apply from the next failure on.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from .clock import seconds_until

if TYPE_CHECKING:
    from .ratelimit import Limits


class Backoff:
    """The backoff state of `RateLimiter`: when the backoff ends, failures in a row.

    Attributes:
        until: Unix seconds the last backoff ends (possibly past); None when there
            was none, or a success after it ended cleared it.
        failures: Failures registered since the last success, count >= 0.

    """

    def __init__(self) -> None:
        """Start without a backoff."""
        self.until: float | None = None
        self.failures = 0

    def remaining(self, now: float) -> float:
        """Return seconds left of the active backoff, 0.0 when none is active."""
        return seconds_until(now, self.until)

    def active_until(self, now: float) -> float | None:
        """Return when the active backoff ends, None when none is active."""
        if self.until is None or now >= self.until:
            return None
        return self.until

    def register_failure(
        self, limits: Limits, now: float, retry_after: float | None = None
    ) -> float:
        """Start a backoff; return the seconds until it ends.

        The n-th consecutive failure (n from 0) waits
        `min(backoff_max, backoff_base * backoff_multiplier ** n)`. A finite
        `retry_after` (Instagram's) is a lower bound, even beyond `backoff_max`.
        A backoff already running is never shortened.
        """
        try:
            growth = limits.backoff_multiplier**self.failures
        except OverflowError:
            growth = math.inf
        exponential = limits.backoff_base * growth if limits.backoff_base else 0.0
        wait = min(limits.backoff_max, exponential)
        if retry_after is not None and math.isfinite(retry_after):
            wait = max(wait, retry_after)
        self.failures += 1
        until = now + wait
        if self.until is not None and self.until > until:
            return seconds_until(now, self.until)  # never shorten
        self.until = until
        return wait

    def register_success(self, now: float) -> None:
        """Reset the failure count; clear the backoff when it has ended."""
        self.failures = 0
        if self.until is not None and now >= self.until:
            self.until = None

    def restore(
        self, until: float | None, failures: int, now: float, longest: float
    ) -> None:
        """Take over a stored backoff (`until`, Unix seconds) and failure count.

        A past `until` means no backoff; one further than `longest` seconds ahead
        is cut to that, so a corrupt store cannot block for ever.
        """
        if until is not None and until > now:
            self.until = min(until, now + longest)
        self.failures = max(failures, 0)
