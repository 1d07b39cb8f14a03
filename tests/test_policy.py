# Copyright (C) 2026 the ig_autoliker authors. SPDX-License-Identifier: MIT
"""Tests of the pure safety policy: freezes, warm-up, active hours."""

from __future__ import annotations

import json
import math
import random
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from custom_components.ig_autoliker.const import (
    CONF_ACTIVE_END,
    CONF_ACTIVE_START,
    CONF_FEEDBACK_FREEZE,
    CONF_MAX_LIKES_TARGET_CYCLE,
    CONF_WARMUP_DAYS,
)
from custom_components.ig_autoliker.engine.clock import DAY, HOUR
from custom_components.ig_autoliker.engine.hours import (
    is_active_hour,
    next_active_change,
    next_active_start,
)
from custom_components.ig_autoliker.engine.ratelimit import Limits
from custom_components.ig_autoliker.engine.safety import (
    BlockKind,
    FreezeScope,
    SafetyPolicy,
    SafetySettings,
    baseline_cutoff,
    stated_until,
)
from custom_components.ig_autoliker.options import safety_settings_from_options
from hypothesis import given
from hypothesis import strategies as st

BERLIN = ZoneInfo("Europe/Berlin")
#: 2026-03-02 12:00 Europe/Berlin (a Monday, winter time).
NOON = datetime(2026, 3, 2, 12, tzinfo=BERLIN).timestamp()
#: Instagram's wording with a date (instagrapi `examples/handle_exception.py`).
DATED = (
    "Based on previous use of this feature, your account has been temporarily "
    "blocked from taking this action. This block will expire on 2026-03-05."
)
#: Instagram's wording without a date (instagrapi best practices).
UNDATED = "We restrict certain activity to protect our community."


class Clock:
    """A settable clock, Unix seconds."""

    def __init__(self, now: float = NOON) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def make(
    settings: SafetySettings | None = None,
    now: float = NOON,
    warmup_from: float | None = None,
) -> tuple[SafetyPolicy, Clock]:
    clock = Clock(now)
    policy = SafetyPolicy(
        settings or SafetySettings(), clock, BERLIN, warmup_from=warmup_from
    )
    return policy, clock


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


def warmup_end(policy: SafetyPolicy) -> float | None:
    return policy.warmup_until  # a call: mypy does not narrow it across asserts


# -- settings ----------------------------------------------------------------------


def test_settings_from_options_defaults_and_clamping() -> None:
    assert safety_settings_from_options({}) == SafetySettings()
    assert SafetySettings() == SafetySettings(
        feedback_freeze=12 * HOUR,
        warmup_days=7,
        active_start=8,
        active_end=23,
        max_likes_per_target_cycle=3,
    )
    settings = safety_settings_from_options(
        {
            CONF_FEEDBACK_FREEZE: 500,
            CONF_WARMUP_DAYS: "3",
            CONF_ACTIVE_START: -5,
            CONF_ACTIVE_END: 22.6,
            CONF_MAX_LIKES_TARGET_CYCLE: math.nan,
        }
    )
    assert settings == SafetySettings(
        feedback_freeze=168 * HOUR,
        warmup_days=7,
        active_start=0,
        active_end=23,
        max_likes_per_target_cycle=3,
    )


# -- feedback_required -------------------------------------------------------------


def test_feedback_required_freezes_likes_for_twelve_hours() -> None:
    policy, clock = make()
    freeze = policy.feedback_required(UNDATED)
    assert freeze.kind is BlockKind.FEEDBACK_REQUIRED
    assert freeze.scope is FreezeScope.LIKES
    assert freeze.until == NOON + 12 * HOUR
    assert freeze.message == UNDATED
    assert policy.frozen_until(FreezeScope.LIKES) == NOON + 12 * HOUR
    assert policy.frozen_until(FreezeScope.ALL) is None  # fetching is not frozen
    clock.now = NOON + 12 * HOUR - 1
    assert policy.blocked_until == NOON + 12 * HOUR
    clock.now = NOON + 12 * HOUR
    assert policy.frozen_until(FreezeScope.LIKES) is None
    assert policy.active_freezes() == []


def test_feedback_required_doubles_on_each_repeat_within_seven_days() -> None:
    policy, clock = make()
    lengths = []
    for _ in range(6):
        freeze = policy.feedback_required(UNDATED)
        lengths.append((freeze.until - clock.now) / HOUR)
        clock.now = freeze.until + HOUR  # the next block comes after this one
    assert lengths == [12, 24, 48, 96, 168, 168]
    clock.now += 7 * DAY  # a quiet week after the last freeze ended
    assert policy.feedback_required(UNDATED).until == clock.now + 12 * HOUR


def test_feedback_required_after_a_quiet_week_starts_at_twelve_hours_again() -> None:
    policy, clock = make()
    policy.feedback_required(UNDATED)
    clock.now += 12 * HOUR + 7 * DAY - 1
    assert policy.feedback_required(UNDATED).until == clock.now + 24 * HOUR
    clock.now += 24 * HOUR + 7 * DAY
    assert policy.feedback_required(UNDATED).until == clock.now + 12 * HOUR


def test_feedback_freeze_option_is_the_base() -> None:
    policy, clock = make(SafetySettings(feedback_freeze=2 * HOUR))
    assert policy.feedback_required("").until == NOON + 2 * HOUR
    clock.now += 3 * HOUR
    assert policy.feedback_required("").until == clock.now + 4 * HOUR


def test_feedback_required_lasts_until_the_date_instagram_states() -> None:
    policy, _ = make()
    freeze = policy.feedback_required(DATED)
    # "expire on 2026-03-05": the whole 5th, local time.
    assert freeze.until == local(2026, 3, 6).timestamp()


def test_a_stated_date_sooner_than_the_freeze_does_not_shorten_it() -> None:
    policy, _ = make()
    freeze = policy.feedback_required("This block will expire on 2026-03-02.")
    assert freeze.until == NOON + 12 * HOUR


def test_a_stated_date_is_believed_at_most_thirty_days_ahead() -> None:
    policy, _ = make()
    freeze = policy.feedback_required("This block will expire on 2027-03-02.")
    assert freeze.until == NOON + 30 * DAY


def test_a_running_freeze_is_never_shortened() -> None:
    policy, clock = make()
    first = policy.feedback_required(DATED)
    clock.now += HOUR
    second = policy.feedback_required(UNDATED)  # 24 h: sooner than the stated date
    assert second.until == first.until == local(2026, 3, 6).timestamp()
    assert second.message == UNDATED


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("This block will expire on 2020-03-27.", local(2020, 3, 28)),
        ("This block will expire on March 27, 2020.", local(2020, 3, 28)),
        ("Dieser Block läuft am 27 march 2020 ab", local(2020, 3, 28)),
        ("expires on 27. Mar 2020", None),  # no month of that spelling
        ("expire on 2020-02-30.", None),  # no such day
        ("expire on Smarch 3, 2020", None),
        (UNDATED, None),
        ("", None),
    ],
)
def test_stated_until_reads_instagrams_date(
    message: str, expected: datetime | None
) -> None:
    result = stated_until(message, BERLIN)
    assert result == (None if expected is None else expected.timestamp())


# -- Please wait -------------------------------------------------------------------


def test_please_wait_freezes_every_request_for_an_hour() -> None:
    policy, _ = make()
    freeze = policy.please_wait("Please wait a few minutes before you try again.")
    assert freeze.scope is FreezeScope.ALL
    assert policy.frozen_until(FreezeScope.ALL) == NOON + HOUR
    assert policy.frozen_until(FreezeScope.LIKES) == NOON + HOUR


@pytest.mark.parametrize(
    ("retry_after", "seconds"),
    [
        (None, HOUR),
        (60.0, HOUR),
        (7200.0, 2 * HOUR),
        (math.inf, HOUR),
        (1e12, 30 * DAY),
    ],
)
def test_please_wait_honours_a_longer_retry_after(
    retry_after: float | None, seconds: float
) -> None:
    policy, _ = make()
    assert policy.please_wait("", retry_after).until == NOON + seconds


def test_both_freezes_at_once_report_the_later_end_first() -> None:
    policy, _ = make()
    policy.please_wait("")
    policy.feedback_required("")
    kinds = [freeze.kind for freeze in policy.active_freezes()]
    assert kinds == [BlockKind.FEEDBACK_REQUIRED, BlockKind.PLEASE_WAIT]
    assert policy.frozen_until(FreezeScope.ALL) == NOON + HOUR
    assert policy.frozen_until(FreezeScope.LIKES) == NOON + 12 * HOUR


# -- warm-up -----------------------------------------------------------------------


def test_a_new_account_ramps_linearly_over_the_warmup_days() -> None:
    policy, clock = make(warmup_from=NOON)
    limits = Limits()
    assert policy.warmup_fraction() == 0.25
    assert policy.effective_limits(limits).max_likes_per_hour == 10
    assert policy.effective_limits(limits).max_likes_per_day == 200
    assert policy.warmup_until == NOON + 7 * DAY
    clock.now = NOON + 3.5 * DAY
    assert policy.warmup_fraction() == pytest.approx(0.625)
    assert policy.effective_limits(limits).max_likes_per_hour == 25
    clock.now = NOON + 7 * DAY
    assert policy.warmup_fraction() == 1.0
    assert policy.effective_limits(limits) is limits
    assert policy.warmup_until is None


def test_warmup_scales_only_the_like_limits_and_never_below_one() -> None:
    policy, _ = make(warmup_from=NOON)
    limits = Limits(max_likes_per_hour=2, max_likes_per_day=3)
    effective = policy.effective_limits(limits)
    assert (effective.max_likes_per_hour, effective.max_likes_per_day) == (1, 1)
    assert effective.max_requests_per_hour == limits.max_requests_per_hour


def test_warmup_off_or_not_started_means_full_limits() -> None:
    assert (
        make(SafetySettings(warmup_days=0), warmup_from=NOON)[0].warmup_fraction() == 1
    )
    policy, _ = make()
    assert policy.warmup_fraction() == 1.0
    assert policy.warmup_until is None


def test_a_freeze_restarts_the_warmup_with_the_next_successful_like() -> None:
    policy, clock = make()  # an account that has been liking for a while
    policy.feedback_required("")
    assert policy.warmup_fraction() == 0.25  # waiting for the first like
    assert warmup_end(policy) is None
    clock.now += 2 * DAY
    assert policy.warmup_fraction() == 0.25
    policy.like_succeeded()
    assert policy.warmup_until == clock.now + 7 * DAY
    clock.now += 7 * DAY
    assert policy.warmup_fraction() == 1.0
    policy.like_succeeded()  # no freeze since: the ramp is not restarted
    assert policy.warmup_fraction() == 1.0


def test_without_warmup_a_freeze_leaves_the_limits_alone() -> None:
    policy, _ = make(SafetySettings(warmup_days=0))
    policy.please_wait("")
    assert policy.warmup_fraction() == 1.0


@given(
    days=st.integers(1, 60),
    steps=st.lists(st.floats(0, 10 * DAY), min_size=1, max_size=20),
)
def test_warmup_never_drops_while_it_ramps(days: int, steps: list[float]) -> None:
    policy, clock = make(SafetySettings(warmup_days=days), warmup_from=NOON)
    last = 0.0
    for step in steps:
        clock.now += step
        fraction = policy.warmup_fraction()
        assert 0.25 <= fraction <= 1.0
        assert fraction >= last
        last = fraction


# -- active hours ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "hour", "active"),
    [
        (8, 23, 7, False),
        (8, 23, 8, True),
        (8, 23, 22, True),
        (8, 23, 23, False),
        (22, 6, 23, True),
        (22, 6, 3, True),
        (22, 6, 12, False),
        (8, 24, 23, True),
        (8, 24, 0, False),
        (0, 0, 3, True),
        (0, 24, 3, True),
    ],
)
def test_active_hours_window(start: int, end: int, hour: int, active: bool) -> None:
    settings = SafetySettings(active_start=start, active_end=end)
    assert is_active_hour(settings, local(2026, 3, 2, hour, 30)) is active


def test_next_active_start_is_today_or_tomorrow_at_the_start_hour() -> None:
    settings = SafetySettings()
    assert next_active_start(settings, local(2026, 3, 2, 5)) == local(2026, 3, 2, 8)
    assert next_active_start(settings, local(2026, 3, 2, 23, 5)) == local(2026, 3, 3, 8)
    now = local(2026, 3, 2, 9)
    assert next_active_start(settings, now) == now


def test_the_next_change_of_the_active_hours_is_their_start_or_their_end() -> None:
    settings = SafetySettings(active_start=8, active_end=23)
    assert next_active_change(settings, local(2026, 3, 2, 5, 10)) == local(
        2026, 3, 2, 8
    )
    assert next_active_change(settings, local(2026, 3, 2, 9)) == local(2026, 3, 2, 23)
    assert next_active_change(settings, local(2026, 3, 2, 23)) == local(2026, 3, 3, 8)
    overnight = SafetySettings(active_start=22, active_end=6)
    assert next_active_change(overnight, local(2026, 3, 2, 23)) == local(2026, 3, 3, 6)
    always = SafetySettings(active_start=0, active_end=0)
    assert next_active_change(always, local(2026, 3, 2, 23)) is None


def test_next_active_start_keeps_the_wall_clock_across_dst() -> None:
    # Berlin springs forward on 2026-03-29 at 02:00.
    start = next_active_start(SafetySettings(), local(2026, 3, 28, 23, 30))
    assert start.timestamp() == local(2026, 3, 29, 8).timestamp()
    assert start.timestamp() - local(2026, 3, 28, 23, 30).timestamp() == 7.5 * HOUR


def test_sleeping_follows_the_clock_and_the_time_zone() -> None:
    policy, clock = make()
    assert not policy.sleeping()
    clock.now = local(2026, 3, 2, 23, 30).timestamp()
    assert policy.sleeping()
    policy.update_settings(SafetySettings(), ZoneInfo("America/New_York"))
    assert not policy.sleeping()  # 17:30 in New York
    assert policy.settings == SafetySettings()


@given(
    offset=st.floats(0, 14 * DAY),
    interval=st.floats(600, 86400),
    seed=st.integers(0, 2**32),
    start=st.integers(0, 23),
    end=st.integers(0, 24),
)
def test_next_cycle_starts_inside_the_active_hours_and_jittered(
    offset: float, interval: float, seed: int, start: int, end: int
) -> None:
    settings = SafetySettings(active_start=start, active_end=end)
    policy, clock = make(settings, now=NOON + offset)
    delay = policy.next_cycle_delay(interval, random.Random(seed))  # noqa: S311
    assert delay > 0
    assert is_active_hour(settings, datetime.fromtimestamp(clock.now + delay, BERLIN))
    if settings.always_active:
        assert 0.9 * interval <= delay <= 1.1 * interval


def test_cycle_start_times_spread_over_the_hour() -> None:
    policy, _ = make(SafetySettings(active_start=0, active_end=0))
    rng = random.Random(1)  # noqa: S311
    delays = {round(policy.next_cycle_delay(3600, rng) / 60) for _ in range(50)}
    assert len(delays) > 10  # not on the same minute every hour
    assert min(delays) >= 54
    assert max(delays) <= 66


def test_a_cycle_that_would_start_at_night_waits_for_the_morning() -> None:
    policy, _ = make(now=local(2026, 3, 2, 22, 30).timestamp())
    delay = policy.next_cycle_delay(3600, random.Random(3))  # noqa: S311
    morning = local(2026, 3, 3, 8).timestamp() - local(2026, 3, 2, 22, 30).timestamp()
    assert morning <= delay <= morning + 360


# -- backlog -----------------------------------------------------------------------


def test_baseline_cutoff_keeps_only_the_newest_backlog_posts() -> None:
    taken = [float(stamp) for stamp in range(100, 1300, 100)]  # 12 posts
    cutoff = baseline_cutoff(taken, 0)
    assert [stamp for stamp in taken if stamp > cutoff] == []
    cutoff = baseline_cutoff(taken, 3)
    assert [stamp for stamp in taken if stamp > cutoff] == [1000.0, 1100.0, 1200.0]
    assert baseline_cutoff(taken, 12) == 0.0
    assert baseline_cutoff([], 0) == 0.0


# -- persistence -------------------------------------------------------------------


def test_state_survives_a_json_round_trip() -> None:
    policy, clock = make(warmup_from=NOON - DAY)
    policy.feedback_required(DATED)
    policy.please_wait("Please wait a few minutes")
    saved = json.loads(json.dumps(policy.as_dict()))
    assert saved["version"] == 1
    restored = SafetyPolicy.from_dict(saved, SafetySettings(), clock, BERLIN)
    assert restored.active_freezes() == policy.active_freezes()
    assert restored.warmup_fraction() == policy.warmup_fraction()
    # The history survives too: the next block doubles.
    clock.now = local(2026, 3, 6, 1).timestamp()
    assert restored.feedback_required("").until == clock.now + 24 * HOUR
    restored.like_succeeded()
    assert restored.warmup_until == clock.now + 7 * DAY


def test_without_saved_state_a_new_account_warms_up() -> None:
    clock = Clock()
    policy = SafetyPolicy.from_dict(
        None, SafetySettings(), clock, BERLIN, warmup_from=NOON
    )
    assert policy.warmup_fraction() == 0.25
    assert policy.active_freezes() == []


@pytest.mark.parametrize(
    "data",
    [
        {"freezes": "x", "feedback_level": 3, "warmup_start": "soon"},
        {"freezes": [1, {"kind": "nope"}, {"kind": "please_wait", "until": "x"}]},
        {"freezes": [{"kind": "please_wait", "since": 0, "until": NOON - 1}]},
        {"feedback_level": True, "feedback_last_end": NOON},
        {"feedback_level": 2, "feedback_last_end": NOON - 8 * DAY},
    ],
)
def test_malformed_state_starts_clean(data: dict[str, Any]) -> None:
    policy = SafetyPolicy.from_dict(data, SafetySettings(), Clock(), BERLIN)
    assert policy.active_freezes() == []
    assert policy.warmup_fraction() == 1.0
    assert policy.feedback_required("").until == NOON + 12 * HOUR  # no repeat


def test_a_corrupt_freeze_lasts_at_most_thirty_days() -> None:
    data = {
        "freezes": [
            {"kind": "feedback_required", "since": NOON + DAY, "until": NOON + 1e9}
        ],
        "warmup_pending": True,
    }
    policy = SafetyPolicy.from_dict(data, SafetySettings(), Clock(), BERLIN)
    (freeze,) = policy.active_freezes()
    assert (freeze.since, freeze.until, freeze.message) == (NOON, NOON + 30 * DAY, "")
    assert policy.warmup_fraction() == 0.25


def test_feedback_required_in_utc_by_default() -> None:
    policy = SafetyPolicy(SafetySettings(), Clock())
    until = policy.feedback_required("This block will expire on 2026-03-05.").until
    assert until == datetime(2026, 3, 6, tzinfo=UTC).timestamp()
    assert until - NOON > timedelta(days=3).total_seconds()


def test_a_like_about_to_wait_past_the_end_of_the_active_hours_is_sleeping() -> None:
    policy, _ = make(now=local(2026, 3, 2, 22, 59).timestamp())
    assert not policy.sleeping()
    assert not policy.sleeping(within=59)
    assert policy.sleeping(within=61)
