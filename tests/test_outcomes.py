"""The pure record behind silent-block detection: counting, holds, checks, storage."""

from __future__ import annotations

import json

from custom_components.ig_autoliker.engine.models import MediaKind
from custom_components.ig_autoliker.engine.outcomes import (
    MAX_UNCHECKED,
    RECORD_RETENTION,
    RECORD_SIZE,
    SILENT_DROPS,
    SILENT_WINDOW,
    Change,
    LikeOutcomes,
    Outcome,
)
from custom_components.ig_autoliker.engine.state import StoredData
from hypothesis import given
from hypothesis import strategies as st

HOLD = 12 * 3600.0
PHOTO, STORY = MediaKind.PHOTO, MediaKind.STORY


def liked(
    record: LikeOutcomes, count: int, *, start: int = 0, target: str = "t"
) -> None:
    """`count` post likes, pks "p<start>"..., sent one second apart."""
    for index in range(start, start + count):
        record.sent(f"p{index}", PHOTO, target, float(index))


def show(
    record: LikeOutcomes, pk: str, *, has_liked: bool, now: float
) -> Change | None:
    return record.observe(pk, liked=has_liked, now=now, hold=HOLD)


# -- counting ----------------------------------------------------------------------


def test_three_dropped_of_the_last_ten_make_a_block() -> None:
    record = LikeOutcomes()
    liked(record, 10)
    for index in range(7):
        show(record, f"p{index}", has_liked=True, now=100.0 + index)
    assert show(record, "p7", has_liked=False, now=110.0) is Change.DROPPED
    assert show(record, "p8", has_liked=False, now=111.0) is Change.DROPPED
    assert record.evidence() is None
    show(record, "p9", has_liked=False, now=112.0)
    assert record.evidence() == (SILENT_DROPS, SILENT_WINDOW)
    assert (SILENT_DROPS, SILENT_WINDOW) == (3, 10)


def test_drops_older_than_the_last_ten_decided_do_not_count() -> None:
    record = LikeOutcomes()
    liked(record, 13)
    for index in range(3):
        show(record, f"p{index}", has_liked=False, now=100.0 + index)
    assert record.evidence() == (3, 3)
    for index in range(3, 10):
        show(record, f"p{index}", has_liked=True, now=200.0 + index)
    assert record.evidence() == (3, SILENT_WINDOW)  # p0 is still among the ten
    show(record, "p10", has_liked=True, now=300.0)
    assert record.evidence() is None  # p0 fell out: two of the last ten


def test_a_like_taken_back_counts_when_it_is_seen_gone() -> None:
    record = LikeOutcomes()
    liked(record, 13)
    for index in range(13):
        show(record, f"p{index}", has_liked=True, now=100.0 + index)
    # The three oldest, long confirmed, are gone in a later feed: the newest news.
    for index in range(3):
        assert show(record, f"p{index}", has_liked=False, now=500.0) is Change.DROPPED
    assert record.evidence() == (3, SILENT_WINDOW)
    assert record.likes["p0"].outcome is Outcome.DROPPED


def test_likes_sent_before_a_freeze_never_start_another() -> None:
    record = LikeOutcomes()
    liked(record, 6)
    for index in range(3):
        show(record, f"p{index}", has_liked=False, now=10.0)
    assert record.evidence() is not None
    record.restart_count(10.0)
    for index in range(3, 6):
        show(record, f"p{index}", has_liked=False, now=20.0)  # seen during the freeze
    assert record.evidence() is None
    liked(record, 3, start=30)
    for index in range(30, 33):
        show(record, f"p{index}", has_liked=False, now=40.0)
    assert record.evidence() == (3, 3)


def test_pending_and_unknown_likes_count_neither_way() -> None:
    record = LikeOutcomes()
    liked(record, 5)
    show(record, "p0", has_liked=False, now=10.0)
    show(record, "p1", has_liked=False, now=10.0)
    record.not_shown("t", story=False, shown={"p0", "p1", "p2"})
    assert record.likes["p3"].outcome is Outcome.UNKNOWN
    assert record.likes["p2"].outcome is Outcome.PENDING
    assert show(record, "p3", has_liked=False, now=11.0) is None  # given up on
    assert record.evidence() is None
    assert show(record, "other", has_liked=False, now=11.0) is None  # not ours


# -- stories -----------------------------------------------------------------------


def test_an_unliked_story_counts_only_once_the_flag_was_seen_working() -> None:
    record = LikeOutcomes()
    record.sent("s1", STORY, "t", 1.0)
    record.sent("s2", STORY, "t", 2.0)
    record.sent("s3", STORY, "t", 3.0)
    assert record.to_check() is None  # unproven stories are not checked
    assert show(record, "s1", has_liked=False, now=10.0) is None
    assert record.likes["s1"].outcome is Outcome.UNKNOWN
    assert not record.story_flag_seen
    assert show(record, "s2", has_liked=True, now=11.0) is None
    assert record.story_flag_seen
    assert show(record, "s3", has_liked=False, now=12.0) is Change.DROPPED


# -- holds -------------------------------------------------------------------------


def test_a_dropped_like_is_held_until_its_hold_ends_or_it_shows_again() -> None:
    record = LikeOutcomes()
    liked(record, 2)
    show(record, "p0", has_liked=False, now=100.0)
    show(record, "p1", has_liked=False, now=100.0)
    assert record.is_held("p0", 100.0 + HOLD - 1)
    assert not record.is_held("p0", 100.0 + HOLD)
    assert "p0" not in record.held
    # Shown liked after all (a slow feed): it counts as liked again.
    assert show(record, "p1", has_liked=True, now=200.0) is Change.RESTORED
    assert not record.is_held("p1", 200.0)
    assert record.likes["p1"].outcome is Outcome.STUCK
    # Liked again later: followed afresh.
    record.sent("p0", PHOTO, "t", 100.0 + HOLD + 5)
    assert record.likes["p0"].outcome is Outcome.PENDING


# -- checks before a like ----------------------------------------------------------


def test_a_check_reads_the_feed_of_the_newest_unseen_like() -> None:
    record = LikeOutcomes()
    record.sent("a1", PHOTO, "a", 1.0)
    record.sent("a2", PHOTO, "a", 2.0)
    assert record.to_check() is None
    record.sent("b1", PHOTO, "b", 3.0)
    assert MAX_UNCHECKED == 3
    assert record.to_check() == ("b", False)
    show(record, "b1", has_liked=True, now=4.0)
    # b1 stuck, so a1 and a2, sent before it, are covered: no read for them.
    assert record.unseen() == []
    assert record.to_check() is None


def test_a_like_whose_answer_was_lost_and_landed_counts_as_stuck() -> None:
    record = LikeOutcomes()
    record.sent("p0", PHOTO, "t", 1.0, stuck=True)
    assert record.likes["p0"].outcome is Outcome.STUCK
    assert record.likes["p0"].decided_at == 1.0


@given(
    steps=st.lists(
        st.tuples(st.integers(0, 5), st.booleans()), min_size=1, max_size=80
    ),
    block_at=st.integers(0, 90),
)
def test_at_most_five_likes_go_into_a_block_before_it_is_noticed(
    steps: list[tuple[int, bool]], block_at: int
) -> None:
    """Any order of targets and natural feed reads; the block begins at any like.

    Each step may read its target's post feed (as a cycle does), then asks for the
    checks before its like and sends it; from `block_at` on, likes are dropped.
    """
    record = LikeOutcomes()
    kept: set[str] = set()
    into_block = 0
    now = 0.0

    def read(target: str) -> bool:
        """A feed read of `target`: True when it shows a block."""
        mine = [like.pk for like in record.likes.values() if like.target_pk == target]
        for pk in mine:
            show(record, pk, has_liked=pk in kept, now=now)
        return record.evidence() is not None

    for index, (target_index, natural_read) in enumerate(steps):
        now += 1.0
        target = f"t{target_index}"
        if natural_read and read(target):
            break
        noticed = False
        while (check := record.to_check()) is not None:
            if read(check[0]):
                noticed = True
                break
        if noticed:
            break
        pk = f"p{index}"
        record.sent(pk, PHOTO, target, now)
        if index < block_at:
            kept.add(pk)
        else:
            into_block += 1
        assert into_block <= (SILENT_DROPS - 1) + MAX_UNCHECKED == 5
    if block_at >= len(steps):
        assert record.evidence() is None  # no block, no false alarm


# -- size and storage --------------------------------------------------------------


def test_the_record_keeps_two_days_and_at_most_its_size() -> None:
    record = LikeOutcomes()
    record.sent("old", PHOTO, "t", 0.0)
    record.sent("new", PHOTO, "t", RECORD_RETENTION)
    assert list(record.likes) == ["new"]
    liked(record, RECORD_SIZE + 5, start=1000)
    assert len(record.likes) == RECORD_SIZE
    assert "p1004" not in record.likes
    assert f"p{1000 + RECORD_SIZE + 4}" in record.likes


def test_the_record_survives_json_and_the_store() -> None:
    record = LikeOutcomes()
    liked(record, 3)
    record.sent("s", STORY, "u", 5.0)
    show(record, "p0", has_liked=False, now=9.0)
    show(record, "s", has_liked=True, now=9.0)
    record.restart_count(9.0)
    raw = json.loads(json.dumps(StoredData(like_outcomes=record).as_dict()))
    stored, lost = StoredData.parse(raw)
    assert lost == []
    assert stored.like_outcomes == record
    assert stored.like_outcomes.held == {"p0": 9.0 + HOLD}


def test_a_damaged_record_keeps_what_is_well_formed() -> None:
    good = {
        "pk": "p1",
        "kind": "photo",
        "target_pk": "t",
        "sent_at": 5.0,
        "outcome": "stuck",
        "decided_at": 6.0,
    }
    raw = {
        "likes": [
            good,
            {**good, "pk": "p2", "kind": "hologram"},
            {**good, "pk": "p3", "sent_at": "yesterday"},
            {**good, "pk": "p4", "decided_at": float("nan")},
            "p5",
        ],
        "held": {"p1": 10.0, "p2": "later"},
        "counting_since": True,
        "story_flag_seen": "yes",
    }
    stored, lost = StoredData.parse({"like_outcomes": raw})
    assert lost == ["like_outcomes"]
    record = stored.like_outcomes
    assert list(record.likes) == ["p1"]
    assert record.held == {"p1": 10.0}
    assert (record.counting_since, record.story_flag_seen) == (0.0, False)
    assert StoredData.parse({"like_outcomes": [1]})[1] == ["like_outcomes"]
    assert StoredData.parse({"liked_posts": {}})[1] == []  # an older store: fine
