"""StepRunner: carries out one step of the planner and tells it what came of it.

Part of the engine (`engine.py` owns the cycle loop and the schedule): reads the
reels tray, a friendship status, one feed or a batch of story feeds, or sends one
like, through the media service and the pacer, and reports the outcome to the
planner. A target that cannot be read (gone, private) is skipped for the cycle and
its error is kept in its state.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from . import fairness
from .events import Changed
from .exceptions import TargetNotFound, TargetPrivate
from .models import MediaKind
from .planner import StepKind

if TYPE_CHECKING:
    from .client import InstagramClient
    from .clock import Clock
    from .events import Listener
    from .media import MediaService
    from .models import Target, TrayEntry
    from .pacer import Pacer
    from .planner import CyclePlanner, Step
    from .state import StoredData

_LOGGER = logging.getLogger(__name__)


def take_tray(
    stored: StoredData, entries: list[TrayEntry], targets: dict[str, Target], now: float
) -> dict[str, int]:
    """Note what the reels tray tells of the targets; return pk -> newest story.

    Only followed accounts appear in the tray; a target's new story there counts
    for its fair share (`fairness.note_tray`) even before it is fetched, and
    every target's media past their deadline count as missed.
    """
    tray = {entry.user_pk: entry.latest_reel_media for entry in entries}
    for pk in targets:
        # Stories and posts past their deadline unliked lower the share now.
        fairness.settle(stored.target(pk), now)
    for pk in tray.keys() & targets.keys():
        state = stored.target(pk)
        state.followed, state.followed_checked = True, now
        if targets[pk].like_stories:
            fairness.note_tray(state, tray[pk], now)
    return tray


class StepRunner:
    """Carry out the planner's steps for one account.

    Args:
        client: The blocking Instagram client (calls go through `pacer`).
        pacer: Sends each call within budget.
        stored: The account state.
        media: Fetches feeds and likes.
        clock: Unix seconds.
        listener: Receives `Changed` after each read.

    """

    def __init__(  # noqa: PLR0913 - the collaborators, each named
        self,
        client: InstagramClient,
        pacer: Pacer,
        stored: StoredData,
        media: MediaService,
        *,
        clock: Clock,
        listener: Listener,
    ) -> None:
        """Hold the collaborators."""
        self._client = client
        self._pacer = pacer
        self._stored = stored
        self._media = media
        self._clock = clock
        self._notify = listener

    async def async_step(
        self, planner: CyclePlanner, step: Step, targets: dict[str, Target]
    ) -> None:
        """Execute one step (not WAIT or DONE) and tell the planner what came of it.

        Raises:
            CycleStop, IgAutolikerError: As `Pacer.async_call`.

        """
        if step.kind is StepKind.TRAY:
            entries = await self._pacer.async_call(self._client.reels_tray)
            planner.on_tray(take_tray(self._stored, entries, targets, self._clock()))
            return
        assert step.target_pk is not None  # noqa: S101 - every other step has one
        target = targets[step.target_pk]
        state = self._stored.target(target.pk)
        if step.kind is StepKind.LIKE:
            assert step.item is not None  # noqa: S101 - a LIKE step has an item
            liked = await self._media.async_like(target, step.item)
            planner.on_handled(step.item, liked=liked)
            if step.item.kind is MediaKind.STORY:
                self._media.stories_handled(planner, state)
            return
        if step.batch:
            batch = [(targets[pk], self._stored.target(pk)) for pk in step.batch]
            try:
                await self._media.async_fetch_stories(planner, batch)
            finally:
                self._notify(Changed())
            return
        try:
            await self._media.async_fetch(planner, step.kind, target, state)
        except (TargetNotFound, TargetPrivate) as err:
            planner.on_failed(target.pk)
            state.error_count += 1
            state.last_error = (
                "not_found" if isinstance(err, TargetNotFound) else "private"
            )
            _LOGGER.warning(
                "Target %s (%s) is %s; skipped in cycle %s",
                target.username,
                target.pk,
                state.last_error,
                self._pacer.cycle_id,
            )
        else:
            state.error_count = 0
            state.last_error = None
        finally:
            self._notify(Changed())
