# Copyright (C) 2026 the ig_autoliker authors. SPDX-License-Identifier: MIT
"""Tests of the pure rate limiter (spec section 8.2 and 8.5; QS-01 in miniature)."""

from __future__ import annotations

import json
import math
import random
import time
from typing import Any

import pytest
from custom_components.ig_autoliker.const import (
    CONF_BACKOFF_BASE,
    CONF_BACKOFF_MAX,
    CONF_DELAY_ACCOUNTS,
    CONF_DELAY_LIKES,
    CONF_DELAY_REQUESTS,
    CONF_JITTER,
    CONF_MAX_LIKES_DAY,
    CONF_MAX_LIKES_HOUR,
    CONF_MAX_REQUESTS_HOUR,
    CONF_MAX_STORY_VIEWS_HOUR,
    DEFAULT_OPTIONS,
)
from custom_components.ig_autoliker.engine.clock import DAY, HOUR
from custom_components.ig_autoliker.engine.ratelimit import (
    Action,
    Limits,
    LimitState,
    RateLimiter,
)
from custom_components.ig_autoliker.options import limits_from_options
from hypothesis import given, settings
from hypothesis import strategies as st

START = 1_700_000_000.0


class FakeClock:
    """A settable clock, Unix seconds."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def seeded(seed: int) -> random.Random:
    return random.Random(seed)  # noqa: S311 - reproducible jitter, not crypto


def make(
    limits: Limits | None = None, now: float = START
) -> tuple[RateLimiter, FakeClock]:
    clock = FakeClock(now)
    return RateLimiter(limits or Limits(), clock=clock, rng=seeded(42)), clock


# -- Limits ------------------------------------------------------------------------


def test_limits_defaults_are_the_spec_values() -> None:
    assert Limits() == Limits(
        delay_between_requests=2.0,
        delay_between_likes=3.0,
        delay_between_accounts=10.0,
        jitter_percent=30,
        max_requests_per_hour=150,
        max_likes_per_hour=40,
        max_story_views_per_hour=150,
        max_likes_per_day=800,
        backoff_base=60.0,
        backoff_max=3600.0,
        backoff_multiplier=2.0,
    )


def test_from_options_missing_keys_give_defaults_matching_const() -> None:
    assert limits_from_options({}) == Limits()
    assert limits_from_options(DEFAULT_OPTIONS) == Limits()


def test_from_options_reads_every_option() -> None:
    limits = limits_from_options(
        {
            CONF_DELAY_REQUESTS: 1.5,
            CONF_DELAY_LIKES: 4.0,
            CONF_DELAY_ACCOUNTS: 20.0,
            CONF_JITTER: 10,
            CONF_MAX_REQUESTS_HOUR: 100,
            CONF_MAX_LIKES_HOUR: 20.0,  # number selectors may hand floats
            CONF_MAX_STORY_VIEWS_HOUR: 90,
            CONF_MAX_LIKES_DAY: 300,
            CONF_BACKOFF_BASE: 30,
            CONF_BACKOFF_MAX: 7200,
            "unrelated": "ignored",
        }
    )
    assert limits == Limits(
        delay_between_requests=1.5,
        delay_between_likes=4.0,
        delay_between_accounts=20.0,
        jitter_percent=10,
        max_requests_per_hour=100,
        max_likes_per_hour=20,
        max_story_views_per_hour=90,
        max_likes_per_day=300,
        backoff_base=30.0,
        backoff_max=7200.0,
        backoff_multiplier=2.0,
    )
    assert isinstance(limits.max_likes_per_hour, int)


def test_from_options_bad_values_fall_back_and_out_of_range_values_clamp() -> None:
    limits = limits_from_options(
        {
            CONF_MAX_LIKES_HOUR: "many",
            CONF_MAX_LIKES_DAY: None,
            CONF_JITTER: 500,  # range 0..90
            CONF_DELAY_LIKES: math.nan,
            CONF_MAX_REQUESTS_HOUR: True,
            CONF_BACKOFF_BASE: -5,  # range 10..3600
        }
    )
    assert limits.max_likes_per_hour == 40
    assert limits.max_likes_per_day == 800
    assert limits.jitter_percent == 90
    assert limits.delay_between_likes == 3.0
    assert limits.max_requests_per_hour == 150
    assert limits.backoff_base == 10.0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_likes_per_hour": -1},
        {"delay_between_likes": math.inf},
        {"backoff_base": math.nan},
        {"jitter_percent": 101},
        {"backoff_multiplier": 0.5},
    ],
)
def test_limits_reject_invalid_values(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        Limits(**kwargs)


# -- windows -----------------------------------------------------------------------


def test_like_frees_its_hourly_slot_at_exactly_3600_seconds() -> None:
    limiter, clock = make(Limits(max_likes_per_hour=1))
    limiter.record(Action.LIKE)
    assert not limiter.allows(Action.LIKE)
    clock.advance(3600.0 - 1e-3)
    assert not limiter.allows(Action.LIKE)
    assert limiter.count(Action.LIKE) == 1
    clock.advance(1e-3)
    assert clock.now == START + 3600.0
    assert limiter.allows(Action.LIKE)
    assert limiter.count(Action.LIKE) == 0


def test_hourly_window_fills_at_the_limit_not_before() -> None:
    limiter, _ = make()
    for _ in range(39):
        limiter.record(Action.LIKE)
    assert limiter.allows(Action.LIKE)
    assert not limiter.allows(Action.LIKE, 2)
    limiter.record(Action.LIKE)
    assert not limiter.allows(Action.LIKE)
    assert limiter.count(Action.LIKE) == 40


def test_window_slides_entry_by_entry() -> None:
    limiter, clock = make(Limits(max_requests_per_hour=3))
    for _ in range(3):
        limiter.record(Action.REQUEST)
        clock.advance(1000)
    # now = START + 3000; entries at +0, +1000, +2000
    assert limiter.count(Action.REQUEST) == 3
    clock.advance(600)  # +3600: the first entry left
    assert limiter.count(Action.REQUEST) == 2
    assert limiter.allows(Action.REQUEST)
    assert not limiter.allows(Action.REQUEST, 2)
    clock.advance(1000)
    assert limiter.count(Action.REQUEST) == 1
    assert limiter.allows(Action.REQUEST, 2)


def test_daily_like_window_slides_over_24_hours() -> None:
    limiter, clock = make(Limits(max_likes_per_hour=5, max_likes_per_day=8))
    limiter.record(Action.LIKE, 5)
    clock.advance(HOUR)
    assert limiter.count(Action.LIKE) == 0
    limiter.record(Action.LIKE, 3)
    assert limiter.count(Action.LIKE) == 3
    assert limiter.count(Action.LIKE, DAY) == 8
    clock.advance(HOUR)  # hourly window empty, daily full
    assert limiter.count(Action.LIKE) == 0
    assert not limiter.allows(Action.LIKE)
    assert limiter.state() is LimitState.DAILY_LIMIT
    # The five first likes leave the day window at START + 86400.
    assert limiter.seconds_until_allowed(Action.LIKE) == START + DAY - clock.now
    clock.now = START + DAY - 0.001
    assert not limiter.allows(Action.LIKE)
    clock.now = START + DAY
    assert limiter.allows(Action.LIKE, 5)
    assert not limiter.allows(Action.LIKE, 6)  # the hourly limit still holds
    assert limiter.count(Action.LIKE, DAY) == 3
    assert limiter.state() is LimitState.OK


def test_actions_have_separate_windows() -> None:
    limits = Limits(
        max_requests_per_hour=2, max_likes_per_hour=2, max_story_views_per_hour=2
    )
    limiter, _ = make(limits)
    limiter.record(Action.LIKE, 2)
    assert not limiter.allows(Action.LIKE)
    assert limiter.allows(Action.REQUEST, 2)
    assert limiter.allows(Action.STORY_VIEW, 2)
    limiter.record(Action.STORY_VIEW, 2)
    assert not limiter.allows(Action.STORY_VIEW)
    assert limiter.allows(Action.REQUEST, 2)
    assert limiter.count(Action.REQUEST) == 0
    assert limiter.count(Action.STORY_VIEW) == 2


def test_count_over_windows_beyond_the_kept_history_counts_what_is_kept() -> None:
    limiter, clock = make()
    limiter.record(Action.LIKE)
    limiter.record(Action.REQUEST)
    clock.advance(HOUR - 1)
    limiter.record(Action.LIKE)
    assert limiter.count(Action.LIKE, DAY) == 2
    assert limiter.count(Action.LIKE, 25 * HOUR) == 2  # a DST day since midnight
    assert limiter.count(Action.LIKE, 10) == 1
    assert limiter.count(Action.LIKE, 0) == 0
    assert limiter.count(Action.LIKE, -5) == 0
    assert limiter.count(Action.REQUEST, DAY) == 1
    clock.advance(1)
    assert limiter.count(Action.REQUEST, DAY) == 0  # requests are kept one hour
    with pytest.raises(ValueError, match="nan"):
        limiter.count(Action.LIKE, math.nan)


def test_negative_counts_are_rejected() -> None:
    limiter, _ = make()
    with pytest.raises(ValueError, match="count"):
        limiter.record(Action.LIKE, -1)
    with pytest.raises(ValueError, match="count"):
        limiter.allows(Action.LIKE, -1)


def test_recording_beyond_the_limit_blocks_until_the_excess_slid_out() -> None:
    limiter, clock = make(Limits(max_requests_per_hour=3))
    limiter.record(Action.REQUEST, 5)
    assert limiter.count(Action.REQUEST) == 5
    clock.advance(10)
    limiter.record(Action.REQUEST)
    # 6 inside, limit 3: the first 4 have to go -> all recorded at START.
    assert limiter.seconds_until_allowed(Action.REQUEST) == HOUR - 10


def test_old_entries_are_purged_so_memory_stays_bounded() -> None:
    limiter, clock = make()
    for _ in range(24):
        limiter.record(Action.REQUEST, 150)
        limiter.record(Action.STORY_VIEW, 150)
        limiter.record(Action.LIKE, 40)
        clock.advance(HOUR)
    limiter.state()  # purges lazily
    events = limiter._windows.events
    assert len(events[Action.REQUEST]) == 0
    assert len(events[Action.STORY_VIEW]) == 0
    assert len(events[Action.LIKE]) == 23 * 40  # the day window keeps them
    clock.advance(DAY)
    limiter.allows(Action.REQUEST)  # any call purges every window
    assert all(len(deque_) == 0 for deque_ in events.values())


def test_clock_going_backwards_keeps_history_sorted_and_counted() -> None:
    limiter, clock = make(Limits(max_requests_per_hour=3))
    limiter.record(Action.REQUEST)
    clock.advance(-100)
    limiter.record(Action.REQUEST)
    assert list(limiter._windows.events[Action.REQUEST]) == [START - 100, START]
    assert limiter.count(Action.REQUEST) == 2
    clock.now = START - 100 + HOUR
    assert limiter.count(Action.REQUEST) == 1


def test_default_clock_follows_time_time(monkeypatch: pytest.MonkeyPatch) -> None:
    limiter = RateLimiter(Limits())
    monkeypatch.setattr(time, "time", lambda: 1234.5)
    limiter.record(Action.REQUEST)
    assert limiter.as_dict()["requests"] == [1234.5]


# -- seconds_until_allowed ---------------------------------------------------------


def test_seconds_until_allowed_exact_values() -> None:
    limiter, clock = make(Limits(max_requests_per_hour=3))
    assert limiter.seconds_until_allowed(Action.REQUEST) == 0.0
    for _ in range(3):
        limiter.record(Action.REQUEST)
        clock.advance(10)
    # entries at +0, +10, +20; now +30
    assert limiter.seconds_until_allowed(Action.REQUEST) == 3570.0
    assert limiter.seconds_until_allowed(Action.REQUEST, 2) == 3580.0
    assert limiter.seconds_until_allowed(Action.REQUEST, 3) == 3590.0
    assert limiter.seconds_until_allowed(Action.REQUEST, 4) == math.inf
    assert limiter.seconds_until_allowed(Action.LIKE) == 0.0
    clock.advance(3570.0)
    assert limiter.seconds_until_allowed(Action.REQUEST) == 0.0
    assert limiter.allows(Action.REQUEST)


def test_seconds_until_allowed_takes_the_later_of_window_and_backoff() -> None:
    limiter, clock = make(Limits(max_likes_per_hour=1))
    limiter.record(Action.LIKE)
    assert limiter.register_failure() == 60.0
    assert limiter.seconds_until_allowed(Action.LIKE) == HOUR
    assert limiter.seconds_until_allowed(Action.REQUEST) == 60.0
    limiter.register_failure(retry_after=2 * HOUR)
    assert limiter.seconds_until_allowed(Action.LIKE) == 2 * HOUR
    clock.advance(2 * HOUR)
    assert limiter.seconds_until_allowed(Action.LIKE) == 0.0


@pytest.mark.parametrize(
    ("recorded", "asked"),
    [
        # Times where `now + ((t + 3600) - now)` rounds below `t + 3600`.
        (5.507127219100189, 931.2929168284002),
        (73.45209013881822, 493.0813200041114),
        (START + 0.1, START + 8.1),
    ],
)
def test_waiting_the_answer_always_suffices_despite_float_rounding(
    recorded: float, asked: float
) -> None:
    limiter, clock = make(Limits(max_requests_per_hour=1), now=recorded)
    limiter.record(Action.REQUEST)
    clock.now = asked
    clock.advance(limiter.seconds_until_allowed(Action.REQUEST))
    assert limiter.allows(Action.REQUEST)


# -- state -------------------------------------------------------------------------


def test_state_transitions_and_precedence() -> None:
    limits = Limits(max_requests_per_hour=2, max_likes_per_hour=2, max_likes_per_day=3)
    limiter, clock = make(limits)
    assert limiter.state() is LimitState.OK
    limiter.record(Action.REQUEST, 2)
    assert limiter.state() is LimitState.THROTTLED
    limiter.register_failure()
    assert limiter.state() is LimitState.BACKOFF
    clock.advance(60)
    assert limiter.state() is LimitState.THROTTLED
    clock.advance(HOUR)
    assert limiter.state() is LimitState.OK
    limiter.record(Action.LIKE, 2)
    assert limiter.state() is LimitState.THROTTLED
    clock.advance(HOUR)
    assert limiter.state() is LimitState.OK
    limiter.record(Action.LIKE)
    assert limiter.state() is LimitState.DAILY_LIMIT
    limiter.record(Action.REQUEST, 2)  # hourly full too: the daily limit wins
    assert limiter.state() is LimitState.DAILY_LIMIT
    limiter.register_failure()  # backoff wins over everything
    assert limiter.state() is LimitState.BACKOFF


@pytest.mark.parametrize("action", list(Action))
def test_each_hourly_window_can_throttle(action: Action) -> None:
    limiter, _ = make(
        Limits(
            max_requests_per_hour=1, max_likes_per_hour=1, max_story_views_per_hour=1
        )
    )
    limiter.record(action)
    assert limiter.state() is LimitState.THROTTLED


def test_state_values_are_the_user_facing_strings() -> None:
    assert [state.value for state in LimitState] == [
        "ok",
        "throttled",
        "backoff",
        "daily_limit",
    ]


# -- jitter ------------------------------------------------------------------------


def test_jitter_spec_example_stays_within_2_1_and_3_9_and_uses_the_range() -> None:
    limiter, _ = make()
    values = [limiter.jittered(3.0) for _ in range(2000)]
    assert all(2.1 <= value <= 3.9 for value in values)
    assert min(values) < 2.2
    assert max(values) > 3.8
    assert len(set(values)) > 1900


def test_jitter_is_reproducible_with_a_seeded_rng() -> None:
    first, _ = make()
    second, _ = make()
    assert [first.like_delay() for _ in range(5)] == [
        second.like_delay() for _ in range(5)
    ]


def test_convenience_delays_use_their_own_base() -> None:
    limits = Limits(
        delay_between_requests=1.0,
        delay_between_likes=5.0,
        delay_between_accounts=50.0,
        jitter_percent=0,
    )
    limiter, _ = make(limits)
    assert limiter.request_delay() == 1.0
    assert limiter.like_delay() == 5.0
    assert limiter.account_delay() == 50.0


@pytest.mark.parametrize("base", [-1.0, math.nan, math.inf])
def test_jitter_rejects_invalid_bases(base: float) -> None:
    limiter, _ = make()
    with pytest.raises(ValueError, match="base"):
        limiter.jittered(base)


@given(
    base=st.floats(min_value=1e-6, max_value=1e9),
    jitter=st.integers(min_value=0, max_value=90),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_jitter_always_within_bounds(base: float, jitter: int, seed: int) -> None:
    limiter = RateLimiter(
        Limits(jitter_percent=jitter), clock=FakeClock(), rng=seeded(seed)
    )
    value = limiter.jittered(base)
    assert base * (1 - jitter / 100) <= value <= base * (1 + jitter / 100)
    assert value > 0


# -- backoff -----------------------------------------------------------------------


def test_backoff_sequence_doubles_up_to_the_cap() -> None:
    limiter, clock = make()
    waits = []
    for failures in range(9):
        assert limiter.consecutive_failures == failures
        wait = limiter.register_failure()
        assert limiter.backoff_until == clock.now + wait
        waits.append(wait)
        clock.advance(wait)
        assert limiter.backoff_until is None
    assert waits == [60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]


def test_many_failures_stay_at_the_cap_without_overflow() -> None:
    limiter, _ = make()
    limiter._backoff.failures = 100_000
    assert limiter.register_failure() == 3600.0


def test_backoff_respects_custom_base_and_multiplier() -> None:
    limiter, _ = make(Limits(backoff_base=10, backoff_max=100, backoff_multiplier=3))
    assert [limiter.register_failure() for _ in range(4)] == [10, 30, 90, 100]


def test_retry_after_wins_when_longer_even_beyond_the_cap() -> None:
    limiter, clock = make()
    assert limiter.register_failure(retry_after=300) == 300  # exponential: 60
    clock.advance(300)
    assert limiter.register_failure(retry_after=30) == 120  # exponential wins
    clock.advance(120)
    assert limiter.register_failure(retry_after=7200) == 7200  # above backoff_max
    assert limiter.backoff_until == clock.now + 7200


@pytest.mark.parametrize("retry_after", [-5.0, math.nan, math.inf])
def test_nonsense_retry_after_is_ignored(retry_after: float) -> None:
    limiter, _ = make()
    assert limiter.register_failure(retry_after=retry_after) == 60


def test_a_new_failure_never_shortens_a_running_backoff() -> None:
    limiter, clock = make()
    limiter.register_failure(retry_after=1000)
    clock.advance(100)
    assert limiter.register_failure() == 900  # 120 would end earlier
    assert limiter.backoff_until == START + 1000
    assert limiter.consecutive_failures == 2


def test_success_resets_the_sequence_but_not_a_running_backoff() -> None:
    limiter, clock = make()
    limiter.register_failure()
    limiter.register_failure()
    limiter.register_success()
    assert limiter.consecutive_failures == 0
    assert limiter.backoff_until == START + 120  # still running
    assert not limiter.allows(Action.REQUEST)
    clock.advance(120)
    limiter.register_success()
    assert limiter._backoff.until is None
    assert limiter.register_failure() == 60


def test_backoff_blocks_every_action() -> None:
    limiter, clock = make()
    limiter.register_failure()
    assert not any(limiter.allows(action) for action in Action)
    clock.advance(59.999)
    assert not limiter.allows(Action.LIKE)
    clock.advance(0.001)
    assert all(limiter.allows(action) for action in Action)


# -- update_limits -----------------------------------------------------------------


def test_update_limits_keeps_history() -> None:
    limiter, _ = make(Limits(max_requests_per_hour=10))
    limiter.record(Action.REQUEST, 5)
    assert limiter.allows(Action.REQUEST)
    limiter.update_limits(Limits(max_requests_per_hour=5))
    assert limiter.limits.max_requests_per_hour == 5
    assert not limiter.allows(Action.REQUEST)
    assert limiter.count(Action.REQUEST) == 5
    limiter.update_limits(Limits(max_requests_per_hour=6))
    assert limiter.allows(Action.REQUEST)


# -- persistence -------------------------------------------------------------------


def test_round_trip_through_json() -> None:
    limiter, clock = make()
    limiter.record(Action.LIKE, 2)
    clock.advance(1.25)
    limiter.record(Action.REQUEST, 3)
    limiter.record(Action.STORY_VIEW)
    limiter.register_failure()
    limiter.register_failure()
    stored = json.loads(json.dumps(limiter.as_dict(), allow_nan=False))
    assert stored == {
        "version": 1,
        "requests": [START + 1.25] * 3,
        "likes": [START] * 2,
        "story_views": [START + 1.25],
        "backoff_until": START + 1.25 + 120,
        "consecutive_failures": 2,
    }
    restored = RateLimiter.from_dict(stored, Limits(), clock=clock)
    assert restored.as_dict() == stored
    assert restored.count(Action.LIKE) == 2
    assert restored.count(Action.REQUEST) == 3
    assert restored.count(Action.STORY_VIEW) == 1
    assert restored.consecutive_failures == 2
    assert restored.state() is LimitState.BACKOFF
    assert restored.register_failure() == 240


def test_timestamps_are_stored_rounded_to_milliseconds() -> None:
    limiter, _ = make(now=START + 0.123456)
    limiter.record(Action.REQUEST)
    assert limiter.as_dict()["requests"] == [START + 0.123]


def test_load_drops_entries_older_than_their_window() -> None:
    clock = FakeClock()
    now = clock.now
    stored = {
        "requests": [now - HOUR - 1, now - HOUR, now - HOUR + 1, now - 5],
        "story_views": [now - 2 * HOUR, now - 10],
        "likes": [now - DAY - 1, now - DAY, now - 2 * HOUR, now - 1],
        "backoff_until": now - 1,
        "consecutive_failures": 3,
    }
    limiter = RateLimiter.from_dict(stored, Limits(), clock=clock)
    # Dropped on load already, not only by the next call's lazy purge.
    assert list(limiter._windows.events[Action.REQUEST]) == [now - HOUR + 1, now - 5]
    assert list(limiter._windows.events[Action.LIKE]) == [now - 2 * HOUR, now - 1]
    data = limiter.as_dict()
    assert data["requests"] == [now - HOUR + 1, now - 5]
    assert data["story_views"] == [now - 10]
    assert data["likes"] == [now - 2 * HOUR, now - 1]
    assert limiter.count(Action.LIKE) == 1
    assert limiter.count(Action.LIKE, DAY) == 2
    assert data["backoff_until"] is None
    assert limiter.consecutive_failures == 3


def test_load_keeps_good_parts_of_a_partly_corrupt_store() -> None:
    clock = FakeClock()
    now = clock.now
    stored = {
        "requests": "garbage",
        "likes": [now - 10, "x", None, True, math.nan, [1], now - 20],
        "story_views": [now - 1],
        "backoff_until": "soon",
        "consecutive_failures": -4,
    }
    limiter = RateLimiter.from_dict(stored, Limits(), clock=clock)
    data = limiter.as_dict()
    assert data["requests"] == []
    assert data["likes"] == [now - 20, now - 10]  # sorted on load
    assert data["story_views"] == [now - 1]
    assert data["backoff_until"] is None
    assert data["consecutive_failures"] == 0


def test_load_clamps_future_timestamps_and_endless_backoffs() -> None:
    clock = FakeClock()
    now = clock.now
    stored = {"requests": [now + 10 * DAY], "backoff_until": now + 1e12}
    limiter = RateLimiter.from_dict(stored, Limits(), clock=clock)
    assert limiter.as_dict()["requests"] == [now]
    assert limiter.backoff_until == now + DAY
    clock.advance(HOUR)
    assert limiter.count(Action.REQUEST) == 0


@pytest.mark.parametrize("data", [None, [], "x", 3, {"version": 99}])
def test_load_of_non_dicts_starts_empty(data: Any) -> None:
    limiter = RateLimiter.from_dict(data, Limits(), clock=FakeClock())
    assert limiter.as_dict() == RateLimiter(Limits(), clock=FakeClock()).as_dict()


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(["nan", "inf", "1e999", "12.5", "-0"]),
    lambda children: (
        st.lists(children, max_size=6)
        | st.dictionaries(st.text(max_size=10), children, max_size=6)
    ),
    max_leaves=30,
)
STORES = JSON | st.fixed_dictionaries(
    {},
    optional={
        key: JSON | st.lists(JSON, max_size=8)
        for key in (
            "version",
            "requests",
            "likes",
            "story_views",
            "backoff_until",
            "consecutive_failures",
        )
    },
)


@given(data=STORES)
def test_from_dict_never_raises_on_garbage(data: Any) -> None:
    clock = FakeClock()
    limiter = RateLimiter.from_dict(data, Limits(), clock=clock, rng=seeded(0))
    for action in Action:
        limiter.allows(action)
        limiter.seconds_until_allowed(action)
        limiter.record(action)
    limiter.state()
    limiter.register_failure(retry_after=30)
    limiter.register_success()
    stored = limiter.as_dict()
    json.dumps(stored, allow_nan=False)
    assert limiter.consecutive_failures == 0
    until = stored["backoff_until"]
    assert until is None or clock.now < until <= clock.now + DAY
    for key in ("requests", "likes", "story_views"):
        assert all(clock.now - DAY < stamp <= clock.now for stamp in stored[key])


# -- QS-01 in miniature ------------------------------------------------------------

WINDOWS = {
    Action.REQUEST: ((HOUR, "max_requests_per_hour"),),
    Action.LIKE: ((HOUR, "max_likes_per_hour"), (DAY, "max_likes_per_day")),
    Action.STORY_VIEW: ((HOUR, "max_story_views_per_hour"),),
}

STEPS = st.lists(
    st.tuples(
        st.sampled_from(list(Action)),
        st.integers(min_value=1, max_value=3),
        st.one_of(
            st.floats(min_value=0, max_value=3 * HOUR),
            st.sampled_from([0.0, 0.001, HOUR, DAY]),
            st.just("wait"),
        ),
    ),
    max_size=150,
)


@settings(deadline=None)
@given(
    limits=st.builds(
        Limits,
        max_requests_per_hour=st.integers(min_value=0, max_value=6),
        max_likes_per_hour=st.integers(min_value=0, max_value=5),
        max_story_views_per_hour=st.integers(min_value=0, max_value=5),
        max_likes_per_day=st.integers(min_value=0, max_value=12),
    ),
    start=st.sampled_from([0.0, START + 0.123]),
    steps=STEPS,
)
def test_allowed_then_recorded_never_exceeds_any_limit(
    limits: Limits,
    start: float,
    steps: list[tuple[Action, int, float | str]],
) -> None:
    limiter, clock = make(limits, now=start)
    log: list[tuple[float, Action, int]] = []

    def used(action: Action, window: float, at: float) -> int:
        return sum(n for t, a, n in log if a is action and t <= at < t + window)

    def fits(action: Action, count: int) -> bool:
        return all(
            used(action, window, clock.now) + count <= getattr(limits, limit)
            for window, limit in WINDOWS[action]
        )

    for action, count, step in steps:
        if step == "wait":
            wait = limiter.seconds_until_allowed(action, count)
            if math.isfinite(wait):
                clock.advance(wait)
                assert limiter.allows(action, count)
            else:  # only when the count exceeds a limit outright
                assert count > min(
                    getattr(limits, limit) for _, limit in WINDOWS[action]
                )
        else:
            assert isinstance(step, float)
            clock.advance(step)
        allowed = limiter.allows(action, count)
        assert allowed == fits(action, count)  # neither too loose nor too strict
        if allowed:
            limiter.record(action, count)
            log.append((clock.now, action, count))

    for at, _, _ in log:
        for action, windows in WINDOWS.items():
            for window, limit in windows:
                assert used(action, window, at) <= getattr(limits, limit)


def test_forget_takes_back_one_like_that_did_not_happen() -> None:
    limiter, clock = make(Limits(max_likes_per_hour=2))
    limiter.record(Action.LIKE)
    clock.advance(10)
    sent_at = clock()
    limiter.record(Action.LIKE)  # its answer was lost
    assert not limiter.allows(Action.LIKE)

    clock.advance(60)
    assert limiter.forget(Action.LIKE, sent_at)  # the feed shows it did not land
    assert limiter.count(Action.LIKE) == 1
    assert limiter.allows(Action.LIKE)
    assert not limiter.forget(Action.LIKE, sent_at)  # taken back once only

    clock.advance(30)
    late = clock()
    limiter.record(Action.LIKE)
    clock.advance(86400)
    assert not limiter.forget(Action.LIKE, late)  # it has left every window
