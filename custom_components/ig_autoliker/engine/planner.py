"""The cycle planner: decides the next step of a liking cycle.

Pure Python like `ratelimit.py`: no Home Assistant import, no I/O, no sleeping. The
coordinator asks `CyclePlanner.next_step()` what to do, does it (one request or one
like), reports the outcome with the `on_*` methods and asks again, until the planner
answers DONE. The clock is passed in (`now`, Unix seconds); the budget is read from the
`RateLimiter`, which has its own injected clock.

What the planner decides, in priority order (the first step the budget allows now
wins; when none is allowed it answers WAIT until the first one is, or DONE when that
is past the next cycle):

1. The reels tray, once per cycle, when at least two targets want stories.
2. The friendship status of story targets the tray did not show whose status is
   unknown or older than `FRIENDSHIP_MAX_AGE` (one request a week per target).
3. Post feeds about to go unpolled for `POST_POLL_CEILING` (6 h).
4. Story feeds worth a request, the lowest share after one more miss first,
   then the one whose unliked stories may expire first: in the tray with a story
   newer than the newest one handled or carried; or, for a target not known to be
   followed (never in the tray), due once per cycle interval. A followed target
   absent from the tray has no live story and costs nothing: the tray lists every
   followed account with live stories (mgp25/Instagram-API#1201: entries far back
   come without items but with `latest_reel_media`, which is all the planner
   reads; a new story may reach the tray up to an hour late, far inside its 24 h).
   Targets in the tray go together, up to `story_batch` in one `feed/reels_media/`
   request. Reads go before likes, so the likes are handed out knowing every
   story waiting; each story is read once (a batch costs one request for up to
   `story_batch` targets) and carried from cycle to cycle until it is liked or
   expires.
5. A like (`fairness.next_like`): of the likes an hour allows, handed out
   max-min fair (the target whose share of its media liked in time would be
   lowest if none of its waiting items were liked first), the one closest to its
   deadline (a story's expiry, a post's first 24 h) first; a post past its first
   24 h only when nothing else waits. Stories and posts an earlier cycle fetched
   and left unliked are carried over (`carried`).
6. Post feeds due (not polled for `poll_interval`), least recently polled first,
   while enough requests stay for the story likes still pending.

A cycle may be shorter than `poll_interval`: the engine runs one every
`STORY_CHECK` at most, each reading the tray once (the stories of followed
targets), while every post feed and the story feed of a target outside the tray
is read once per `poll_interval` (the configured cycle interval).

Fairness: post feeds are ordered by the time of their last check, story feeds of
equal urgency too, so a cycle that runs out of budget resumes next cycle with the
targets it did not reach (round-robin across cycles without a stored cursor);
targets never checked come first. When the targets publish more than the limits
can like, this spreads the shortfall over all of them instead of starving the ones
added last; the likes themselves go max-min fair (`fairness.py`).

A safety policy plugs in through `Policy`: frozen likes or requests, stricter like
limits, a per-target like cap per cycle.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Final

from . import fairness
from .clock import DAY, HOUR, seconds_until
from .models import MediaKind
from .ratelimit import Action

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping, Sequence

    from .models import MediaItem
    from .ratelimit import Limits, RateLimiter

#: A story expires this many seconds after it was posted (Instagram's 24 h).
STORY_LIFETIME: Final = DAY
#: A post feed is never left unpolled longer than this, seconds: when the budget
#: cannot poll every feed every interval, each is still seen several times a day.
POST_POLL_CEILING: Final = 6 * HOUR
#: The reels tray is read at least this often, seconds: one request shows which
#: followed targets have a new story, so their stories are liked within minutes
#: while the post feeds (one request per target) keep the configured interval.
STORY_CHECK: Final = 15 * 60
#: How long a learned friendship status is trusted, seconds.
FRIENDSHIP_MAX_AGE: Final = 7 * DAY
#: The tray is worth its request from this many story targets on.
TRAY_MIN_TARGETS: Final = 2
#: HTTP requests of each kind of step (see `client.py`): a story like marks the story
#: seen first, so it costs two.
STORY_LIKE_REQUESTS: Final = 2
SINGLE_REQUEST: Final = 1


class StepKind(StrEnum):
    """What the coordinator is to do next."""

    TRAY = "tray"
    FRIENDSHIP = "friendship"
    STORIES = "stories"
    POSTS = "posts"
    LIKE = "like"
    WAIT = "wait"
    DONE = "done"


@dataclass(frozen=True, slots=True)
class Step:
    """One decision of the planner.

    Attributes:
        kind: What to do.
        target_pk: The target concerned (FRIENDSHIP, STORIES, POSTS, LIKE).
        item: The story or post to like (LIKE).
        seconds: How long to wait (WAIT), seconds.
        batch: STORIES only: the targets one `feed/reels_media/` request reads
            (`target_pk` first, two or more; still one request); empty: the
            story feed of `target_pk` alone.

    """

    kind: StepKind
    target_pk: str | None = None
    item: MediaItem | None = None
    seconds: float = 0.0
    batch: tuple[str, ...] = ()

    @property
    def requests(self) -> int:
        """HTTP requests the step sends (count against requests/hour)."""
        if self.kind in {StepKind.WAIT, StepKind.DONE}:
            return 0
        if self.item is not None and self.item.kind is MediaKind.STORY:
            return STORY_LIKE_REQUESTS
        return SINGLE_REQUEST


DONE: Final = Step(StepKind.DONE)


@dataclass(frozen=True, slots=True)
class TargetView:
    """One enabled target as the planner sees it (from the subentry and the store).

    Attributes:
        pk: The target's Instagram pk.
        like_stories: Its stories are to be liked.
        like_posts: Its posts are to be liked.
        followed: The account follows it (None: unknown yet).
        followed_checked: Unix seconds when `followed` was learned, or None.
        last_story_check: Unix seconds of the last story-feed fetch, or None.
        last_post_check: Unix seconds of the last post-feed fetch, or None.
        latest_reel_media: Unix seconds of the newest story handled, or None.
        fair_liked: Its decayed likes in time (`fairness.py`), count.
        fair_seen: Its decayed media decided (liked in time, or missed), count.

    """

    pk: str
    like_stories: bool = True
    like_posts: bool = True
    followed: bool | None = None
    followed_checked: float | None = None
    last_story_check: float | None = None
    last_post_check: float | None = None
    latest_reel_media: int | None = None
    fair_liked: float = 0.0
    fair_seen: float = 0.0

    @property
    def share(self) -> float:
        """Its share of new media liked in time, 0.0-1.0 (`fairness.share`)."""
        return fairness.share(self.fair_liked, self.fair_seen)


@dataclass(frozen=True, slots=True)
class Policy:
    """What the safety policy (`safety.SafetyPolicy`) adds to the rate limiter.

    Attributes:
        requests_frozen_until: Unix seconds; before it no request at all.
        likes_frozen_until: Unix seconds; before it no like (and no feed fetch,
            which would find nothing to like).
        max_likes_per_hour: A like limit per sliding hour stricter than the
            configured one (warm-up), count; None: the limiter's.
        max_likes_per_day: The same per sliding 24 h, count; None: the limiter's.
        max_likes_per_target: Most likes of one target in one cycle, count;
            None: no cap. Its other items wait for the next cycle.
        like_check_requests: Requests the next like sends before its own: the
            feed read of the silent-block check (`silent.py`) when one is due,
            count. A like waits until its budget covers both; else the read
            would take the like's requests and end the cycle early.

    """

    requests_frozen_until: float | None = None
    likes_frozen_until: float | None = None
    max_likes_per_hour: int | None = None
    max_likes_per_day: int | None = None
    max_likes_per_target: int | None = None
    like_check_requests: int = 0

    def like_limits(self, limits: Limits) -> Limits:
        """Return `limits` with the like limits this policy makes stricter.

        Args:
            limits: The rate limiter's limits (the options).

        Returns:
            The same limits, `max_likes_per_hour` and `max_likes_per_day`
            replaced where the policy sets them (counts per hour, per 24 h).

        """
        return replace(
            limits,
            max_likes_per_hour=self.max_likes_per_hour or limits.max_likes_per_hour,
            max_likes_per_day=self.max_likes_per_day or limits.max_likes_per_day,
        )


def _check_time(value: float | None) -> float:
    """Sort a missing check time first (never checked = longest waiting)."""
    return -math.inf if value is None else value


class CyclePlanner:
    """Plans one cycle (or one check of new targets) step by step.

    Args:
        limiter: The account's rate limiter; read, never written.
        started: Unix seconds when the cycle started.
        interval: Cycle interval, seconds; the cycle ends by `started + interval`
            (`deadline`), when the next one starts.
        policy: The safety policy's constraints.
        focus: Only these target pks (a check of new targets: no tray, every
            feed of theirs fetched once); None: a regular cycle.
        story_batch: Most targets one STORIES step reads (`feed/reels_media/`);
            1: one story feed per request.
        poll_interval: How often each post feed (and the story feed of a target
            outside the tray) is read, seconds; None: `interval`.
        carried: Stories and posts an earlier cycle fetched and left unliked,
            still in time (`leftover`); checked against the ledger by the
            caller. A target's carried stories stand for its read: its feed is
            read again only when the tray shows a newer story.

    """

    def __init__(  # noqa: PLR0913 - the cycle's parameters, each named
        self,
        limiter: RateLimiter,
        *,
        started: float,
        interval: float,
        policy: Policy | None = None,
        focus: frozenset[str] | None = None,
        story_batch: int = 1,
        poll_interval: float | None = None,
        carried: Iterable[MediaItem] = (),
    ) -> None:
        """Start planning; only the posts carried over are known of this cycle."""
        self._limiter = limiter
        self.interval = interval
        self.story_batch = story_batch
        self.poll_interval = interval if poll_interval is None else poll_interval
        self.started = started
        self.deadline = started + interval
        self.policy = policy or Policy()
        self._focus = focus
        self._tray: dict[str, int] | None = None
        self._tray_done = False
        self._friendship_done: set[str] = set()
        self._stories_done: set[str] = set()
        self._posts_done: set[str] = set()
        self._failed: set[str] = set()
        #: Fetched, not yet handled items, by media pk.
        self._pending: dict[str, MediaItem] = {item.pk: item for item in carried}
        #: pk -> Unix seconds of its newest story carried over.
        self._carried_stories: dict[str, int] = {}
        for item in carried:
            if item.kind is MediaKind.STORY:
                taken = int(item.taken_at.timestamp())
                pk = item.owner_pk
                self._carried_stories[pk] = max(taken, self._carried_stories.get(pk, 0))
        self._newest_story: dict[str, int] = {}
        self._likes = Counter[str]()

    # ---------------------------------------------------------- outcomes --

    def on_tray(self, latest: Mapping[str, int]) -> None:
        """Record the reels tray: followed pk -> Unix seconds of its newest story."""
        self._tray = dict(latest)
        self._tray_done = True

    def on_friendship(self, pk: str) -> None:
        """Record that the friendship status of `pk` was looked up."""
        self._friendship_done.add(pk)

    def on_stories(self, pk: str, unliked: Iterable[MediaItem], newest: int) -> None:
        """Record a story-feed fetch.

        Args:
            pk: The target.
            unliked: Its stories liked neither in the store nor on Instagram.
            newest: Unix seconds of its newest story (any, liked or not).

        """
        self._stories_done.add(pk)
        # Absent from a batched answer (expired meanwhile, or hidden from us): the
        # tray's story is as handled as it can be.
        self._newest_story[pk] = newest or (self._tray or {}).get(pk, 0)
        for item in unliked:
            self._pending[item.pk] = item

    def on_posts(self, pk: str, unliked: Iterable[MediaItem]) -> None:
        """Record a post-feed fetch and the posts of it still to like."""
        self._posts_done.add(pk)
        for item in unliked:
            self._pending[item.pk] = item

    def on_handled(self, item: MediaItem, *, liked: bool) -> None:
        """Record that `item` was liked (`liked`) or is gone (nothing to like)."""
        self._pending.pop(item.pk, None)
        if liked:
            self._likes[item.owner_pk] += 1

    def on_failed(self, pk: str) -> None:
        """Skip a target that cannot be read (gone, private) for this cycle."""
        self._failed.add(pk)
        for key in [k for k, item in self._pending.items() if item.owner_pk == pk]:
            del self._pending[key]

    def leftover(self, now: float) -> list[MediaItem]:
        """Return the fetched items left unliked and still in time, oldest first.

        The next cycle carries them (`carried`): a post left now would otherwise
        wait for its feed's next poll (up to `POST_POLL_CEILING`), a story for
        a read of its feed again. A late post comes back with its poll.
        """
        left = [
            item for item in self._pending.values() if fairness.deadline(item) > now
        ]
        return sorted(left, key=lambda item: item.taken_at)

    def stories_handled(self, pk: str) -> int | None:
        """Tell whether every story fetched of `pk` in this cycle was handled.

        Returns:
            Unix seconds of its newest story when its feed was fetched and no
            story of it waits any more (the tray may then hide it), else None.

        """
        if pk not in self._newest_story or any(
            item.owner_pk == pk and item.kind is MediaKind.STORY
            for item in self._pending.values()
        ):
            return None
        return self._newest_story[pk]

    # ------------------------------------------------------------ deciding --

    def next_step(self, targets: Sequence[TargetView], now: float) -> Step:
        """Decide the next step.

        Args:
            targets: The enabled targets as they are now (switches are re-read at
                every step), in the order they were added.
            now: Unix seconds.

        Returns:
            The first step of the priority order (module docstring) that the
            budget allows now; else WAIT for the soonest one when it comes before
            `deadline`; else DONE.

        """
        self._drop_expired(now)
        if self._focus is not None:
            targets = [t for t in targets if t.pk in self._focus]
        wanted = {t.pk: t for t in targets if t.pk not in self._failed}
        soonest = math.inf
        for step in self._candidates(list(wanted.values()), now):
            wait = self._wait_for(step, now)
            if wait == 0.0:
                return step
            soonest = min(soonest, wait)
        if now + soonest < self.deadline:
            return Step(StepKind.WAIT, seconds=soonest)
        return DONE

    def _candidates(self, targets: list[TargetView], now: float) -> Iterator[Step]:
        """Yield the best step of each kind, in priority order."""
        if self._tray_wanted(targets):
            yield Step(StepKind.TRAY)
        for target in self._friendship_due(targets, now):
            yield Step(StepKind.FRIENDSHIP, target.pk)
            break
        posts_due = self._posts_due(targets)
        overdue = [t for t in posts_due if self._overdue(t)]
        if overdue:
            yield Step(StepKind.POSTS, overdue[0].pk)
        stories = self._stories_due(targets, now)
        by_pk = {t.pk: t for t in targets}
        likeable = self._likeable(by_pk)
        story_likes = [i for i in likeable if i.kind is MediaKind.STORY]
        counts = {t.pk: (t.fair_liked, t.fair_seen) for t in targets}
        horizon = self.policy.like_limits(self._limiter.limits).max_likes_per_hour
        item = fairness.next_like(likeable, counts, horizon, now)
        # Read first: the fair order can only weigh the stories it knows of.
        if stories:
            yield Step(StepKind.STORIES, stories[0].pk, batch=self._batch(stories))
        if item is not None:
            yield Step(StepKind.LIKE, item.owner_pk, item)
        if posts_due and self._spare_requests(len(story_likes) + len(stories)):
            yield Step(StepKind.POSTS, posts_due[0].pk)

    def _tray_wanted(self, targets: list[TargetView]) -> bool:
        if self._tray_done or self._focus is not None:
            return False
        return sum(t.like_stories for t in targets) >= TRAY_MIN_TARGETS

    def _friendship_due(
        self, targets: list[TargetView], now: float
    ) -> Iterator[TargetView]:
        """Story targets absent from the tray whose friendship status is stale."""
        if self._tray is None:
            return
        for target in targets:
            if (
                target.like_stories
                and target.pk not in self._tray
                and target.pk not in self._friendship_done
                and (
                    target.followed is None
                    or target.followed_checked is None
                    or now - target.followed_checked >= FRIENDSHIP_MAX_AGE
                )
            ):
                yield target

    def _due(self, last_check: float | None) -> bool:
        """Tell whether a feed went `poll_interval` unchecked by this cycle.

        With cycles as long as the interval: unless checked in this one already.
        """
        if last_check is None:
            return True
        if self.poll_interval <= self.interval:
            return last_check + self.interval < self.deadline
        return last_check + self.poll_interval <= self.started

    def _overdue(self, target: TargetView) -> bool:
        """Tell whether skipping the poll may exceed the 6 h ceiling (next cycle)."""
        last = target.last_post_check
        return last is not None and last + POST_POLL_CEILING <= (
            self.deadline + self.interval
        )

    def _posts_due(self, targets: list[TargetView]) -> list[TargetView]:
        if self._likes_frozen_forever():
            return []
        due = [
            t
            for t in targets
            if t.like_posts
            and t.pk not in self._posts_done
            and (self._focus is not None or self._due(t.last_post_check))
        ]
        return sorted(due, key=lambda t: _check_time(t.last_post_check))

    def _stories_due(self, targets: list[TargetView], now: float) -> list[TargetView]:
        """Story feeds worth a request, the one that may expire first first."""
        if self._likes_frozen_forever():
            return []
        due = [
            t
            for t in targets
            if t.like_stories
            and t.pk not in self._stories_done
            and self._story_feed_worth(t)
        ]

        def urgency(target: TargetView) -> tuple[float, float, float]:
            # The worst-served first (`fairness.py`). Then: stories newer than
            # this may wait; the older they can be, the sooner they expire. Ties
            # (every target left for 24 h when the budget cannot cover them all)
            # go round-robin, the least recently checked first: the order of the
            # targets must not decide who is left out.
            known = (
                target.latest_reel_media
                if self._tray is not None and target.pk in self._tray
                else target.last_story_check
            )
            handled_until = max(_check_time(known), now - STORY_LIFETIME)
            risk = fairness.at_risk(target.fair_liked, target.fair_seen)
            return risk, handled_until, _check_time(target.last_story_check)

        return sorted(due, key=urgency)

    def _batch(self, stories: list[TargetView]) -> tuple[str, ...]:
        """Pick the targets the next story request reads, in `stories`' order.

        Targets in the tray (followed, with a live story) go together, up to
        `story_batch`; a target outside it is read alone from its own feed, which
        tells a private or deleted account apart (a batch leaves both out).
        """
        if self._tray is None or stories[0].pk not in self._tray:
            return ()
        batch = tuple(t.pk for t in stories if t.pk in self._tray)[: self.story_batch]
        return batch if len(batch) > 1 else ()

    def _story_feed_worth(self, target: TargetView) -> bool:
        if self._focus is not None:
            return True
        if self._tray is None:
            return self._due(target.last_story_check)
        if target.pk in self._tray:
            handled = max(
                target.latest_reel_media or 0,
                self._carried_stories.get(target.pk, 0),
            )
            return self._tray[target.pk] > handled
        if target.followed:
            return False  # followed and absent from the tray: no live story
        return self._due(target.last_story_check)

    def _likeable(self, targets: Mapping[str, TargetView]) -> list[MediaItem]:
        """Pending stories and posts whose target still wants them, oldest first."""
        cap = self.policy.max_likes_per_target
        items = [
            item
            for item in self._pending.values()
            if (target := targets.get(item.owner_pk)) is not None
            and (
                target.like_stories
                if item.kind is MediaKind.STORY
                else target.like_posts
            )
            and (cap is None or self._likes[item.owner_pk] < cap)
        ]
        return sorted(items, key=lambda item: item.taken_at)

    def _spare_requests(self, story_work: int) -> bool:
        """Leave enough requests for the story work still waiting this hour."""
        if not story_work:
            return True
        limiter = self._limiter
        left = limiter.limits.max_requests_per_hour - limiter.count(Action.REQUEST)
        likes_left = max(
            0, limiter.limits.max_likes_per_hour - limiter.count(Action.LIKE)
        )
        reserve = STORY_LIKE_REQUESTS * min(story_work, likes_left)
        return left - SINGLE_REQUEST >= reserve

    def _likes_frozen_forever(self) -> bool:
        """Likes stay frozen past this cycle: fetching would find nothing to like."""
        until = self.policy.likes_frozen_until
        return until is not None and until >= self.deadline

    def _drop_expired(self, now: float) -> None:
        """Stories past their 24 h cannot be liked any more: handled."""
        for key in [
            key
            for key, item in self._pending.items()
            if item.kind is MediaKind.STORY
            and item.taken_at.timestamp() + STORY_LIFETIME <= now
        ]:
            del self._pending[key]

    # ------------------------------------------------------------- budget --

    def _wait_for(self, step: Step, now: float) -> float:
        """Seconds until the budget and the policy allow `step` (0.0: now)."""
        return seconds_until_step(self._limiter, self.policy, step, now)


def seconds_until_step(
    limiter: RateLimiter, policy: Policy, step: Step, now: float
) -> float:
    """Return the seconds until the budget and the policy allow `step`.

    Also for the follow pass's likes, which the planner does not plan.

    Args:
        limiter: The account's rate limiter; read, never written.
        policy: The safety policy's constraints (freezes, warm-up limits).
        step: A step that sends requests (a LIKE also counts against the like
            and, for a story, the story-view limits).
        now: Unix seconds.

    Returns:
        Seconds, 0.0 when allowed now; `math.inf` when it never fits.

    """
    requests = step.requests
    if step.item is not None:
        # A like may first need its silent-block check read (SilentBlockWatch).
        requests += policy.like_check_requests
    wait = max(
        seconds_until(now, policy.requests_frozen_until),
        limiter.seconds_until_allowed(Action.REQUEST, requests),
    )
    if step.item is None:
        return wait
    wait = max(
        wait,
        seconds_until(now, policy.likes_frozen_until),
        limiter.seconds_until_allowed(Action.LIKE),
    )
    wait = max(wait, limiter.like_wait(policy.like_limits(limiter.limits)))
    if step.item.kind is MediaKind.STORY:
        wait = max(wait, limiter.seconds_until_allowed(Action.STORY_VIEW))
    return wait
