# Copyright (C) 2026 the ig_autoliker authors. SPDX-License-Identifier: MIT
"""Account safety: action-block freezes, warm-up, active hours, pacing.

Pure Python like `ratelimit.py`: no Home Assistant import, no I/O, no sleeping. The
clock (Unix seconds, `clock.Clock`) and the time zone are injected; the coordinator
asks and obeys.

Sources of the numbers (instagrapi's best-practices page and its
`examples/handle_exception.py`, see README "Account safety"):

| Instagram says                | freeze                          | scope            |
|-------------------------------|---------------------------------|------------------|
| `feedback_required`           | 12 h (option), doubled on each  | likes and story  |
|                               | repeat within 7 days, <= 7 days;| views            |
|                               | at least until a stated date    |                  |
| "Please wait a few minutes"   | 1 h (longer if Retry-After says)| every request    |
| likes answered ok, feeds show | as `feedback_required` (shares  | likes and story  |
| them unliked (`outcomes.py`)  | its doubling)                   | views            |
| HTTP 429                      | the limiter's backoff (spec 8.5), Retry-After wins |

Warm-up: a new account, and an account after a freeze, likes at 25 % of its hourly
and daily like limits and ramps linearly to 100 % over `warmup_days`; after a freeze
the ramp starts with the first successful like.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final, Self

from .clock import DAY, HOUR, Clock, stored_seconds
from .exceptions import Refused
from .follow import FollowSettings
from .hours import is_active_hour, next_active_change, next_active_start
from .pace import Pace

if TYPE_CHECKING:
    import random

    from .ratelimit import Limits, RateLimiter

#: A `feedback_required` within this long after the last freeze ended doubles it.
REPEAT_WINDOW: Final = 7 * DAY
#: Longest freeze a repeated `feedback_required` gets, seconds: the longest blocks
#: peer users report last about a week (README "Account safety").
MAX_FEEDBACK_FREEZE: Final = 7 * DAY
#: Freeze after "Please wait a few minutes", seconds (instagrapi: 1 h).
PLEASE_WAIT_FREEZE: Final = HOUR
#: A date Instagram states (or a stored freeze) is believed up to this far ahead.
MAX_FREEZE: Final = 30 * DAY
#: Share of the like limits a warming-up account starts at.
WARMUP_START_FRACTION: Final = 0.25
#: Cycle start times spread by +-10 % of the interval.
CYCLE_JITTER: Final = 0.10
#: Version of the `SafetyPolicy.as_dict()` layout (a part of the store's entry data).
SAFETY_STATE_VERSION: Final = 1

_MONTHS: Final = {
    name: number
    for number, name in enumerate(
        (
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ),
        start=1,
    )
}
_ISO_DATE: Final = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_MONTH_DAY_YEAR: Final = re.compile(r"\b([A-Za-z]+)\.? (\d{1,2}),? (\d{4})\b")
_DAY_MONTH_YEAR: Final = re.compile(r"\b(\d{1,2})\.? ([A-Za-z]+)\.?,? (\d{4})\b")


class FreezeScope(StrEnum):
    """What a freeze stops."""

    LIKES = "likes"  # likes and story views
    ALL = "all"  # every request to Instagram


class BlockKind(StrEnum):
    """What Instagram said; the `kind` of the `ig_autoliker_action_blocked` event."""

    FEEDBACK_REQUIRED = "feedback_required"
    PLEASE_WAIT = "please_wait"
    #: Our likes were answered ok but feeds show them unliked (`outcomes.py`).
    SILENT = "silent"


class Act(StrEnum):
    """What the gate is asked about (`SafetyPolicy.refusal`)."""

    CYCLE = "cycle"  # start liking: the schedule, the button, the action, new targets
    LIKE = "like"  # send one like (or story view) within `within` seconds
    REQUEST = "request"  # one request for the user (a lookup) or inside a cycle
    KEEP_ALIVE = "keep_alive"  # a request nobody asked for: never at night


class RefusalReason(StrEnum):
    """Why the gate says no; also the translation key's stem of the message."""

    REAUTH_REQUIRED = "reauth_required"
    SUSPENDED = "account_suspended"
    PAUSED = "paused"
    FROZEN = "frozen"  # an action block's freeze or a backoff after a 429
    SLEEPING = "sleeping"  # outside the active hours
    LIKE_LIMIT = "like_limit"  # a like over the effective (warm-up, pace) limits


@dataclass(frozen=True, slots=True)
class Refusal:
    """The gate's no.

    Attributes:
        reason: Why.
        until: Unix seconds when it ends by itself; None when the user must act
            (reauthenticate, resume Auto-like).

    """

    reason: RefusalReason
    until: float | None = None

    @property
    def waits_for_user(self) -> bool:
        """True when only the user can lift it (reauthenticate, a suspension)."""
        return self.until is None and self.reason in {
            RefusalReason.SUSPENDED,
            RefusalReason.REAUTH_REQUIRED,
        }

    def error(self) -> Refused:
        """Return the refusal as the engine's error, for callers that raise it."""
        return Refused(self.reason.value, self.until)


_SCOPES: Final = {
    BlockKind.FEEDBACK_REQUIRED: FreezeScope.LIKES,
    BlockKind.PLEASE_WAIT: FreezeScope.ALL,
    BlockKind.SILENT: FreezeScope.LIKES,
}


@dataclass(frozen=True, slots=True)
class Freeze:
    """One action block.

    Attributes:
        kind: What Instagram said.
        since: Unix seconds the block was noticed.
        until: Unix seconds it ends (nothing of its scope is sent before).
        message: Instagram's own text (`feedback_message`), may be empty.

    """

    kind: BlockKind
    since: float
    until: float
    message: str

    @property
    def scope(self) -> FreezeScope:
        """What the freeze stops."""
        return _SCOPES[self.kind]

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe form (times in Unix seconds)."""
        return {
            "kind": self.kind.value,
            "since": self.since,
            "until": self.until,
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class SafetySettings:
    """The user's safety options (defaults: README "Account safety").

    Attributes:
        feedback_freeze: First freeze after `feedback_required`, seconds.
        warmup_days: Days the like limits ramp from 25 % to 100 %; 0 = no warm-up.
        active_start: Hour of day (local time, 0..23) liking starts.
        active_end: Hour of day (0..24) liking stops; equal to `active_start`
            (modulo 24) means around the clock.
        max_likes_per_target_cycle: Likes per target and cycle, count (in follow
            mode also per followed account and pass).
        follow: Which accounts are liked and which never (follow mode).

    """

    feedback_freeze: float = 12 * HOUR
    warmup_days: int = 7
    active_start: int = 8
    active_end: int = 23
    max_likes_per_target_cycle: int = 3
    follow: FollowSettings = field(default_factory=FollowSettings)

    @property
    def always_active(self) -> bool:
        """True when liking may happen at any hour."""
        return self.active_start % 24 == self.active_end % 24


def stated_until(message: str, tz: tzinfo) -> float | None:
    """Read the date an action block expires on from Instagram's message.

    Instagram writes, e.g., "This block will expire on 2020-03-27." (instagrapi's
    `examples/handle_exception.py`). A block "on" a date is taken to last that whole
    day in the user's time zone: the result is the next local midnight.

    Args:
        message: Instagram's `feedback_message`.
        tz: The user's time zone.

    Returns:
        Unix seconds, or None when the message names no valid date.

    """
    for pattern, order in (
        (_ISO_DATE, "ymd"),
        (_MONTH_DAY_YEAR, "mdy"),
        (_DAY_MONTH_YEAR, "dmy"),
    ):
        for match in pattern.finditer(message):
            parts = dict(zip(order, match.groups(), strict=True))
            month = parts["m"]
            number = int(month) if month.isdigit() else _MONTHS.get(month.lower())
            if number is None:
                continue
            try:
                day = date(int(parts["y"]), number, int(parts["d"]))
            except ValueError:
                continue
            return datetime.combine(day + timedelta(days=1), time(), tz).timestamp()
    return None


def baseline_cutoff(taken_at: Iterable[float], backlog: int) -> float:
    """Decide which of a new target's existing posts are remembered, not liked.

    Args:
        taken_at: When each post on the target's first page was published, Unix s.
        backlog: How many of the newest of them the user wants liked, count >= 0.

    Returns:
        Unix seconds: posts published at or before it are baselined (never liked);
        newer ones are liked. 0.0 when every post is to be liked.

    """
    newest_first = sorted(taken_at, reverse=True)
    if backlog >= len(newest_first):
        return 0.0
    return newest_first[backlog]


class SafetyPolicy:
    """Freezes, warm-up and active hours of one Instagram account.

    Args:
        settings: The user's safety options.
        clock: Returns the current Unix time, seconds.
        tz: The user's time zone (active hours, stated dates).
        warmup_from: Unix seconds a new account's warm-up starts, or None
            (no warm-up, e.g. an account that has been liking for a while).

    """

    def __init__(
        self,
        settings: SafetySettings,
        clock: Clock,
        tz: tzinfo = UTC,
        *,
        warmup_from: float | None = None,
    ) -> None:
        """Create a policy without freezes."""
        self._settings = settings
        self._clock = clock
        self._tz = tz
        self._freezes: dict[BlockKind, Freeze] = {}
        self._feedback_level = 0  # doublings of the next repeat's freeze
        self._feedback_last_end: float | None = None
        self._warmup_start = warmup_from
        self._warmup_pending = False
        #: The adaptive pace (`pace.py`): scales the hourly like limit and the pauses.
        self.pace = Pace(clock)

    @property
    def settings(self) -> SafetySettings:
        """The options in force."""
        return self._settings

    def update_settings(self, settings: SafetySettings, tz: tzinfo) -> None:
        """Apply changed options or a changed time zone; freezes are kept."""
        self._settings = settings
        self._tz = tz

    # -- freezes -----------------------------------------------------------------

    def feedback_required(
        self, message: str, kind: BlockKind = BlockKind.FEEDBACK_REQUIRED
    ) -> Freeze:
        """Freeze likes and story views after `feedback_required`.

        The freeze lasts `feedback_freeze` * 2^n (12, 24, 48 h ... with the
        default), at most 7 days; n grows by one when this block comes less than 7
        days after the previous one ended, else it is 0 again. When
        Instagram states a date, at least until the end of that day (at most 30
        days ahead). A running freeze is never shortened. The warm-up starts over
        with the next successful like.

        Args:
            message: Instagram's `feedback_message`, may be empty.
            kind: `BlockKind.SILENT` after a silent like block (`outcomes.py`):
                the same restriction without Instagram saying so, so the same
                freeze, sharing its doubling.

        Returns:
            The freeze now in force.

        """
        now = self._clock()
        last_end = self._feedback_last_end
        repeat = last_end is not None and now - last_end < REPEAT_WINDOW
        self._feedback_level = self._feedback_level + 1 if repeat else 0
        wait = min(
            self._settings.feedback_freeze * 2.0 ** min(self._feedback_level, 32),
            MAX_FEEDBACK_FREEZE,
        )
        until = now + wait
        if (stated := stated_until(message, self._tz)) is not None:
            until = max(until, min(stated, now + MAX_FREEZE))
        freeze = self._freeze(kind, now, until, message)
        self._feedback_last_end = freeze.until
        return freeze

    def please_wait(self, message: str, retry_after: float | None = None) -> Freeze:
        """Freeze every request for 1 h after "Please wait a few minutes".

        Args:
            message: Instagram's message.
            retry_after: Seconds from a Retry-After header; a longer one wins
                (up to 30 days), a bad one is ignored.

        Returns:
            The freeze now in force.

        """
        now = self._clock()
        wait = PLEASE_WAIT_FREEZE
        if (seconds := stored_seconds(retry_after)) is not None:
            wait = max(wait, min(seconds, MAX_FREEZE))
        return self._freeze(BlockKind.PLEASE_WAIT, now, now + wait, message)

    def _freeze(
        self, kind: BlockKind, now: float, until: float, message: str
    ) -> Freeze:
        current = self._freezes.get(kind)
        if current is not None and current.until > until:
            until = current.until  # never shorten
        freeze = Freeze(kind=kind, since=now, until=until, message=message)
        self._freezes[kind] = freeze
        if self._settings.warmup_days:
            self._warmup_pending = True
        return freeze

    def active_freezes(self) -> list[Freeze]:
        """Return the freezes in force now, the one ending last first."""
        now = self._clock()
        self._freezes = {
            kind: freeze for kind, freeze in self._freezes.items() if freeze.until > now
        }
        return sorted(self._freezes.values(), key=lambda freeze: -freeze.until)

    def frozen_until(self, scope: FreezeScope) -> float | None:
        """Return when nothing of `scope` is frozen any more, None when it is not now.

        A freeze of every request also freezes likes.
        """
        ends = [
            freeze.until
            for freeze in self.active_freezes()
            if scope is FreezeScope.LIKES or freeze.scope is FreezeScope.ALL
        ]
        return max(ends, default=None)

    @property
    def blocked_until(self) -> float | None:
        """Unix seconds the last freeze ends, None when none is in force."""
        return self.frozen_until(FreezeScope.LIKES)

    # -- warm-up -----------------------------------------------------------------

    def like_succeeded(self) -> None:
        """Note a like Instagram accepted: after a freeze it starts the warm-up."""
        if self._warmup_pending:
            self._warmup_pending = False
            self._warmup_start = self._clock()

    def warmup_fraction(self) -> float:
        """Return the share of the like limits in force, 0.25..1.0.

        25 % while waiting for the first like after a freeze, then linearly up to
        100 % over `warmup_days` days; 1.0 without a warm-up.
        """
        days = self._settings.warmup_days
        if not days:
            return 1.0
        if self._warmup_pending:
            return WARMUP_START_FRACTION
        if self._warmup_start is None:
            return 1.0
        elapsed = max(self._clock() - self._warmup_start, 0.0)
        progress = min(elapsed / (days * DAY), 1.0)
        return WARMUP_START_FRACTION + (1 - WARMUP_START_FRACTION) * progress

    @property
    def warmup_until(self) -> float | None:
        """Unix seconds the warm-up reaches 100 %, None when it is not running."""
        days = self._settings.warmup_days
        if not days or self._warmup_start is None or self._warmup_pending:
            return None
        end = self._warmup_start + days * DAY
        return end if end > self._clock() else None

    def effective_limits(self, limits: Limits) -> Limits:
        """Scale the like limits by the warm-up share and the hourly one by the pace.

        Both shares are at most 1, so the options are ceilings; each limit stays >= 1.

        Args:
            limits: The configured limits.

        Returns:
            The limits to enforce now; everything but the like limits unchanged.

        """
        fraction, pace = self.warmup_fraction(), self.pace.factor()
        if fraction >= 1.0 and pace >= 1.0:
            return limits
        hourly = limits.max_likes_per_hour * fraction * pace
        return replace(
            limits,
            max_likes_per_hour=max(1, math.floor(hourly)),
            max_likes_per_day=max(1, math.floor(limits.max_likes_per_day * fraction)),
        )

    # -- active hours ------------------------------------------------------------

    def _local(self, stamp: float) -> datetime:
        return datetime.fromtimestamp(stamp, self._tz)

    def sleeping(self, within: float = 0.0) -> bool:
        """Tell whether it is, or within `within` seconds will be, outside active hours.

        Args:
            within: Seconds ahead that must be inside the active hours too (a like
                about to wait its delay must not land after the end), >= 0.

        """
        now = self._clock()
        return not (
            is_active_hour(self._settings, self._local(now))
            and is_active_hour(self._settings, self._local(now + within))
        )

    def next_active_change(self) -> float | None:
        """Return Unix seconds when the active hours next begin or end, or None."""
        change = next_active_change(self._settings, self._local(self._clock()))
        return None if change is None else change.timestamp()

    def next_cycle_delay(self, interval: float, rng: random.Random) -> float:
        """Return the seconds until the next cycle should start.

        The interval spread by +-10 %; when that falls outside the active hours,
        the next start of the active hours plus 0..10 % of the interval (of at most
        an hour, so that a one-hour window is still hit).

        Args:
            interval: The cycle interval, seconds (> 0).
            rng: Source of the jitter.

        """
        now = self._clock()
        start = now + interval * rng.uniform(1 - CYCLE_JITTER, 1 + CYCLE_JITTER)
        local = self._local(start)
        if not is_active_hour(self._settings, local):
            opening = next_active_start(self._settings, local).timestamp()
            # Never past the window's first hour: a short window must be hit.
            start = opening + min(interval, HOUR) * rng.uniform(0, CYCLE_JITTER)
        return start - now

    # -- the gate ----------------------------------------------------------------

    def refusal(  # noqa: PLR0913 - the facts the gate weighs, each named
        self,
        act: Act,
        *,
        session_blocked: bool,
        suspended: bool,
        auto_like: bool,
        backoff_until: float | None,
        within: float = 0.0,
        likes: RateLimiter | None = None,
    ) -> Refusal | None:
        """Decide whether the account may do `act` now: THE gate, asked by every path.

        In this order: a suspension or a session waiting for the user stops
        everything; a pause stops liking; a freeze (of every request, or of likes
        for liking) and a backoff stop until they end; outside the active hours
        nothing is liked and no keep-alive is sent (a person sleeps), while a
        lookup the user asked for still goes through.

        Args:
            act: What is asked.
            session_blocked: The session waits for reauthentication or a checkpoint.
            suspended: Instagram suspended the account.
            auto_like: False while the user paused liking.
            backoff_until: Unix seconds a backoff after HTTP 429 ends, or None.
            within: Seconds until a like would be sent (its pauses); it must still
                fall inside the active hours, and fit the effective like limits, then.
            likes: The account's limiter, for `Act.LIKE`; None: no like limits.

        Returns:
            None when allowed, else why not and until when.

        """
        if suspended:
            return Refusal(RefusalReason.SUSPENDED)
        if session_blocked:
            return Refusal(RefusalReason.REAUTH_REQUIRED)
        liking = act in {Act.CYCLE, Act.LIKE}
        if liking and not auto_like:
            return Refusal(RefusalReason.PAUSED)
        scope = FreezeScope.LIKES if liking else FreezeScope.ALL
        ends = [end for end in (self.frozen_until(scope), backoff_until) if end]
        if ends:
            return Refusal(RefusalReason.FROZEN, max(ends))
        if act is not Act.REQUEST and self.sleeping(within):
            opening = next_active_start(
                self._settings, self._local(self._clock() + within)
            )
            return Refusal(RefusalReason.SLEEPING, opening.timestamp())
        wait = 0.0  # until a like fits the effective like limits, whoever asks
        if act is Act.LIKE and likes is not None:
            wait = likes.like_wait(self.effective_limits(likes.limits))
        over = wait > within
        return Refusal(RefusalReason.LIKE_LIMIT, self._clock() + wait) if over else None

    # -- persistence -------------------------------------------------------------

    def as_dict(self) -> dict[str, Any]:
        """Return the state to persist, JSON-safe.

        Returns:
            `{"version": 1, "freezes": [Freeze.as_dict(), ...],
            "feedback_level": int, "feedback_last_end": float | None,
            "warmup_start": float | None,
            "warmup_pending": bool, "pace": Pace.as_dict()}`.

        """
        return {
            "version": SAFETY_STATE_VERSION,
            "freezes": [freeze.as_dict() for freeze in self.active_freezes()],
            "feedback_level": self._feedback_level,
            "feedback_last_end": self._feedback_last_end,
            "warmup_start": self._warmup_start,
            "warmup_pending": self._warmup_pending,
            "pace": self.pace.as_dict(),
        }

    @classmethod
    def from_dict(
        cls,
        data: Any,
        settings: SafetySettings,
        clock: Clock,
        tz: tzinfo = UTC,
        *,
        warmup_from: float | None = None,
    ) -> Self:
        """Restore a policy saved by `as_dict()`; never raises on bad data.

        Without saved data (`data` not a mapping) the policy starts fresh with
        `warmup_from`. Malformed parts are dropped; a freeze ends at most 30 days
        from now (a corrupt store must not block the account for ever).
        """
        if not isinstance(data, Mapping):
            return cls(settings, clock, tz, warmup_from=warmup_from)
        policy = cls(
            settings, clock, tz, warmup_from=stored_seconds(data.get("warmup_start"))
        )
        now = clock()
        freezes = data.get("freezes")
        for raw in freezes if isinstance(freezes, list) else []:
            if (freeze := _freeze_from(raw, now)) is not None:
                policy._freezes[freeze.kind] = freeze
        level = data.get("feedback_level")
        last_end = stored_seconds(data.get("feedback_last_end"))
        if isinstance(level, int) and not isinstance(level, bool) and last_end:
            policy._feedback_level = min(max(level, 0), 32)
            policy._feedback_last_end = min(last_end, now + MAX_FREEZE)
        policy._warmup_pending = data.get("warmup_pending") is True
        policy.pace = Pace.from_dict(data.get("pace"), clock)  # older stores: none
        return policy


def _freeze_from(raw: Any, now: float) -> Freeze | None:
    """Parse one stored freeze; None when malformed or over."""
    if not isinstance(raw, Mapping):
        return None
    try:
        kind = BlockKind(str(raw.get("kind")))
    except ValueError:
        return None
    since, until = stored_seconds(raw.get("since")), stored_seconds(raw.get("until"))
    if since is None or until is None or until <= now:
        return None
    message = raw.get("message")
    return Freeze(
        kind=kind,
        since=min(since, now),
        until=min(until, now + MAX_FREEZE),
        message=message if isinstance(message, str) else "",
    )
