"""Max-min fairness above capacity: each target's share, and the fair like order."""

from __future__ import annotations

import pytest
from custom_components.ig_autoliker.engine import fairness
from custom_components.ig_autoliker.engine.clock import DAY, HOUR
from custom_components.ig_autoliker.engine.state import TargetState

from tests.test_planner import START, post, story


def counts(*states: TargetState) -> dict[str, tuple[float, float]]:
    return {s.pk: (s.fair_liked, s.fair_seen) for s in states}


def test_a_media_counts_once_and_the_share_is_liked_over_seen() -> None:
    state = TargetState("1")
    first = [post("1", HOUR), story("1", HOUR)]
    fairness.note_seen(state, first, START)
    fairness.note_seen(state, [*first, post("1", 0)], START)  # one new post
    fairness.note_liked(state, first[0], START)

    assert state.fair_seen == 3
    assert fairness.share(state.fair_liked, state.fair_seen) == 1 / 3
    # After a half-life both counts have halved; the share stays.
    fairness.note_seen(state, [], START + fairness.HALF_LIFE)
    assert (state.fair_liked, state.fair_seen) == (0.5, 1.5)


def test_the_tray_counts_a_new_story_before_it_is_fetched_and_only_once() -> None:
    state = TargetState("1")
    newest = story("1", HOUR)
    fairness.note_tray(state, int(newest.taken_at.timestamp()), START)
    fairness.note_tray(state, int(newest.taken_at.timestamp()), START + 900)
    # The fetch shows the same story: not counted again.
    fairness.note_seen(state, [newest], START + 1800)

    assert state.fair_seen == pytest.approx(1.0, rel=0.01)  # decayed a little
    assert fairness.share(state.fair_liked, state.fair_seen) == 0.0


def test_media_met_or_liked_too_late_count_against_nobody() -> None:
    state = TargetState("1")
    old = post("1", DAY + HOUR)
    fairness.note_seen(state, [old], START)
    fairness.note_liked(state, old, START)

    assert (state.fair_liked, state.fair_seen) == (0.0, 0.0)
    assert fairness.share(0.0, 0.0) == fairness.NEUTRAL_SHARE


def test_above_capacity_the_worst_served_target_is_liked_first() -> None:
    ahead, behind = TargetState("ahead"), TargetState("behind")
    ahead.fair_liked, ahead.fair_seen = 9.0, 10.0
    behind.fair_liked, behind.fair_seen = 4.0, 10.0
    expiring = story("ahead", DAY - HOUR)  # an hour to go
    fresh = post("behind", HOUR)

    # One like to hand out: it goes to the target behind, not by expiry.
    chosen = fairness.next_like([expiring, fresh], counts(ahead, behind), 1, START)

    assert chosen == fresh


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
