"""Catch silent like blocks: likes Instagram answered ok that the feeds show unliked.

The feeds a cycle reads anyway carry `has_liked`; each read is compared with our
record of recent likes (`outcomes.py`). A like found unliked leaves the ledger and
the target's totals and is held back; once enough of the latest likes were dropped,
likes are frozen like after `feedback_required` (`safety.py`) and the listener hears
`Blocked` with the kind `silent`. So that a block is noticed within a few likes, a
like waits while too many earlier ones are unseen (`LikeOutcomes.unseen`): one feed
read, of the newest of them, comes first; the planner lets such a like wait until
the request budget has room for the read as well (`check_requests`), so that the
read never takes the like's requests and ends the cycle early. Once a block is
found, the likes still unseen are read once, so that the totals are right during
the freeze.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from .events import Changed, Progress
from .exceptions import TargetNotFound, TargetPrivate
from .models import MediaKind
from .outcomes import Change
from .pace import WarningKind
from .planner import SINGLE_REQUEST
from .safety import BlockKind, FreezeScope

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .client import InstagramClient
    from .clock import Clock
    from .events import Listener
    from .models import MediaItem
    from .pacer import Pacer
    from .safety import SafetyPolicy
    from .state import StoredData

_LOGGER = logging.getLogger(__name__)


class SilentBlockWatch:
    """Compares what the feeds show with our likes; freezes likes on a silent block.

    Args:
        client: The blocking Instagram client (feed reads go through `pacer`).
        pacer: Sends the check reads within budget; reports a freeze.
        stored: The ledger, the targets' totals and `like_outcomes`.
        policy: Starts the freeze; its `feedback_freeze` is how long a dropped like
            is held back.
        clock: Unix seconds.
        listener: Receives `Changed` and `Progress`.

    """

    def __init__(  # noqa: PLR0913 - the collaborators, each named
        self,
        client: InstagramClient,
        pacer: Pacer,
        stored: StoredData,
        policy: SafetyPolicy,
        *,
        clock: Clock,
        listener: Listener,
    ) -> None:
        """Hold the collaborators."""
        self._client = client
        self._pacer = pacer
        self._stored = stored
        self._policy = policy
        self._clock = clock
        self._notify = listener
        #: A silent freeze just began: the likes not seen yet are read once.
        self._settle = False

    def sent(self, target_pk: str, item: MediaItem, *, stuck: bool = False) -> None:
        """Note one of our likes Instagram answered ok.

        Args:
            target_pk: Whose media it is.
            item: The liked media.
            stuck: A feed already showed it liked (its answer had been lost).

        """
        self._stored.like_outcomes.sent(
            item.pk, item.kind, target_pk, self._clock(), stuck=stuck
        )

    def is_held(self, pk: str) -> bool:
        """Tell whether media `pk` was found dropped lately and must not be liked."""
        return self._stored.like_outcomes.is_held(pk, self._clock())

    def observe(
        self, target_pk: str, items: Iterable[MediaItem], *, story: bool
    ) -> None:
        """Compare one feed of a target with our likes; freeze on a silent block.

        Args:
            target_pk: Whose feed it is.
            items: Everything the feed showed (before any filtering).
            story: True for the story feed, False for the post feed.

        """
        record = self._stored.like_outcomes
        now = self._clock()
        hold = self._policy.settings.feedback_freeze
        changed = False
        shown = set()
        for item in items:
            shown.add(item.pk)
            change = record.observe(item.pk, liked=item.has_liked, now=now, hold=hold)
            if change is not None:
                self._count(target_pk, item.kind, item.pk, change)
                changed = True
            if change is Change.DROPPED and item.kind is MediaKind.STORY:
                # Not handled after all: the reels tray must show the feed again
                # so that the story is liked after its hold.
                state = self._stored.target(target_pk)
                before = int(item.taken_at.timestamp()) - 1
                state.latest_reel_media = min(state.latest_reel_media or before, before)
        record.not_shown(target_pk, story=story, shown=shown)
        if changed:
            self._notify(Changed())
            self._notify(Progress(target_pk))
        self._detect()

    def _count(self, target_pk: str, kind: MediaKind, pk: str, change: Change) -> None:
        """Take a dropped like out of the ledger and the totals, or put it back."""
        state = self._stored.target(target_pk)
        step = -1 if change is Change.DROPPED else 1
        if kind is MediaKind.STORY:
            state.stories_liked = max(state.stories_liked + step, 0)
        else:
            state.posts_liked = max(state.posts_liked + step, 0)
        if change is Change.DROPPED:
            self._stored.forget(kind, pk)
            self._policy.pace.warn(WarningKind.DROPPED_LIKE)  # slows the pace
        else:
            # Back at the time of our like: the limits counted it then, and limits
            # restored from the ledger must not count it again now.
            like = self._stored.like_outcomes.likes.get(pk)
            self._stored.remember(
                kind, pk, self._clock() if like is None else like.sent_at
            )
        _LOGGER.info(
            "Like %s: target=%s pk=%s kind=%s cycle=%s",
            "did not stick" if change is Change.DROPPED else "shows again",
            target_pk,
            pk,
            kind,
            self._pacer.cycle_id,
        )

    def _detect(self) -> None:
        """Freeze likes when enough of the latest were dropped."""
        record = self._stored.like_outcomes
        now = self._clock()
        if self._policy.frozen_until(FreezeScope.LIKES) is not None:
            # Likes sent before a freeze are judged by it; they never start another.
            record.restart_count(now)
            return
        if (evidence := record.evidence()) is None:
            return
        dropped, weighed = evidence
        _LOGGER.warning(
            "%s of the last %s likes did not stick: a silent like block",
            dropped,
            weighed,
        )
        record.restart_count(now)
        self._settle = True
        self._pacer.report_freeze(self._policy.feedback_required("", BlockKind.SILENT))

    def check_requests(self) -> int:
        """Return the requests `async_check` sends before the next like, count.

        One feed read while a check is due (`LikeOutcomes.to_check`), else 0. A
        read that finds its like stuck covers the older unseen ones, so one is
        what a check costs unless it finds a drop.
        """
        if self._settle or self._stored.like_outcomes.to_check() is not None:
            return SINGLE_REQUEST
        return 0

    async def async_check(self) -> None:
        """Read the feed of our newest unseen like, while too many likes are unseen.

        Called before a like: it then goes out only when fewer than
        `MAX_UNCHECKED` (`outcomes.py`) earlier ones are unseen, so that a block is
        noticed after a few likes, not after a cycle's worth. A target that is gone
        or private settles nothing and counts neither way.

        Raises:
            CycleStop, IgAutolikerError: As `Pacer.async_call`.

        """
        record = self._stored.like_outcomes
        while not self._settle and (check := record.to_check()) is not None:
            await self._async_read(*check)
        await self.async_settle()

    async def async_settle(self) -> None:
        """After a silent block was found, see the likes not seen yet (no-op else).

        They may have gone into the block as well: one read of the feed of the
        newest of them at a time (reads are not frozen, at most `MAX_UNCHECKED`)
        takes the dropped ones out of the totals now, not after the freeze.

        Raises:
            CycleStop, IgAutolikerError: As `Pacer.async_call`.

        """
        record = self._stored.like_outcomes
        while self._settle and (unseen := record.unseen()):
            newest = unseen[-1]
            await self._async_read(newest.target_pk, newest.story)
        self._settle = False

    async def _async_read(self, target_pk: str, story: bool) -> None:  # noqa: FBT001
        """Read one feed of a target and compare it with our likes."""
        read = self._client.user_stories if story else self._client.user_posts
        try:
            items = await self._pacer.async_call(read, target_pk)
        except TargetNotFound, TargetPrivate:
            items = []
        self.observe(target_pk, items, story=story)
