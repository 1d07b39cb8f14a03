"""
The chaos run's auditor: Instagram's truth (the emulator) against the integration.

Checked after every restart (`after_restart`) and at the end (`at_end`); every
finding is counted once per media or per window start, so a check repeated after
the next restart does not count it again.

- double likes: a like request (the emulator's request log, answered or not) that
  arrived after the request whose like of ours Instagram kept;
- lost likes: a like Instagram kept in the last day that the restarted integration
  does not know (store ledger, unsure likes, like history), or that its restored
  limiter does not count (fewer likes in its hour/day windows than Instagram has);
- limit violations: a sliding hour or day, across restarts, with more kept likes
  than the configured limit;
- likes in a freeze: a kept like sent inside a freeze the integration announced
  (`ig_autoliker_action_blocked`, from its time to its "until");
- stuck: at the end, with every cause gone for two cycles, a session health that is
  not healthy or a repair issue still open.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any

from custom_components.ig_autoliker.const import DOMAIN
from custom_components.ig_autoliker.engine.events import SessionHealth
from custom_components.ig_autoliker.engine.ratelimit import Action
from homeassistant.helpers import issue_registry as ir

from tests.bench.sim import DAY, HOUR
from tests.sandbox.testworld import ALICE

if TYPE_CHECKING:
    from custom_components.ig_autoliker.coordinator import IgAutolikerCoordinator
    from custom_components.ig_autoliker.engine.history import LikeHistory
    from custom_components.ig_autoliker.engine.ratelimit import Limits
    from homeassistant.core import HomeAssistant

    from tests.sandbox import World
    from tests.sandbox.world import RequestRecord

#: Repair issues that tell of a past event, not a state that must end.
NOTICES = ("store_damaged",)
#: The emulator's like endpoints (a story's view before its like is no like).
LIKE_ENDPOINTS = ("media/*/like/", "story_interactions/send_story_like")
#: Faults of a like request that Instagram still acted on (None: no fault).
ACTED_FAULTS = (None, "timeout")
HTTP_OK = 200


def _windows_over(stamps: list[float], window: float, limit: int) -> set[float]:
    """Start times of the sliding windows of `window` s holding > `limit` stamps."""
    stamps = sorted(stamps)
    starts: set[float] = set()
    for index in range(limit, len(stamps)):
        if stamps[index] - stamps[index - limit] < window:
            starts.add(stamps[index - limit])
    return starts


@dataclass
class Auditor:
    """
    Counts the findings of one chaos run (see the module docstring).

    Attributes:
        world: The emulator's world (its likes and request log).
        limits: The configured limits (likes per hour and per day).
        freezes: (start, end) of every freeze announced, simulated Unix seconds.

    """

    world: World
    limits: Limits
    freezes: list[tuple[float, float]] = field(default_factory=list)
    double: set[int] = field(default_factory=set)
    lost: set[int] = field(default_factory=set)
    uncounted: int = 0
    over_hour: set[float] = field(default_factory=set)
    over_day: set[float] = field(default_factory=set)
    in_freeze: set[int] = field(default_factory=set)
    stuck: int = 0
    notes: list[str] = field(default_factory=list)

    def on_blocked(self, at: float, data: dict[str, Any]) -> None:
        """Record a freeze from an `ig_autoliker_action_blocked` event's data."""
        if until := data.get("until"):
            self.freezes.append((at, datetime.fromisoformat(until).timestamp()))

    def _kept(self) -> dict[int, float]:
        """Our first like of each media that Instagram kept: media pk -> time."""
        alice = self.world.user(ALICE.username)
        assert alice is not None
        kept: dict[int, float] = {}
        for like in self.world.likes:
            if like.viewer_pk == alice.pk and not like.dropped and not like.undone_at:
                kept.setdefault(like.media_pk, like.at)
        return kept

    def likes_kept(self) -> int:
        """Return how many of our likes Instagram keeps (the week's work done)."""
        return len(self._kept())

    def _check_instagram(self, now: float) -> None:
        kept = self._kept()
        for pk, at in _second_requests(self.world.requests(), kept).items():
            if pk not in self.double:
                self.notes.append(f"double like of {pk} at {at:.0f}")
            self.double.add(pk)
        stamps = list(kept.values())
        self.over_hour |= _windows_over(stamps, HOUR, self.limits.max_likes_per_hour)
        self.over_day |= _windows_over(stamps, DAY, self.limits.max_likes_per_day)
        for pk, at in kept.items():
            if pk in self.in_freeze or at > now:
                continue
            if inside := [(s, e) for s, e in self.freezes if s < at < e]:
                self.in_freeze.add(pk)
                self.notes.append(f"like of {pk} at {at:.0f} in freeze {inside}")

    def after_restart(
        self, coordinator: IgAutolikerCoordinator, history: LikeHistory, now: float
    ) -> None:
        """Check a freshly restored integration (and its like history file)."""
        self._check_instagram(now)
        kept = self._kept()
        stored = coordinator.stored
        known = {
            _pk(key)
            for ledger in (
                stored.liked_stories,
                stored.liked_posts,
                stored.unsure_likes,
            )
            for key in ledger
        }
        # Judged from when we asked: a slow server may act a little after the
        # request, and the integration can only count the like from its request.
        asked = _first_requests(self.world.requests(), kept)
        kept = {pk: min(at, asked.get(pk, at)) for pk, at in kept.items()}
        recent = {pk: at for pk, at in kept.items() if now - at < DAY}
        missing = [str(pk) for pk in recent if pk not in known]
        found = history.find(missing) if missing else {}
        for pk in recent:
            if pk not in known and str(pk) not in found and pk not in self.lost:
                self.lost.add(pk)
                self.notes.append(f"like of {pk} unknown after restart at {now:.0f}")
        limiter = coordinator.engine.limiter
        for window in (HOUR, DAY):
            truth = sum(1 for at in recent.values() if now - at < window)
            short = truth - limiter.count(Action.LIKE, window=window)
            if short > 0:
                self.uncounted = max(self.uncounted, short)
                self.notes.append(
                    f"limiter counts {short} likes fewer than Instagram in the "
                    f"last {window / HOUR:.0f} h after restart at {now:.0f}"
                )

    def at_end(
        self, hass: HomeAssistant, coordinator: IgAutolikerCoordinator, now: float
    ) -> None:
        """The last check: Instagram's log, then health and repair issues."""
        self._check_instagram(now)
        if coordinator.engine.session.health is not SessionHealth.HEALTHY:
            self.stuck += 1
            self.notes.append(f"health {coordinator.engine.session.health} at end")
        registry = ir.async_get(hass)
        frozen = any(end > now for _, end in self.freezes)
        for (domain, issue_id), issue in registry.issues.items():
            if domain != DOMAIN or not issue.active:
                continue
            # A notice of a past event (a damaged store) stays until the user
            # reads it; a block's issue stays while its freeze runs.
            if issue_id.startswith(NOTICES) or (
                frozen and issue_id.startswith("action_blocked")
            ):
                continue
            self.stuck += 1
            self.notes.append(f"repair issue {issue_id} still open at end")

    def counts(self) -> dict[str, int]:
        """The findings, by the names of the `chaos:` line."""
        return {
            "double_likes": len(self.double),
            "lost_likes": len(self.lost) + self.uncounted,
            "limit_violations": len(self.over_hour) + len(self.over_day),
            "stuck": self.stuck,
            "likes_in_freeze": len(self.in_freeze),
        }


def _second_requests(
    records: list[RequestRecord], kept: dict[int, float]
) -> dict[int, float]:
    """Media that got a like request after the one whose like Instagram kept.

    Requests are taken in the order they arrived (`RequestRecord.arrived`): a
    request whose answer a timeout held back is logged later, and must not look
    like a second request. The kept like's request is the first one Instagram
    acted on (answered 200 with no fault, or acted on before a timeout); a like
    a silent block dropped keeps nothing, so liking again after it is no double.

    Args:
        records: The emulator's request log.
        kept: Media pk -> time of our like Instagram kept (`Auditor._kept`).

    Returns:
        Media pk -> arrival (world seconds) of its first second like request.

    """
    likes = [
        r
        for r in records
        if r.media_pk in kept
        and any(fnmatchcase(r.endpoint, p) for p in LIKE_ENDPOINTS)
    ]
    likes.sort(key=_arrival)
    acted: set[int] = set()
    found: dict[int, float] = {}
    for record in likes:
        pk = record.media_pk
        assert pk is not None  # filtered above
        if pk in acted:
            found.setdefault(pk, _arrival(record))
        elif record.status == HTTP_OK and record.fault in ACTED_FAULTS:
            acted.add(pk)
    return found


def _first_requests(
    records: list[RequestRecord], kept: dict[int, float]
) -> dict[int, float]:
    """Return media pk -> arrival of its first like request, for kept likes."""
    first: dict[int, float] = {}
    for record in records:
        pk = record.media_pk
        if pk in kept and any(fnmatchcase(record.endpoint, p) for p in LIKE_ENDPOINTS):
            first[pk] = min(first.get(pk, math.inf), _arrival(record))
    return first


def _arrival(record: RequestRecord) -> float:
    return record.at if record.arrived is None else record.arrived


def _pk(key: str) -> int | None:
    """The media pk of a ledger key ("pk" or Instagram's "pk_owner" media id)."""
    head = key.split("_", 1)[0]
    return int(head) if head.isdigit() else None
