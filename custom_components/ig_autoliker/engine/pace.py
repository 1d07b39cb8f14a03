# Copyright (C) 2026 the ig_autoliker authors. SPDX-License-Identifier: MIT
"""Adaptive pace: ease off when Instagram's warnings pile up, recover when quiet.

Pure Python like `safety.py`: no Home Assistant import, no I/O, no sleeping; the
clock (Unix seconds, `clock.Clock`) is injected. The account's pace factor is a
number in [`PACE_FLOOR`, 1]: the effective hourly like limit is the option's limit
times the factor (`SafetyPolicy.effective_limits`), and the pause between requests
is the option's pause divided by it (`Pacer`). At 1.0 nothing changes, so an account
without warnings likes exactly as the options say; the options are ceilings the pace
never passes.

The rule is the one TCP uses to share a congested link (AIMD, RFC 5681 section 3.1;
the multiplicative step of RFC 9438, CUBIC): every warning multiplies the factor by
`PACE_DECREASE`, and after `QUIET_GRACE` seconds without a warning it grows by
`PACE_RECOVERY` per hour until it is back at 1.0. A burst of warnings thus slows the
account quickly, a single stray 429 only a little, and a day of quiet always ends at
full pace (from the floor: `QUIET_GRACE` + (1 - `PACE_FLOOR`) / `PACE_RECOVERY`
hours = 1 + 15 = 16 h). Warnings are the signals peer users report before an action
block (README "Adaptive pace"): HTTP 429, a Retry-After, "Please wait a few
minutes", `login_required` on a session that was valid, likes Instagram dropped
(`silent.py`) and bursts of HTTP 5xx.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final, Self

from .clock import DAY, HOUR, stored_seconds

if TYPE_CHECKING:
    from .clock import Clock

#: Each warning multiplies the pace by this: CUBIC's multiplicative decrease factor
#: (RFC 9438 section 4.6, beta_cubic = 0.7), gentler than Reno's halving, because a
#: single 429 is common and no block yet.
PACE_DECREASE: Final = 0.7
#: The pace never drops below this share: the warm-up's starting share
#: (`safety.WARMUP_START_FRACTION`), the slowest pace the project already trusts to
#: keep an account liking. Four warnings in a row reach it (0.7**4 = 0.24).
PACE_FLOOR: Final = 0.25
#: Seconds without a warning before the pace starts to recover: Instagram's "Please
#: wait a few minutes" freeze (`safety.PLEASE_WAIT_FREEZE`, 1 h, instagrapi).
QUIET_GRACE: Final = HOUR
#: Share of full pace regained per quiet hour after the grace: from the floor back to
#: 1.0 in 15 h, i.e. within a day of quiet including a night's pause.
PACE_RECOVERY: Final = 0.05
#: HTTP 5xx answers within `SERVER_ERROR_WINDOW` that count as one warning: a burst,
#: not a single hiccup (Instagram's edge answers single 5xx often; peers retry them).
SERVER_ERROR_BURST: Final = 3
#: Seconds in which `SERVER_ERROR_BURST` 5xx answers make a burst.
SERVER_ERROR_WINDOW: Final = 10 * 60.0
#: Warnings kept for the health sensor and diagnostics (older ones are dropped).
KEPT_WARNINGS: Final = 50
#: The health sensor and diagnostics count the warnings of this many seconds.
RECENT: Final = DAY


class WarningKind(StrEnum):
    """A signal Instagram gives before it blocks an account."""

    RATE_LIMITED = "rate_limited"  # HTTP 429 without Retry-After
    RETRY_AFTER = "retry_after"  # HTTP 429 or 503 with a Retry-After header
    PLEASE_WAIT = "please_wait"  # "Please wait a few minutes before you try again"
    LOGIN_REQUIRED = "login_required"  # on a session that worked before
    DROPPED_LIKE = "dropped_like"  # a like answered ok, the feeds show it unliked
    SERVER_ERRORS = "server_errors"  # a burst of HTTP 5xx


class Health(StrEnum):
    """The account's health, as the "Account health" sensor shows it."""

    GOOD = "good"  # full pace, no warning lately
    CAUTION = "caution"  # warnings lately, pace above half
    AT_RISK = "at_risk"  # pace at half or below: warnings piled up
    BLOCKED = "blocked"  # an action block (freeze) runs


@dataclass(frozen=True, slots=True)
class PaceWarning:
    """One warning: what and when (Unix seconds)."""

    kind: WarningKind
    at: float


class Pace:
    """The account's pace factor (AIMD) and its recent warnings.

    Args:
        clock: Unix seconds.

    """

    def __init__(self, clock: Clock) -> None:
        """Start at full pace, with no warnings."""
        self._clock = clock
        #: Factor right after the last warning; 1.0 without one.
        self._level = 1.0
        #: Unix seconds of the last warning, None without one.
        self._since: float | None = None
        self._warnings: deque[PaceWarning] = deque(maxlen=KEPT_WARNINGS)
        self._server_errors: deque[float] = deque(maxlen=SERVER_ERROR_BURST)

    def factor(self) -> float:
        """Return the pace factor now, in [`PACE_FLOOR`, 1.0].

        It grows by `PACE_RECOVERY` per hour once `QUIET_GRACE` seconds passed since
        the last warning, never past 1.0.
        """
        if self._since is None:
            return 1.0
        quiet = self._clock() - self._since - QUIET_GRACE
        if quiet <= 0:
            return self._level
        return min(1.0, self._level + PACE_RECOVERY * quiet / HOUR)

    def warn(self, kind: WarningKind) -> float:
        """Note one warning now and slow down: the factor times `PACE_DECREASE`.

        Returns:
            The new factor, at least `PACE_FLOOR`.

        """
        now = self._clock()
        self._level = max(PACE_FLOOR, self.factor() * PACE_DECREASE)
        self._since = now
        self._warnings.append(PaceWarning(kind, now))
        return self._level

    def server_error(self) -> bool:
        """Note one HTTP 5xx; a burst of them is a warning (`warn`).

        Returns:
            True when this answer completed a burst and the pace slowed.

        """
        now = self._clock()
        self._server_errors.append(now)
        burst = self._server_errors
        if len(burst) < SERVER_ERROR_BURST or now - burst[0] > SERVER_ERROR_WINDOW:
            return False
        burst.clear()
        self.warn(WarningKind.SERVER_ERRORS)
        return True

    def recent(self, window: float = RECENT) -> list[PaceWarning]:
        """Return the warnings of the last `window` seconds, oldest first."""
        start = self._clock() - window
        return [warning for warning in self._warnings if warning.at > start]

    def counts(self, window: float = RECENT) -> dict[str, int]:
        """Return how many warnings of each kind the last `window` seconds had."""
        counts = dict.fromkeys((kind.value for kind in WarningKind), 0)
        for warning in self.recent(window):
            counts[warning.kind.value] += 1
        return counts

    def health(self, *, blocked: bool) -> Health:
        """Rate the account: blocked, at risk, caution or good.

        Args:
            blocked: An action block (freeze) runs now.

        """
        if blocked:
            return Health.BLOCKED
        factor = self.factor()
        if factor <= 0.5:  # noqa: PLR2004 - half pace: two or more warnings close
            return Health.AT_RISK
        if factor < 1.0 or self.recent():
            return Health.CAUTION
        return Health.GOOD

    def as_dict(self) -> dict[str, Any]:
        """Return the state to persist, JSON-safe.

        Returns:
            `{"level": float, "since": float | None,
            "warnings": [{"kind": str, "at": float}, ...]}`.

        """
        return {
            "level": self._level,
            "since": self._since,
            "warnings": [{"kind": w.kind.value, "at": w.at} for w in self._warnings],
        }

    @classmethod
    def from_dict(cls, data: Any, clock: Clock) -> Self:
        """Restore a pace saved by `as_dict()`; full pace on missing or bad data."""
        pace = cls(clock)
        if not isinstance(data, Mapping):
            return pace
        level, since = data.get("level"), stored_seconds(data.get("since"))
        if (
            isinstance(level, float | int)
            and not isinstance(level, bool)
            and since is not None
        ):
            pace._level = min(max(float(level), PACE_FLOOR), 1.0)
            pace._since = min(since, clock())
        raw = data.get("warnings")
        for item in raw if isinstance(raw, list) else []:
            if not isinstance(item, Mapping):
                continue
            at = stored_seconds(item.get("at"))
            try:
                kind = WarningKind(str(item.get("kind")))
            except ValueError:
                continue
            if at is not None:
                pace._warnings.append(PaceWarning(kind, min(at, clock())))
        return pace
