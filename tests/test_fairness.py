"""Max-min fairness above capacity: each target's share, and the fair like order."""

from __future__ import annotations

import pytest
from custom_components.ig_autoliker.engine import fairness
from custom_components.ig_autoliker.engine.clock import DAY, HOUR
from custom_components.ig_autoliker.engine.state import TargetState
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.test_planner import START, post, story


def counts(*states: TargetState) -> dict[str, tuple[float, float]]:
    return {s.pk: (s.fair_liked, s.fair_seen) for s in states}


def test_a_media_counts_once_when_liked_or_past_its_deadline() -> None:
    state = TargetState("1")
    first = [post("1", HOUR), story("1", HOUR)]
    fairness.note_seen(state, first, START)
    fairness.note_seen(state, [*first, post("1", 0)], START)  # one new post
    fairness.note_liked(state, first[0], START)

    # Liked: decided in time. The other two are open: neither liked nor missed.
    assert (state.fair_liked, state.fair_seen) == (1.0, 1.0)
    assert fairness.share(state.fair_liked, state.fair_seen) == 1.0
    # Once their 24 h have passed unliked they count as missed.
    fairness.settle(state, START + DAY)
    assert state.fair_seen == pytest.approx(3.0, rel=0.1)  # decayed a little
    # The like a day earlier weighs a little less than the misses now.
    share = fairness.share(state.fair_liked, state.fair_seen)
    assert share == pytest.approx(1 / 3, rel=0.1)
    assert state.fair_open == {}
    # After a half-life both counts have halved; the share stays.
    liked, seen = state.fair_liked, state.fair_seen
    fairness.settle(state, START + DAY + fairness.HALF_LIFE)
    fairness.note_seen(state, [], START + DAY + fairness.HALF_LIFE)
    assert (state.fair_liked, state.fair_seen) == pytest.approx((liked / 2, seen / 2))


def test_the_tray_counts_a_new_story_before_it_is_fetched_and_only_once() -> None:
    state = TargetState("1")
    newest = story("1", HOUR)
    fairness.note_tray(state, int(newest.taken_at.timestamp()), START)
    fairness.note_tray(state, int(newest.taken_at.timestamp()), START + 900)
    # The read shows the same story: not counted again.
    fairness.note_seen(state, [newest], START + 1800)
    assert len(state.fair_open) == 1

    # Never liked: once it expires it counts against its target, once.
    fairness.settle(state, START + DAY)
    assert state.fair_seen == pytest.approx(1.0, rel=0.01)
    assert fairness.share(state.fair_liked, state.fair_seen) == 0.0


def test_two_stories_between_tray_reads_count_as_two() -> None:
    # The tray shows only the newest; the read shows the older one as well.
    state = TargetState("1")
    older, newer = story("1", HOUR + 300), story("1", HOUR)
    fairness.note_tray(state, int(newer.taken_at.timestamp()), START)
    fairness.note_seen(state, [older, newer], START + 900)
    fairness.note_liked(state, newer, START + 1800)

    fairness.settle(state, START + DAY)
    # One like (decayed by a day since) and one miss: the older story.
    assert state.fair_liked == pytest.approx(1.0, rel=0.1)
    assert state.fair_seen - state.fair_liked == pytest.approx(1.0)


def test_media_met_or_liked_too_late_count_against_nobody() -> None:
    state = TargetState("1")
    old = post("1", DAY + HOUR)
    fairness.note_seen(state, [old], START)
    fairness.note_liked(state, old, START)
    fairness.settle(state, START + DAY)

    assert (state.fair_liked, state.fair_seen) == (0.0, 0.0)
    assert fairness.share(0.0, 0.0) == fairness.NEUTRAL_SHARE


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["tray", "read", "like", "settle"]),
            st.integers(min_value=0, max_value=5),  # which story
            st.floats(min_value=0, max_value=2 * DAY),  # when, after START
        ),
        max_size=30,
    )
)
def test_each_story_decides_at_most_once_and_the_share_stays_a_share(
    events: list[tuple[str, int, float]],
) -> None:
    # Six stories published an hour apart; events in time order. As in a cycle:
    # the tray shows the newest live story, a like follows a read, once.
    state = TargetState("1")
    stories = [story("1", -index * HOUR) for index in range(6)]
    read: set[str] = set()
    liked: set[str] = set()
    for kind, index, offset in sorted(events, key=lambda event: event[2]):
        now = START + offset
        live = [s for s in stories if 0 <= now - s.taken_at.timestamp() < DAY]
        if not live:
            continue
        item = live[min(index, len(live) - 1)]
        if kind == "tray":
            fairness.note_tray(state, int(live[-1].taken_at.timestamp()), now)
        elif kind == "read":
            fairness.note_seen(state, live, now)
            read |= {s.pk for s in live}
        elif kind == "like" and item.pk in read and item.pk not in liked:
            fairness.note_liked(state, item, now)
            liked.add(item.pk)
        else:
            fairness.settle(state, now)
    fairness.settle(state, START + 3 * DAY)

    # Without decay (under a half-life) every count is at most the six stories.
    assert state.fair_open == {}
    assert 0.0 <= state.fair_liked <= state.fair_seen + 1e-9
    assert state.fair_seen <= len(stories) + 1e-9
    assert 0.0 <= fairness.share(state.fair_liked, state.fair_seen) <= 1.0


def test_above_capacity_the_worst_served_target_is_liked_first() -> None:
    ahead, behind = TargetState("ahead"), TargetState("behind")
    ahead.fair_liked, ahead.fair_seen = 9.0, 10.0
    behind.fair_liked, behind.fair_seen = 4.0, 10.0
    expiring = story("ahead", DAY - HOUR)  # an hour to go
    fresh = post("behind", HOUR)

    # One like to hand out: it goes to the target behind, not by expiry.
    chosen = fairness.next_like([expiring, fresh], counts(ahead, behind), 1, START)

    assert chosen == fresh


def test_of_two_equal_shares_the_target_with_fewer_media_goes_first() -> None:
    # Both have 80 % liked; one more miss costs the small one more.
    small, large = TargetState("small"), TargetState("large")
    small.fair_liked, small.fair_seen = 4.0, 5.0
    large.fair_liked, large.fair_seen = 16.0, 20.0
    sooner = story("large", DAY - HOUR)  # expires first
    later = story("small", HOUR)

    chosen = fairness.next_like([sooner, later], counts(small, large), 1, START)

    assert chosen == later


def test_a_target_with_more_media_waiting_goes_first_at_equal_shares() -> None:
    # Both have 80 % liked. If neither is liked, two missed stories cost the pair
    # more of its share (8/12) than one costs the single (8/11).
    pair, single = TargetState("pair"), TargetState("single")
    pair.fair_liked, pair.fair_seen = 8.0, 10.0
    single.fair_liked, single.fair_seen = 8.0, 10.0
    sooner = story("single", DAY - HOUR)  # expires first
    first, second = story("pair", 2 * HOUR), story("pair", HOUR)

    chosen = fairness.next_like([sooner, first, second], counts(pair, single), 1, START)

    assert chosen == first


def test_when_the_likes_cover_all_the_closest_deadline_goes_first() -> None:
    ahead, behind = TargetState("ahead"), TargetState("behind")
    ahead.fair_liked, ahead.fair_seen = 9.0, 10.0
    behind.fair_liked, behind.fair_seen = 4.0, 10.0
    expiring = story("ahead", DAY - HOUR)
    fresh = post("behind", HOUR)

    chosen = fairness.next_like([expiring, fresh], counts(ahead, behind), 40, START)

    assert chosen == expiring


def test_a_post_past_its_first_day_waits_for_everything_else() -> None:
    late = post("1", DAY + HOUR)
    fresh = story("2", HOUR)

    assert fairness.next_like([late, fresh], {}, 40, START) == fresh
    assert fairness.next_like([late], {}, 40, START) == late
