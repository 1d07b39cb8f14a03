"""Follow mode's pass: like the stories and posts of every account the user follows.

Stories come from the reels tray (`feed/reels_tray/`, the followed accounts with
live stories) and batched `feed/reels_media/` reads; posts from the home feed
(`feed/timeline/`), of which the client keeps only followed accounts' own posts:
never an ad, a suggested post or reel, or a suggested account. Excluded usernames
are never liked. An account seen for the first time is baselined at the previous
read of the feeds: what it had published before is not liked (as a new target's
backlog is not), what it published since is. Likes go through the target mode's
`MediaService.async_like`, so the same limits, safety gate and budget apply.

When a limit holds the next like back (likes or story views per hour or day, the
warm-up's lower limits, the request budget), the pass waits for its window to
free up, as the planner lets a target cycle wait, while that comes before the
next cycle starts and the gate allows liking then (no freeze, backoff, pause or
night). The likes thus keep the pauses the pacer gives them and spread over the
hour instead of stopping at its limit until the next cycle.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from typing import TYPE_CHECKING, Final

from .clock import DAY
from .media import likeable_unread
from .models import MediaItem, MediaKind, Target
from .pacer import CycleStop
from .planner import Step, StepKind, seconds_until_step
from .safety import Act

if TYPE_CHECKING:
    from collections.abc import Callable

    from .client import InstagramClient
    from .clock import Clock, Sleep
    from .follow import FollowSettings
    from .media import MediaService
    from .pacer import Pacer
    from .planner import Policy
    from .ratelimit import RateLimiter
    from .safety import Refusal, SafetySettings
    from .state import StoredData

#: Reels per `feed/reels_media/` request: Instagram refuses more than about 20
#: ("Too many reels requested", ohld/igbot#950, mgp25/Instagram-API#2704).
REELS_BATCH: Final = 20
#: Home-feed pages read per pass at most (the app loads a few on a refresh).
TIMELINE_PAGES: Final = 3
#: Followed accounts not seen for this long are forgotten (re-baselined if seen).
FOLLOWED_RETENTION: Final = 30 * DAY
#: Followed accounts kept at most; the least recently seen go first.
FOLLOWED_CAP: Final = 5000
#: A story expires this many seconds after it was posted.
_STORY_LIFETIME: Final = DAY


class FollowPass:
    """One read of the followed accounts' feeds and the likes it allows.

    Args:
        client: The blocking Instagram client (calls go through `pacer`).
        pacer: Sends each call within budget; raises `CycleStop` at its end.
        stored: The account state (ledger, `followed`, `follow_pass`).
        media: Likes within the limits and records each like.
        limiter: The like and request windows (read, never written here).
        constraints: Returns the safety policy's constraints as they are now
            (freezes, the warm-up's and the pace's like limits).
        refusal: The engine's gate (`Engine.refusal`).
        clock: Unix seconds.
        sleep: Waits, seconds.

    """

    def __init__(  # noqa: PLR0913 - the collaborators, each named
        self,
        client: InstagramClient,
        pacer: Pacer,
        stored: StoredData,
        media: MediaService,
        *,
        limiter: RateLimiter,
        constraints: Callable[[], Policy],
        refusal: Callable[..., Refusal | None],
        clock: Clock,
        sleep: Sleep,
    ) -> None:
        """Hold the collaborators."""
        self._client = client
        self._pacer = pacer
        self._stored = stored
        self._media = media
        self._limiter = limiter
        self._constraints = constraints
        self._refusal = refusal
        self._clock = clock
        self._sleep = sleep
        #: pk -> the tray's `latest_reel_media` up to which every story of the
        #: account is liked or passed over: its reel is not read again until the
        #: tray shows a newer story (memory only: after a restart, one read each).
        self._reels_done: dict[str, int] = {}
        #: pk -> `latest_reel_media` of the reels read in the current pass.
        self._reels_read: dict[str, int] = {}

    async def async_run(
        self, settings: SafetySettings, chosen: list[Target], *, until: float
    ) -> int:
        """Read the feeds and like what is new, stories nearest expiry first.

        Does nothing unless `settings.follow` likes everyone followed. A like the
        limits hold back waits for room (module docstring) if that comes before
        `until`; otherwise the pass ends and the next one reads the feeds anew.

        Args:
            settings: The safety options: `follow` (mode, exclusions) and
                `max_likes_per_target_cycle` (likes per account and pass).
            chosen: The chosen targets: in `both` mode their own cycle likes
                them (or not, when switched off), so this pass leaves them alone.
            until: Unix seconds the next cycle starts; no wait goes past it.

        Returns:
            How many likes were sent.

        Raises:
            IgAutolikerError: As `Pacer.async_call`; `CycleStop` ends the pass
                quietly (budget, limits, the gate).

        """
        if not settings.follow.follows:
            return 0
        targets = frozenset(t.pk for t in chosen if settings.follow.targets)
        per_account = settings.max_likes_per_target_cycle
        now = self._clock()
        previous = self._stored.follow_pass
        names: dict[str, str] = {}
        candidates: list[MediaItem] = []
        with contextlib.suppress(CycleStop):  # like what was read so far
            await self._async_read(
                settings.follow, targets, names, candidates, previous
            )
        self._stored.follow_pass = now
        self.cleanup(now)
        return await self._async_like(candidates, names, targets, per_account, until)

    async def _async_read(
        self,
        settings: FollowSettings,
        targets: frozenset[str],
        names: dict[str, str],
        candidates: list[MediaItem],
        previous: float | None,
    ) -> None:
        """Fill `candidates` with unliked media after each account's baseline."""
        tray = await self._pacer.async_call(self._client.reels_tray)
        wanted = []
        for entry in tray:
            if entry.user_pk in targets or entry.username in settings.excluded:
                continue
            names[entry.user_pk] = entry.username
            since = self._seen(entry.user_pk, previous)
            done = self._reels_done.get(entry.user_pk, 0)
            if entry.latest_reel_media > max(since, done):
                wanted.append(entry.user_pk)
        for start in range(0, len(wanted), REELS_BATCH):
            batch = wanted[start : start + REELS_BATCH]
            reels = await self._pacer.async_call(self._client.reels_media, batch)
            self._reels_read |= {
                entry.user_pk: entry.latest_reel_media
                for entry in tray
                if entry.user_pk in batch
            }
            for pk, stories in reels.items():
                if pk in names:
                    candidates.extend(self._fresh(pk, stories))
        cursor: str | None = None
        for _page in range(TIMELINE_PAGES):
            posts, cursor = await self._pacer.async_call(self._client.timeline, cursor)
            for post in posts:
                pk = post.item.owner_pk
                if pk in targets or post.username in settings.excluded:
                    continue
                names[pk] = post.username
                self._seen(pk, previous)
                candidates.extend(self._fresh(pk, [post.item]))
            if cursor is None:
                break

    def _seen(self, pk: str, previous: float | None) -> float:
        """Note an account as seen now; return its baseline (Unix seconds)."""
        now = self._clock()
        times = self._stored.followed.get(pk)
        if times is None:
            # New: what it published before the last read is its backlog.
            times = self._stored.followed[pk] = [previous or now, now, 0.0]
        times[1] = now
        return times[0]

    def _fresh(self, pk: str, items: list[MediaItem]) -> list[MediaItem]:
        """Items after the account's baseline that are not liked yet."""
        since = self._stored.followed[pk][0]
        fresh = []
        for item in items:
            if item.taken_at.timestamp() <= since or item.owner_pk != pk:
                continue
            if not likeable_unread(self._stored, self._media.watch, item):
                continue
            if item.has_liked:
                self._stored.remember_found(item.kind, item.pk, self._clock())
                continue
            fresh.append(item)
        return fresh

    async def _async_like(
        self,
        candidates: list[MediaItem],
        names: dict[str, str],
        targets: frozenset[str],
        per_account: int,
        until: float,
    ) -> int:
        """Like stories by expiry, then posts oldest first, a few per account."""
        stories = sorted(
            (c for c in candidates if c.kind is MediaKind.STORY),
            key=lambda c: c.taken_at,
        )
        posts = sorted(
            (c for c in candidates if c.kind is not MediaKind.STORY),
            key=lambda c: c.taken_at,
        )
        count: defaultdict[str, int] = defaultdict(int)
        liked, seen = 0, set()
        try:
            for item in [*stories, *posts]:
                pk = item.owner_pk
                if count[pk] >= per_account or item.pk in seen:
                    continue
                seen.add(item.pk)
                target = Target(pk=pk, username=names.get(pk, pk))
                if await self._async_like_in_time(target, item, until):
                    liked += 1
                    count[pk] += 1
                    self._stored.followed[pk][2] = self._clock()
                if pk not in targets:
                    # The like is in the ledger; a followed account has no target row.
                    self._stored.targets.pop(pk, None)
        except CycleStop:
            pass
        now = self._clock()
        left = {
            c.owner_pk
            for c in stories
            if not self._stored.is_liked(c.kind, c.pk) and not _expired(c, now)
        }
        self._reels_done |= {
            pk: latest for pk, latest in self._reels_read.items() if pk not in left
        }
        self._reels_read = {}
        return liked

    async def _async_like_in_time(
        self, target: Target, item: MediaItem, until: float
    ) -> bool:
        """Like `item` once the limits have room for it, waiting up to `until`.

        Returns:
            True when liked; False when it is gone, or a story that expired.

        Raises:
            CycleStop: No room before `until`, or the gate or Instagram stopped
                liking (as `MediaService.async_like`).
            IgAutolikerError: As `MediaService.async_like`.

        """
        while True:
            if (wait := self._room_in(item)) > 0.0:
                await self._async_wait(wait, until)
                continue  # the windows are asked again: a lookup may have sent
            if _expired(item, self._clock()):
                return False
            try:
                return await self._media.async_like(target, item)
            except CycleStop:
                if self._room_in(item) == 0.0:
                    raise  # not a limit: the gate or Instagram stopped it
                # A limit was reached during the like's pauses (a read of the
                # silent-block check took the last request): wait for its room.

    def _room_in(self, item: MediaItem) -> float:
        """Seconds until the limits and the freezes allow liking `item` (0.0: now)."""
        step = Step(StepKind.LIKE, item.owner_pk, item)
        return seconds_until_step(
            self._limiter, self._constraints(), step, self._clock()
        )

    async def _async_wait(self, wait: float, until: float) -> None:
        """Sleep `wait` seconds for a window to free up, if liking may go on then.

        Raises:
            CycleStop: Room comes only at or after `until` (the next cycle), or
                the gate refuses a like at its end: a freeze or backoff, a pause,
                or the active hours over by then (nothing is waited for).

        """
        if self._clock() + wait >= until:
            raise CycleStop
        if self._refusal(Act.LIKE, within=wait) is not None:
            raise CycleStop
        await self._sleep(wait)

    def cleanup(self, now: float) -> int:
        """Forget accounts not seen for `FOLLOWED_RETENTION`; keep `FOLLOWED_CAP`.

        Returns:
            How many accounts were forgotten.

        """
        followed = self._stored.followed
        gone = [pk for pk, t in followed.items() if now - t[1] >= FOLLOWED_RETENTION]
        for pk in gone:
            del followed[pk]
        if len(followed) > FOLLOWED_CAP:
            oldest = sorted(followed, key=lambda pk: followed[pk][1])
            extra = oldest[: len(followed) - FOLLOWED_CAP]
            for pk in extra:
                del followed[pk]
            gone += extra
        return len(gone)


def _expired(item: MediaItem, now: float) -> bool:
    """Tell whether `item` is a story past its 24 h (it can no longer be liked)."""
    return (
        item.kind is MediaKind.STORY
        and item.taken_at.timestamp() + (_STORY_LIFETIME) <= now
    )
