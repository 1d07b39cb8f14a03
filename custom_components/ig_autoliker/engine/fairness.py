"""Each target's share of its new media liked in time, and the fair like order.

Pure Python, clock passed in, no I/O. When the limits cannot like everything the
targets publish, each account should get about the same share of its new media
liked (max-min fairness): the worst-served account is served next, so the shortfall
is spread over all of them instead of landing on a few.

The share is liked / decided, kept as two exponentially decayed counters in the
target's stored state (`TargetState.fair_*`): a count halves every `HALF_LIFE`, so
no list of timestamps grows with the media. A media is decided when we like it in
time (it counts in both) or when its deadline passes unliked (it counts in
"decided" only); until then it is open (`fair_open`) and counts in neither, so a
target is not pushed ahead of others merely because its new media came before
theirs, nor left behind once they are liked. Each new media opens once, as soon
as we know of it: a followed target's newest story when the reels tray first
shows it (the tray lists every followed account with a live story, so a story
left unread still counts against its account once it expires), other stories and
posts at the read that first shows them. Only media that can still be liked in
time count (a story before its expiry, a post within `IN_TIME` of its
publication): media met too late (after a freeze or a night) count against
nobody's share; so do likes made late.
"""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING, Final

from .clock import DAY
from .models import MediaKind

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from .models import MediaItem
    from .state import TargetState

#: Seconds in which a count halves: a week, so the share covers about the last
#: fortnight (media of two weeks ago weigh a quarter): a shortfall of a few days
#: ago is still made up, and one like of a quiet account does not swing it from
#: last to first.
HALF_LIFE: Final = 7 * DAY
#: A like counts as in time within this many seconds of the publication: a story
#: lives 24 h (Instagram), and a post is judged on the same day.
IN_TIME: Final = DAY
#: The share of a target with nothing seen yet: neither ahead nor behind.
NEUTRAL_SHARE: Final = 1.0


def _decay(state: TargetState, now: float) -> None:
    """Bring both counters to `now` (Unix seconds)."""
    if state.fair_at is not None and now > state.fair_at:
        factor = 0.5 ** ((now - state.fair_at) / HALF_LIFE)
        state.fair_seen *= factor
        state.fair_liked *= factor
    if state.fair_at is None or now > state.fair_at:
        state.fair_at = now


def deadline(item: MediaItem) -> float:
    """Return the Unix seconds until which a like of `item` is in time."""
    return item.taken_at.timestamp() + IN_TIME


def _key(item: MediaItem) -> str:
    """Return the key of `item` among the open media: a story by its time.

    The tray tells a story by its `latest_reel_media` (seconds) alone.
    """
    if item.kind is MediaKind.STORY:
        return f"s{int(item.taken_at.timestamp())}"
    return f"p{item.pk}"


def settle(state: TargetState, now: float) -> None:
    """Bring the counts to `now`; open media past their deadline count as missed.

    Args:
        state: The target's state (its `fair_*` fields change).
        now: Unix seconds.

    """
    _decay(state, now)
    missed = [key for key, until in state.fair_open.items() if until <= now]
    for key in missed:
        del state.fair_open[key]
    state.fair_seen += len(missed)


def _open(state: TargetState, key: str, until: float, now: float) -> None:
    if until > now:
        state.fair_open.setdefault(key, until)


def note_tray(state: TargetState, latest: int, now: float) -> None:
    """Open a followed target's newest story the first time the tray shows it.

    Args:
        state: The target's state (its `fair_*` fields change).
        latest: The tray's `latest_reel_media`, Unix seconds.
        now: Unix seconds.

    """
    since = state.stories_since or 0.0
    until = state.fair_story_until
    if latest <= since or (until is not None and latest <= until):
        return
    settle(state, now)
    _open(state, f"s{latest}", latest + IN_TIME, now)


def note_seen(state: TargetState, items: Iterable[MediaItem], now: float) -> None:
    """Open the media a feed shows for the first time (after the baseline).

    A media opens once: stories newer than `fair_story_until`, posts newer than
    `fair_post_until` (each feed is complete from its newest on, so older ones
    were counted or are past counting), a story the tray opened is the same
    entry; media past `IN_TIME` do not count.

    Args:
        state: The target's state (its `fair_*` fields change).
        items: The feed's media after the baseline, liked or not.
        now: Unix seconds.

    """
    settle(state, now)
    for story in (True, False):
        until = state.fair_story_until if story else state.fair_post_until
        new = [
            item
            for item in items
            if (item.kind is MediaKind.STORY) == story
            and (until is None or item.taken_at.timestamp() > until)
        ]
        if not new:
            continue
        for item in new:
            _open(state, _key(item), deadline(item), now)
        newest = max(item.taken_at.timestamp() for item in new)
        if story:
            state.fair_story_until = newest
        else:
            state.fair_post_until = newest


def note_liked(state: TargetState, item: MediaItem, now: float) -> None:
    """Count one like of ours of the target's `item` at `now`, if in time."""
    settle(state, now)
    state.fair_open.pop(_key(item), None)
    if deadline(item) > now:
        _decay(state, now)
        state.fair_liked += 1.0
        state.fair_seen += 1.0


def share(liked: float, seen: float) -> float:
    """Return the liked / decided ratio, 0.0-1.0 (`NEUTRAL_SHARE`: none decided).

    Both counters decay alike, so the ratio needs no clock.
    """
    if seen <= 0.0:
        return NEUTRAL_SHARE
    return min(1.0, liked / seen)


def at_risk(liked: float, seen: float) -> float:
    """Return the share a target would have if its next media were missed, 0.0-1.0.

    What the story reads weigh (`planner.py`): before a read, a target's
    waiting stories are not known, only that the tray shows one. A miss costs
    a target with few media decided more of its share than one with many, so
    of two equal shares the smaller target is read first.
    """
    return share(liked, seen + 1.0)


def final_share(liked: float, seen: float, waiting: int) -> float:
    """Return the share a target ends with if none of its `waiting` media is liked.

    What the water-filling of `next_like` raises, one like at a time: with every
    story read once and carried until liked or expired, a target's waiting
    items are all its media we know of that are still open, so max-min over
    this value is max-min over the shares the known media leave. A target with
    two stories about to expire together weighs both, not one.

    Args:
        liked: Its decayed likes in time, plus the likes handed out so far.
        seen: Its decayed media decided, plus the likes handed out so far.
        waiting: Its waiting items not handed a like yet, count.

    Returns:
        0.0-1.0 (`NEUTRAL_SHARE` when nothing is decided or waiting).

    """
    return share(liked, seen + waiting)


def next_like(
    items: Iterable[MediaItem],
    counts: Mapping[str, tuple[float, float]],
    horizon: int,
    now: float,
) -> MediaItem | None:
    """Pick the item to like next: fair over the next likes, then by deadline.

    The `horizon` likes to come are handed out by water-filling: again and again
    the target with the lowest share if none of its items still waiting were
    liked (`final_share`, counting the likes handed out so far) gets one, its
    item closest to its deadline. Of those, the one closest to its deadline goes
    first (earliest deadline first): when the limits cover everything, every
    item is in that set and none expires for another's sake; when they do not,
    the set holds the worst-served targets' items only. Items past their
    deadline (posts older than `IN_TIME`) come after all others, oldest first:
    liked when there is room, for nobody's share.

    Args:
        items: The pending items that may be liked now.
        counts: Owner pk -> (liked, decided), the decayed counts; a target
            missing here counts as nothing decided.
        horizon: How many likes the choice looks ahead (>= 1), count.
        now: Unix seconds.

    Returns:
        The item, or None when there is none.

    """
    late: list[MediaItem] = []
    queues: dict[str, list[MediaItem]] = {}
    for item in items:
        if deadline(item) <= now:
            late.append(item)
        else:
            queues.setdefault(item.owner_pk, []).append(item)
    heap: list[tuple[float, float, str]] = []
    for pk, queue in queues.items():
        queue.sort(key=deadline, reverse=True)  # pop() gives the earliest
        liked, seen = counts.get(pk, (0.0, 0.0))
        first = final_share(liked, seen, len(queue))
        heapq.heappush(heap, (first, deadline(queue[-1]), pk))
    chosen: list[MediaItem] = []
    handed: dict[str, int] = {}
    while heap and len(chosen) < max(1, horizon):
        _, _, pk = heapq.heappop(heap)
        queue = queues[pk]
        chosen.append(queue.pop())
        handed[pk] = handed.get(pk, 0) + 1
        if queue:
            liked, seen = counts.get(pk, (0.0, 0.0))
            # A like in time decides its media: it counts in both.
            projected = final_share(liked + handed[pk], seen + handed[pk], len(queue))
            heapq.heappush(heap, (projected, deadline(queue[-1]), pk))
    if chosen:
        return min(chosen, key=deadline)
    return min(late, key=deadline, default=None)
