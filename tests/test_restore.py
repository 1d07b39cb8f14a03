"""Restored limits count every like of ours the store knows, each once."""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

from custom_components.ig_autoliker.engine.clock import DAY, HOUR
from custom_components.ig_autoliker.engine.engine import restore_limits
from custom_components.ig_autoliker.engine.models import MediaKind
from custom_components.ig_autoliker.engine.ratelimit import Action, Limits, RateLimiter
from custom_components.ig_autoliker.engine.safety import SafetySettings
from custom_components.ig_autoliker.engine.state import StoredData
from custom_components.ig_autoliker.engine.windows import SAME_ACTION, missing_stamps
from hypothesis import given, settings
from hypothesis import strategies as st

NOW = 1_800_000_000.0
BERLIN = ZoneInfo("Europe/Berlin")
#: Seconds before NOW, from the future (a clock set back) to beyond the daily window.
AGES = st.floats(min_value=-120.0, max_value=1.5 * DAY, allow_nan=False)


def restored(stored: StoredData) -> RateLimiter:
    """The limiter as a restart at NOW builds it from `stored` (JSON round trip)."""
    again = StoredData.from_dict(json.loads(json.dumps(stored.as_dict())))
    limiter, _policy = restore_limits(
        again, Limits(), SafetySettings(), clock=lambda: NOW, tz=BERLIN
    )
    return limiter


def saved_windows(likes: list[float], story_views: list[float]) -> dict[str, object]:
    """What a limiter that counted these likes saved (`as_dict`), at NOW."""
    clock = [0.0]
    limiter = RateLimiter(Limits(), clock=lambda: clock[0])
    for action, stamps in ((Action.LIKE, likes), (Action.STORY_VIEW, story_views)):
        for stamp in stamps:
            clock[0] = stamp
            limiter.record(action)
    clock[0] = NOW
    return limiter.as_dict()


def inside(stamps: list[float], window: float) -> int:
    """How many of `stamps` count toward a window ending at NOW (future ones do)."""
    return sum(1 for stamp in stamps if stamp + window > NOW)


def test_likes_the_saved_windows_lack_are_counted_from_the_ledger() -> None:
    """A kill after the likes were written but before the windows were."""
    stored = StoredData(
        liked_posts={"1": NOW - 100.0, "2": NOW - 2 * HOUR, "3": NOW - 2 * DAY},
        liked_stories={"4": NOW - 50.0},
        limiter=saved_windows([NOW - 100.0], []),
    )

    limiter = restored(stored)

    assert limiter.count(Action.LIKE, HOUR) == 2  # "1" once, "4"
    assert limiter.count(Action.LIKE, DAY) == 3  # and "2"; "3" is past the day
    assert limiter.count(Action.STORY_VIEW, HOUR) == 1


def test_a_like_written_in_both_counts_once_though_the_clock_was_read_twice() -> None:
    """The ledger and the limiter read the clock microseconds apart (stored as ms)."""
    liked_at = NOW - 600.0004
    stored = StoredData(
        liked_stories={"1": liked_at},
        limiter=saved_windows([liked_at + 0.000_8], [liked_at + 0.000_9]),
    )

    limiter = restored(stored)

    assert limiter.count(Action.LIKE, HOUR) == 1
    assert limiter.count(Action.STORY_VIEW, HOUR) == 1


def test_a_like_sent_before_the_kill_counts_once_as_a_like_and_a_view() -> None:
    """Written as sent before it went out; its answer was never saved."""
    stored = StoredData(
        liked_posts={"1": NOW - 30.0},
        unsure_likes={"2": NOW - 10.0},
        limiter=saved_windows([NOW - 30.0], []),
    )

    limiter = restored(stored)

    assert limiter.count(Action.LIKE, HOUR) == 2
    # Its kind is not stored: it counts as a story view, in case it was one.
    assert limiter.count(Action.STORY_VIEW, HOUR) == 1


def test_an_unanswered_like_the_windows_counted_is_not_counted_again() -> None:
    """The network failed: counted when sent (saved), and still unsure."""
    stored = StoredData(
        unsure_likes={"1": NOW - 900.0},
        limiter=saved_windows([NOW - 900.0], [NOW - 900.0]),
    )

    limiter = restored(stored)

    assert limiter.count(Action.LIKE, HOUR) == 1
    assert limiter.count(Action.STORY_VIEW, HOUR) == 1


def test_media_liked_by_hand_or_recalled_from_the_history_are_not_our_likes() -> None:
    stored = StoredData(limiter=saved_windows([], []))
    stored.remember_found(MediaKind.STORY, "by_hand", NOW - 60.0)
    stored.liked_posts["recalled"] = stored.found_liked["recalled"] = NOW - 30.0

    limiter = restored(stored)

    assert stored.is_liked(MediaKind.STORY, "by_hand")  # never liked again
    assert limiter.count(Action.LIKE, DAY) == 0
    assert limiter.count(Action.STORY_VIEW, HOUR) == 0


def test_a_media_found_liked_and_later_liked_by_us_counts() -> None:
    """The mark is for the found time only: our like of it at another time counts."""
    stored = StoredData(
        liked_posts={"1": NOW - 60.0},
        found_liked={"1": NOW - 5 * HOUR},
        limiter=saved_windows([], []),
    )

    assert restored(stored).count(Action.LIKE, HOUR) == 1


def test_damaged_windows_are_rebuilt_from_the_ledger() -> None:
    stored = StoredData(
        liked_posts={"1": NOW - 60.0, "2": NOW - 3 * HOUR},
        limiter={"likes": "garbage", "story_views": 5},
    )

    limiter = restored(stored)

    assert limiter.count(Action.LIKE, HOUR) == 1
    assert limiter.count(Action.LIKE, DAY) == 2


def test_a_store_from_before_the_found_marks_adds_none_of_its_ledger() -> None:
    """Its windows were written with its ledger; what they lack was found liked."""
    data = StoredData(
        liked_posts={"ours": NOW - 60.0, "by_hand": NOW - 30.0},
        limiter=saved_windows([NOW - 60.0], []),
    ).as_dict()
    del data["found_liked"]

    stored = StoredData.from_dict(data)
    limiter, _policy = restore_limits(
        stored, Limits(), SafetySettings(), clock=lambda: NOW, tz=BERLIN
    )

    assert limiter.count(Action.LIKE, DAY) == 1


def test_found_marks_are_kept_for_a_day() -> None:
    stored = StoredData(found_liked={"old": NOW - DAY, "young": NOW - DAY + 1})

    stored.purge_stories(NOW)

    assert stored.found_liked == {"young": NOW - DAY + 1}


@given(
    held=st.lists(AGES, max_size=30),
    known=st.lists(AGES, max_size=30),
)
def test_missing_stamps_keeps_every_known_action_and_adds_no_other(
    held: list[float], known: list[float]
) -> None:
    missing = missing_stamps(held, known)

    assert len(held) + len(missing) >= len(known)
    assert len(missing) <= len(known)
    assert all(stamp in known for stamp in missing)
    assert missing_stamps(known, known) == []
    nudged = [stamp + SAME_ACTION / 2 for stamp in known]
    assert missing_stamps(nudged, known) == []


#: Each like of ours: its age, and whether it was a story, is still unsure (sent,
#: answer not saved) and is in the saved windows.
OWN = st.lists(
    st.tuples(AGES, st.booleans(), st.booleans(), st.booleans()), max_size=40
)


def grid(age: float) -> float:
    """A stamp on a 0.1 s grid: two likes are never closer (`SAME_ACTION`)."""
    return round(NOW - age, 1)


@settings(max_examples=300, deadline=None)
@given(likes=OWN, found=st.lists(AGES, max_size=10), extra=st.lists(AGES, max_size=5))
def test_restore_counts_at_least_the_ledger_and_at_most_ledger_and_windows(
    likes: list[tuple[float, bool, bool, bool]],
    found: list[float],
    extra: list[float],
) -> None:
    """
    Never fewer likes than the store knows of, never more than it and the windows.

    `found` are media found liked (never counted); `extra` are likes only the
    saved windows hold (say, their media moved to the like history).
    """
    stored = StoredData()
    ours: list[float] = []
    views: list[float] = []
    saved_likes: list[float] = []
    saved_views: list[float] = []
    for index, (age, story, unsure, saved) in enumerate(likes):
        stamp = grid(age)
        if stamp in ours:
            continue
        ours.append(stamp)
        pk = f"own{index}"
        if unsure:
            stored.unsure_likes[pk] = stamp
        else:
            (stored.liked_stories if story else stored.liked_posts)[pk] = stamp
        if story or unsure:
            views.append(stamp)
        if saved:
            saved_likes.append(stamp)
            if story:
                saved_views.append(stamp)
    only_saved = [stamp for stamp in map(grid, extra) if stamp not in ours]
    saved_likes += only_saved
    for index, age in enumerate(found):
        pk = f"found{index}"
        stored.liked_posts[pk] = stored.found_liked[pk] = grid(age)
    stored.limiter = saved_windows(saved_likes, saved_views)

    limiter = restored(stored)

    for window in (HOUR, DAY):
        counted = limiter.count(Action.LIKE, window)
        assert inside(ours, window) <= counted
        assert counted <= inside(ours, window) + inside(saved_likes, window)
    counted = limiter.count(Action.STORY_VIEW, HOUR)
    assert inside(views, HOUR) <= counted <= inside(views + saved_views, HOUR)
    if not only_saved:
        # Only likes the store knows: each counted exactly once.
        assert limiter.count(Action.LIKE, DAY) == inside(ours, DAY)
