"""Each target's share of its new media liked in time, and the fair like order.

Pure Python, clock passed in, no I/O. When the limits cannot like everything the
targets publish, each account should get about the same share of its new media
liked (max-min fairness): the worst-served account is served next, so the shortfall
is spread over all of them instead of landing on a few.

The share is liked / seen, kept as two exponentially decayed counters in the
target's stored state (`TargetState.fair_*`): a count halves every `HALF_LIFE`, so
the share covers about the last week and no list of timestamps grows with the
media. "Seen" counts each new media once, as soon as we know of it: a followed
target's new story when the reels tray first shows it (the tray lists every
followed account with a live story, so a story left unfetched still counts against
its account's share, which then moves it up), other stories and posts at the fetch
that first shows them. Only media that can still be liked in time count (a story
before its expiry, a post within `IN_TIME` of its publication): media met too late
(after a freeze or a night) count against nobody's share; so do likes made late.
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

#: Seconds in which a count halves: three days, so the share covers about the last
#: week (older media weigh under a fifth) and one like of a quiet account does not
#: swing it from last to first.
HALF_LIFE: Final = 3 * DAY
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


def note_tray(state: TargetState, latest: int, now: float) -> None:
    """Count a followed target's newest story the first time the tray shows it.

    Args:
        state: The target's state (its `fair_*` fields change).
        latest: The tray's `latest_reel_media`, Unix seconds.
        now: Unix seconds.

    """
    since = state.stories_since or 0.0
    until = state.fair_story_until
    if latest <= since or (until is not None and latest <= until):
        return
    if latest + IN_TIME <= now:
        return
    _decay(state, now)
    state.fair_seen += 1.0
    state.fair_story_until = latest


def note_seen(state: TargetState, items: Iterable[MediaItem], now: float) -> None:
    """Count the media a feed shows for the first time (after the baseline).

    A media counts once: stories newer than `fair_story_until`, posts newer than
    `fair_post_until` (each feed is complete from its newest on, so older ones
    were counted or are past counting); media past `IN_TIME` do not count.

    Args:
        state: The target's state (its `fair_*` fields change).
        items: The feed's media after the baseline, liked or not.
        now: Unix seconds.

    """
    _decay(state, now)
    for story in (True, False):
        until = state.fair_story_until if story else state.fair_post_until
        stamps = [
            item.taken_at.timestamp()
            for item in items
            if (item.kind is MediaKind.STORY) == story
            and (until is None or item.taken_at.timestamp() > until)
        ]
        if not stamps:
            continue
        state.fair_seen += sum(stamp + IN_TIME > now for stamp in stamps)
        if story:
            state.fair_story_until = max(stamps)
        else:
            state.fair_post_until = max(stamps)


def note_liked(state: TargetState, item: MediaItem, now: float) -> None:
    """Count one like of ours of the target's `item` at `now`, if in time."""
    if deadline(item) > now:
        _decay(state, now)
        state.fair_liked += 1.0


def share(liked: float, seen: float) -> float:
    """Return the liked / seen ratio, 0.0-1.0 (`NEUTRAL_SHARE` when nothing seen).

    Both counters decay alike, so the ratio needs no clock.
    """
    if seen <= 0.0:
        return NEUTRAL_SHARE
    return min(1.0, liked / seen)


def next_like(
    items: Iterable[MediaItem],
    counts: Mapping[str, tuple[float, float]],
    horizon: int,
    now: float,
) -> MediaItem | None:
    """Pick the item to like next: fair over the next likes, then by deadline.

    The `horizon` likes to come are handed out by water-filling: again and again
    the target with the lowest share (counting the likes handed out so far) gets
    one, its item closest to its deadline. Of those, the one closest to its
    deadline goes first (earliest deadline first): when the limits cover
    everything, every item is in that set and none expires for another's sake;
    when they do not, the set holds the worst-served targets' items only. Items
    past their deadline (posts older than `IN_TIME`) come after all others,
    oldest first: liked when there is room, for nobody's share.

    Args:
        items: The pending items that may be liked now.
        counts: Owner pk -> (liked, seen), the decayed counts; a target missing
            here counts as nothing seen.
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
        # Pending items were seen even when the counts missed them.
        seen = max(seen, liked + len(queue))
        heapq.heappush(heap, (share(liked, seen), deadline(queue[-1]), pk))
    chosen: list[MediaItem] = []
    handed: dict[str, int] = {}
    while heap and len(chosen) < max(1, horizon):
        _, _, pk = heapq.heappop(heap)
        queue = queues[pk]
        chosen.append(queue.pop())
        handed[pk] = handed.get(pk, 0) + 1
        if queue:
            liked, seen = counts.get(pk, (0.0, 0.0))
            seen = max(seen, liked + handed[pk] + len(queue))
            projected = share(liked + handed[pk], seen)
            heapq.heappush(heap, (projected, deadline(queue[-1]), pk))
    if chosen:
        return min(chosen, key=deadline)
    return min(late, key=deadline, default=None)
