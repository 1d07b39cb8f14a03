"""What the entities show: one immutable snapshot of the account and its targets."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from homeassistant.util import dt as dt_util

from .engine.engine import rate_limit_state
from .engine.events import SessionHealth
from .engine.ratelimit import Action

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime

    from .engine.engine import Engine
    from .engine.models import RecentLike
    from .engine.state import TargetState


def utc(stamp: float | None) -> datetime | None:
    """Convert Unix seconds to an aware UTC datetime (None stays None)."""
    return None if stamp is None else dt_util.utc_from_timestamp(stamp)


@dataclass(frozen=True, slots=True)
class TargetSnapshot:
    """What the entities of one target device show."""

    last_like: datetime | None
    stories_liked: int
    posts_liked: int
    error: str | None
    #: Preview image of the last liked item (stored; its signature expires).
    last_thumbnail: str | None = None
    #: The last successful fetch of the target's stories or posts.
    last_checked: datetime | None = None
    #: The latest likes, newest first (this run only; `MediaService.recent_likes`).
    recent_likes: tuple[RecentLike, ...] = ()


@dataclass(frozen=True, slots=True)
class IgAutolikerData:
    """What the entities of the account device show, plus every target's snapshot."""

    likes_today: int
    likes_this_hour: int
    rate_limit_state: str
    session_health: SessionHealth
    last_cycle: datetime | None
    next_cycle: datetime | None
    backoff_until: datetime | None
    auto_like: bool
    targets: dict[str, TargetSnapshot]
    cycle_running: bool = False
    blocked_until: datetime | None = None
    effective_likes_per_hour: int | None = None
    effective_likes_per_day: int | None = None
    #: `engine.pace.Health` value: good, caution, at_risk or blocked.
    account_health: str = "good"
    #: The adaptive pace (`engine/pace.py`), percent of the options' pace, 25..100.
    pace_percent: int = 100
    #: Warnings of the last 24 h by kind (`engine.pace.WarningKind` values).
    warnings: dict[str, int] = field(default_factory=dict)
    #: The warm-up's end; None when none runs or it waits for its first like.
    warmup_until: datetime | None = None

    @property
    def challenge_required(self) -> bool:
        """True while Instagram waits for the user to pass a checkpoint."""
        return self.session_health is SessionHealth.CHALLENGE_REQUIRED


def target_snapshot(
    state: TargetState, recent: Iterable[RecentLike] = ()
) -> TargetSnapshot:
    """Build one target's part from its bookkeeping and its latest likes."""
    return TargetSnapshot(
        last_like=utc(state.last_like),
        stories_liked=state.stories_liked,
        posts_liked=state.posts_liked,
        error=state.last_error,
        last_thumbnail=state.last_thumbnail,
        last_checked=utc(_latest(state.last_story_check, state.last_post_check)),
        recent_likes=tuple(recent),
    )


def _latest(*stamps: float | None) -> float | None:
    """Return the latest of the Unix seconds given, None when none is known."""
    known = [stamp for stamp in stamps if stamp is not None]
    return max(known) if known else None


def account_snapshot(
    engine: Engine, targets: dict[str, TargetSnapshot], now: float
) -> IgAutolikerData:
    """Build the account's part around the targets' snapshots, at `now`."""
    midnight = dt_util.start_of_local_day(dt_util.as_local(utc(now))).timestamp()  # type: ignore[arg-type]
    stored, limiter = engine.stored, engine.limiter
    effective = engine.policy.effective_limits(limiter.limits)
    return IgAutolikerData(
        likes_today=limiter.count(Action.LIKE, window=now - midnight),
        likes_this_hour=limiter.count(Action.LIKE, window=3600.0),
        rate_limit_state=rate_limit_state(engine),
        session_health=engine.session.health,
        last_cycle=utc(stored.last_cycle),
        next_cycle=utc(engine.next_cycle_at) if stored.auto_like else None,
        backoff_until=utc(limiter.backoff_until),
        auto_like=stored.auto_like,
        cycle_running=engine.busy,
        targets=targets,
        blocked_until=utc(engine.policy.blocked_until),
        effective_likes_per_hour=effective.max_likes_per_hour,
        effective_likes_per_day=effective.max_likes_per_day,
        **account_health(engine),
        warmup_until=utc(engine.policy.warmup_until),
    )


def account_health(engine: Engine) -> dict[str, Any]:
    """Return the health fields of `IgAutolikerData`: state, pace and warnings."""
    pace, blocked = engine.policy.pace, engine.policy.blocked_until is not None
    return {
        "account_health": pace.health(blocked=blocked).value,
        "pace_percent": round(pace.factor() * 100),
        "warnings": pace.counts(),
    }


def build_snapshot(
    engine: Engine,
    pks: Iterable[str],
    now: float,
    previous: IgAutolikerData | None = None,
) -> IgAutolikerData:
    """Build what the entities show at `now` (Unix seconds).

    Args:
        engine: The account's engine.
        pks: The targets to build anew.
        now: Unix seconds.
        previous: The last snapshot, whose other targets are kept as they were
            (mid-cycle progress of one target); None to show only `pks`.

    """
    recent = engine.media.recent_likes
    targets = dict(previous.targets) if previous is not None else {}
    for pk in pks:
        targets[pk] = target_snapshot(engine.stored.target(pk), recent.get(pk, ()))
    return account_snapshot(engine, targets, now)
