"""Stories and posts of one target: the spec's StoryService and PostService.

Fetches a target's feeds, drops what was there before the target was added (the
baseline), leaves out what is liked already (in the ledger or on Instagram), likes
one item within the limits and records it the moment Instagram confirms it. A like
whose answer was lost (timeout, reset) counts against the limits at once and is never
sent again until a feed shows whether it landed (`has_liked`). Each like is on disk
before it is sent, as such a like (`unsure_likes`): a hard kill before the answer is
saved cannot make the limits forget it. Every feed read is also compared with our
recent likes (`silent.py`): one answered ok that a feed shows unliked did not stick.
"""

from __future__ import annotations

import logging
from collections import deque
from functools import partial
from typing import TYPE_CHECKING, Final

from . import fairness
from .events import Changed, Liked, Progress
from .exceptions import CannotConnect, IgAutolikerError, TargetNotFound
from .models import MediaItem, MediaKind, RecentLike, media_link
from .pacer import CycleStop
from .planner import SINGLE_REQUEST, STORY_LIKE_REQUESTS, StepKind
from .ratelimit import Action
from .safety import Act, baseline_cutoff
from .silent import SilentBlockWatch

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterable, Sequence

    from .client import InstagramClient
    from .clock import Clock, Sleep
    from .events import Listener
    from .models import Target
    from .pacer import Pacer
    from .planner import CyclePlanner
    from .ratelimit import RateLimiter
    from .safety import Refusal, SafetyPolicy
    from .state import StoredData, TargetState

_LOGGER = logging.getLogger(__name__)

#: Looks up post pks in the like history; returns how many were found there.
type RecallPosts = Callable[[Iterable[str], float], Awaitable[int]]
#: Writes the account state to disk now; returns when it is written.
type Persist = Callable[[], Awaitable[None]]

#: Seconds after a like whose answer was lost before a feed that does not show it
#: liked counts as "it did not land": a slow server may act after our read timeout
#: gave up, and a second request would be a second like.
#: How many of a target's latest likes its "Last like" sensor lists (bounded:
#: state attributes are written to the recorder with each change).
RECENT_LIKES: Final = 10
UNSURE_RECHECK: Final = 600.0


class MediaService:
    """Fetch, filter, like and record the media of the targets.

    Args:
        client: The blocking Instagram client (calls go through `pacer`).
        pacer: Sends each call within budget.
        stored: The account state and liked ledger.
        limiter: The like and story-view limits.
        policy: Notes each like (the warm-up after a freeze starts with it).
        refusal: The engine's gate.
        recall_posts: Brings posts liked long ago back from the like history.
        persist: Writes the account state now (before each like goes out).
        clock: Unix seconds.
        sleep: Waits, seconds.
        listener: Receives `Liked`, `Progress` and `Changed`.

    """

    def __init__(  # noqa: PLR0913 - the collaborators, each named
        self,
        client: InstagramClient,
        pacer: Pacer,
        stored: StoredData,
        limiter: RateLimiter,
        policy: SafetyPolicy,
        *,
        refusal: Callable[..., Refusal | None],
        recall_posts: RecallPosts,
        persist: Persist,
        clock: Clock,
        sleep: Sleep,
        listener: Listener,
    ) -> None:
        """Hold the collaborators."""
        self._client = client
        self._pacer = pacer
        self._stored = stored
        self._limiter = limiter
        self._policy = policy
        self._refusal = refusal
        self._recall_posts = recall_posts
        self._persist = persist
        self._clock = clock
        self._sleep = sleep
        self._notify = listener
        #: Compares the feeds with our likes; freezes likes on a silent block.
        self.watch = SilentBlockWatch(
            client, pacer, stored, policy, clock=clock, listener=listener
        )
        #: Target pk -> its latest likes, newest first (this run only).
        self.recent_likes: dict[str, deque[RecentLike]] = {}

    # -- feeds -------------------------------------------------------------------

    async def async_fetch(
        self, planner: CyclePlanner, kind: StepKind, target: Target, state: TargetState
    ) -> None:
        """Fetch a friendship status, story feed or post feed of one target."""
        if kind is StepKind.FRIENDSHIP:
            state.followed = await self._pacer.async_call(
                self._client.in_tray_when_live, target.pk
            )
            state.followed_checked = self._clock()
            planner.on_friendship(target.pk)
        elif kind is StepKind.STORIES:
            stories = await self._pacer.async_call(self._client.user_stories, target.pk)
            await self._async_take_stories(planner, [(target, state, stories)])
        else:
            posts = await self._pacer.async_call(self._client.user_posts, target.pk)
            state.last_post_check = self._clock()
            self.watch.observe(target.pk, posts, story=False)
            await self.watch.async_settle()
            posts = self._after_baseline(target, state, posts, story=False)
            fairness.note_seen(state, posts, state.last_post_check)
            # A post liked long ago (pinned, or an idle target) is in the history.
            await self._recall_posts([post.pk for post in posts], self._clock())
            planner.on_posts(target.pk, self._unliked(target, posts))

    async def async_fetch_stories(
        self, planner: CyclePlanner, batch: Sequence[tuple[Target, TargetState]]
    ) -> None:
        """Read the stories of several targets in one `feed/reels_media/` request.

        Args:
            planner: Told each target's stories (`on_stories`), as after a
                fetch of its own feed.
            batch: The targets and their states (at most the client's batch).

        Raises:
            CycleStop, IgAutolikerError: As `Pacer.async_call`.

        """
        found = await self._pacer.async_call(
            self._client.reels_media, [target.pk for target, _ in batch]
        )
        await self._async_take_stories(
            planner, [(t, state, found.get(t.pk, [])) for t, state in batch]
        )

    async def _async_take_stories(
        self,
        planner: CyclePlanner,
        fetched: Sequence[tuple[Target, TargetState, list[MediaItem]]],
    ) -> None:
        """Handle read story feeds: outcomes, baseline, unliked, handled mark."""
        now = self._clock()
        for target, state, stories in fetched:
            state.last_story_check = now
            self.watch.observe(target.pk, stories, story=True)
        await self.watch.async_settle()
        for target, state, everything in fetched:
            newest = max((int(s.taken_at.timestamp()) for s in everything), default=0)
            stories = self._after_baseline(target, state, everything, story=True)
            fairness.note_seen(state, stories, now)
            unliked = self._unliked(target, stories)
            if waiting := [
                s
                for s in stories
                if s.pk in self._stored.unsure_likes or self.watch.is_held(s.pk)
            ]:
                # A story whose like is still unsure is not handled: the tray must
                # not hide this feed before a later fetch tells how it went. Nor
                # one whose like was dropped: it is liked again after its hold.
                newest = min(int(s.taken_at.timestamp()) for s in waiting) - 1
            planner.on_stories(target.pk, unliked, newest)
            self.stories_handled(planner, state)

    def _after_baseline(
        self, target: Target, state: TargetState, items: list[MediaItem], *, story: bool
    ) -> list[MediaItem]:
        """Drop what a new target had published before it was added.

        At the first check of a target added with a backlog choice, its current
        posts are baselined except the newest `backlog_posts`, and its current
        stories unless `like_current_stories`; a target from before baselining
        (no choice stored) is never baselined.
        """
        since = state.stories_since if story else state.posts_since
        if since is None:
            if target.backlog_posts is None:
                return items
            if story:
                since = 0.0 if target.like_current_stories else self._clock()
                state.stories_since = since
            else:
                stamps = [item.taken_at.timestamp() for item in items]
                since = baseline_cutoff(stamps, target.backlog_posts)
                state.posts_since = since
            _LOGGER.debug(
                "Baselined %s %s of %s",
                sum(item.taken_at.timestamp() <= since for item in items),
                "stories" if story else "posts",
                target.username,
            )
        return [item for item in items if item.taken_at.timestamp() > since]

    def _unliked(self, target: Target, items: list[MediaItem]) -> list[MediaItem]:
        """Items liked neither in the ledger nor on Instagram (those are remembered).

        A like found dropped (`silent.py`) is not in the ledger, yet it waits: it
        is not sent again until its hold ends.
        """
        result = []
        for item in items:
            if self._stored.is_liked(item.kind, item.pk) or self.watch.is_held(item.pk):
                continue
            if (sent_at := self._stored.unsure_likes.get(item.pk)) is not None:
                if not item.has_liked and self._clock() - sent_at < UNSURE_RECHECK:
                    continue  # Instagram may still be handling it: never resend yet
                del self._stored.unsure_likes[item.pk]
                self._notify(Changed())
                if item.has_liked:
                    # Our like whose answer was lost did land: record it once now.
                    self.record_like(target, item, None, counted_at=sent_at)
                    continue
                self._limiter.forget(Action.LIKE, sent_at)  # it did not land
            if item.has_liked:
                # Liked by hand or another app: remember it, never like it again.
                self._stored.remember_found(item.kind, item.pk, self._clock())
                self._notify(Changed())
                continue
            result.append(item)
        return result

    @staticmethod
    def stories_handled(planner: CyclePlanner, state: TargetState) -> None:
        """Remember the newest story once all of the target's were handled.

        Only then: a limit or a switch mid-list must not let the tray hide the rest.
        """
        if (newest := planner.stories_handled(state.pk)) is not None and newest:
            state.latest_reel_media = newest

    # -- likes -------------------------------------------------------------------

    async def async_like(self, target: Target, item: MediaItem) -> bool:
        """Like one item within the like and story-view limits (spec QS-01).

        Returns:
            True when liked, False when the media is gone.

        Raises:
            CycleStop: Not allowed now, a limit was reached or Instagram throttles.
            IgAutolikerError: As `Pacer.async_call`.

        """
        is_story = item.kind is MediaKind.STORY
        delay = self._limiter.like_delay()
        # The like goes out after its pause and the request pause (at most 2x).
        lead = delay + 2 * self._limiter.limits.delay_between_requests
        # Paused or frozen meanwhile, the active hours end before the like is sent
        # (`lead` at the latest), or the effective (warm-up, pace) like limits are
        # reached: the gate holds every caller. The limits must hold already now:
        # the like may go out before `lead`.
        if self._refusal(Act.LIKE, within=lead) or self._refusal(Act.LIKE):
            raise CycleStop
        if not self._limiter.allows(Action.LIKE) or (
            is_story and not self._limiter.allows(Action.STORY_VIEW)
        ):
            _LOGGER.info(
                "Like limit reached in cycle %s; %s %s of %s waits",
                self._pacer.cycle_id,
                item.kind,
                item.pk,
                target.username,
            )
            raise CycleStop
        # Too many earlier likes not yet seen in a feed: one read first.
        await self.watch.async_check()
        if self._refusal(Act.LIKE, within=lead) is not None:
            raise CycleStop  # the read found a silent block
        await self._sleep(delay)
        like = self._client.like_story if is_story else self._client.like_post
        try:
            await self._pacer.async_call(
                like,
                item,
                requests=STORY_LIKE_REQUESTS if is_story else SINGLE_REQUEST,
                on_done=partial(self.record_like, target, item),
                resend=False,
                before_send=partial(self._async_intend, item),
            )
        except TargetNotFound:
            self._not_sent(item)
            self._log_failure(target, item, "media_gone")
            return False
        except CannotConnect:
            # Sent, but did it land? The next feed tells (has_liked); until then
            # the limits count it, as Instagram may.
            self._stored.unsure_likes[item.pk] = self._clock()
            self._count_like(item)
            self._notify(Changed())
            self._log_failure(target, item, CannotConnect.__name__)
            raise
        except (CycleStop, IgAutolikerError) as err:
            self._not_sent(item)
            self._log_failure(target, item, type(err.__cause__ or err).__name__)
            raise
        return True

    async def _async_intend(self, item: MediaItem) -> None:
        """Put the like on disk as sent (`unsure_likes`), just before it goes out.

        A hard kill from here until the answer is saved leaves it there: the
        restored limits count it (`StoredData.own_likes`) and the next feed tells
        whether it landed. Cancelled before the write is done: it was never sent.
        """
        self._stored.unsure_likes[item.pk] = self._clock()
        try:
            await self._persist()
        except BaseException:
            self._stored.unsure_likes.pop(item.pk, None)
            raise

    def _not_sent(self, item: MediaItem) -> None:
        """Take back the mark of `_async_intend`: the like did not land."""
        if self._stored.unsure_likes.pop(item.pk, None) is not None:
            self._notify(Changed())

    def _log_failure(self, target: Target, item: MediaItem, error: str) -> None:
        _LOGGER.warning(
            "Like failed: target=%s pk=%s kind=%s error=%s cycle=%s",
            target.username,
            item.pk,
            item.kind,
            error,
            self._pacer.cycle_id,
        )

    def _count_like(self, item: MediaItem) -> None:
        """Count a like (and a story's view) against the limits."""
        self._limiter.record(Action.LIKE)
        if item.kind is MediaKind.STORY:
            self._limiter.record(Action.STORY_VIEW)

    def record_like(
        self,
        target: Target,
        item: MediaItem,
        _result: None,
        *,
        counted_at: float | None = None,
    ) -> None:
        """Record a like as soon as Instagram confirmed it.

        Args:
            target: Whose media it is.
            item: What was liked.
            _result: The client call's result (nothing).
            counted_at: Unix seconds the limits already count it at (its answer
                was lost, the feed now shows it landed); the ledger takes this
                time, so that limits restored from both count it once.

        """
        now = self._clock()
        if counted_at is None:
            self._count_like(item)
        self._policy.like_succeeded()
        self._stored.remember(
            item.kind, item.pk, now if counted_at is None else counted_at
        )
        self.watch.sent(target.pk, item, stuck=counted_at is not None)
        state = self._stored.target(target.pk)
        state.last_like = now
        fairness.note_liked(state, item, now)
        if item.kind is MediaKind.STORY:
            state.stories_liked += 1
        else:
            state.posts_liked += 1
        _LOGGER.info(
            "Liked: target=%s pk=%s kind=%s cycle=%s",
            target.username,
            item.pk,
            item.kind,
            self._pacer.cycle_id,
        )
        if item.thumbnail_url:
            state.last_thumbnail = item.thumbnail_url
        url = media_link(target.username, item)
        recent = self.recent_likes.setdefault(target.pk, deque(maxlen=RECENT_LIKES))
        recent.appendleft(RecentLike(now, item.kind, url))
        self._notify(
            Liked(
                target.pk, target.username, item.kind, item.pk, item.thumbnail_url, url
            )
        )
        self._notify(Changed())
        # The counters move with each like, not only at the end of the cycle.
        self._notify(Progress(target.pk))


def likeable_unread(
    stored: StoredData, watch: SilentBlockWatch, item: MediaItem
) -> bool:
    """Tell whether `item` may be liked without a feed read telling more.

    Not when it is liked in the ledger, its like is unsure (only a feed's
    `has_liked` tells whether it landed) or held after a silent drop
    (`silent.py`).

    Args:
        stored: The entry's stored data (ledger and unsure likes).
        watch: The silent-block watch (held likes).
        item: A story or post fetched earlier.

    Returns:
        True when a like may be sent for it now.

    """
    return not (
        stored.is_liked(item.kind, item.pk)
        or item.pk in stored.unsure_likes
        or watch.is_held(item.pk)
    )


def still_unliked(
    stored: StoredData, watch: SilentBlockWatch, items: Iterable[MediaItem]
) -> list[MediaItem]:
    """Return the items an earlier cycle fetched that may be liked now, in order.

    Those `likeable_unread` passes: the ledger, unsure likes and held likes may
    have changed since the fetch.
    """
    return [item for item in items if likeable_unread(stored, watch, item)]
