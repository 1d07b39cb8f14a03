"""The adaptive pace: slows on warnings, recovers with quiet, options are ceilings."""

from __future__ import annotations

import json

from custom_components.ig_autoliker.engine.clock import DAY, HOUR
from custom_components.ig_autoliker.engine.pace import (
    PACE_DECREASE,
    PACE_FLOOR,
    SERVER_ERROR_BURST,
    Health,
    Pace,
    WarningKind,
)
from custom_components.ig_autoliker.engine.ratelimit import Limits
from custom_components.ig_autoliker.engine.safety import SafetyPolicy, SafetySettings
from hypothesis import given
from hypothesis import strategies as st

from tests.timebase import default_test_start

START = default_test_start()
KINDS = st.sampled_from(list(WarningKind))
#: A history: warnings, each after a gap of 0 s .. 2 days.
HISTORY = st.lists(
    st.tuples(st.floats(min_value=0, max_value=2 * DAY), KINDS), max_size=40
)


class Clock:
    """A settable fake clock, Unix seconds."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


def replay(history: list[tuple[float, WarningKind]]) -> tuple[Pace, Clock]:
    clock = Clock()
    pace = Pace(clock)
    for gap, kind in history:
        clock.now += gap
        pace.warn(kind)
    return pace, clock


@given(HISTORY, st.floats(min_value=0, max_value=3 * DAY))
def test_factor_stays_between_floor_and_one(
    history: list[tuple[float, WarningKind]], later: float
) -> None:
    pace, clock = replay(history)
    clock.now += later
    assert PACE_FLOOR <= pace.factor() <= 1.0


@given(HISTORY, st.floats(min_value=0, max_value=DAY), st.floats(0, DAY))
def test_recovery_is_monotone_with_quiet_time(
    history: list[tuple[float, WarningKind]], quiet: float, more: float
) -> None:
    pace, clock = replay(history)
    clock.now += quiet
    before = pace.factor()
    clock.now += more
    assert pace.factor() >= before


@given(HISTORY)
def test_a_day_of_quiet_brings_full_pace_back(
    history: list[tuple[float, WarningKind]],
) -> None:
    pace, clock = replay(history)
    clock.now += DAY
    assert pace.factor() == 1.0


@given(HISTORY, KINDS)
def test_every_warning_slows_unless_at_the_floor(
    history: list[tuple[float, WarningKind]], kind: WarningKind
) -> None:
    pace, _clock = replay(history)
    before = pace.factor()
    after = pace.warn(kind)
    assert after == max(PACE_FLOOR, before * PACE_DECREASE)
    assert after < before or after == PACE_FLOOR


@given(
    HISTORY,
    st.floats(min_value=0, max_value=3 * DAY),
    st.integers(1, 1000),
    st.integers(1, 10_000),
)
def test_effective_limits_never_above_the_options(
    history: list[tuple[float, WarningKind]], later: float, hourly: int, daily: int
) -> None:
    pace, clock = replay(history)
    clock.now += later
    policy = SafetyPolicy(SafetySettings(), clock)
    policy.pace = pace
    limits = Limits(max_likes_per_hour=hourly, max_likes_per_day=daily)
    effective = policy.effective_limits(limits)
    assert 1 <= effective.max_likes_per_hour <= hourly
    assert 1 <= effective.max_likes_per_day <= daily


def test_without_warnings_the_limits_are_the_options() -> None:
    clock = Clock()
    policy = SafetyPolicy(SafetySettings(warmup_days=0), clock)
    limits = Limits(max_likes_per_hour=30, max_likes_per_day=200)
    clock.now += 5 * DAY
    assert policy.effective_limits(limits) is limits
    assert policy.pace.health(blocked=False) is Health.GOOD


def test_warnings_lower_the_hourly_limit_then_quiet_restores_it() -> None:
    clock = Clock()
    policy = SafetyPolicy(SafetySettings(warmup_days=0), clock)
    limits = Limits(max_likes_per_hour=30, max_likes_per_day=200)
    policy.pace.warn(WarningKind.RATE_LIMITED)
    assert policy.effective_limits(limits).max_likes_per_hour == 21  # 30 * 0.7
    assert policy.pace.health(blocked=False) is Health.CAUTION
    policy.pace.warn(WarningKind.DROPPED_LIKE)
    assert policy.effective_limits(limits).max_likes_per_hour == 14  # 30 * 0.49
    assert policy.effective_limits(limits).max_likes_per_day == 200
    assert policy.pace.health(blocked=False) is Health.AT_RISK
    assert policy.pace.health(blocked=True) is Health.BLOCKED
    clock.now += HOUR  # still within the grace: no recovery yet
    assert policy.effective_limits(limits).max_likes_per_hour == 14
    clock.now += 11 * HOUR  # 0.49 + 11 * 0.05 > 1
    assert policy.effective_limits(limits) is limits


def test_a_burst_of_server_errors_is_one_warning_a_single_one_none() -> None:
    clock = Clock()
    pace = Pace(clock)
    assert not pace.server_error()
    clock.now += HOUR
    for _ in range(SERVER_ERROR_BURST - 1):
        assert not pace.server_error()
        clock.now += 60
    assert pace.server_error()
    assert pace.factor() == PACE_DECREASE
    assert pace.counts()["server_errors"] == 1


def test_pace_survives_a_restart_and_old_stores_load() -> None:
    clock = Clock()
    policy = SafetyPolicy(SafetySettings(), clock)
    policy.pace.warn(WarningKind.PLEASE_WAIT)
    saved = json.loads(json.dumps(policy.as_dict()))
    again = SafetyPolicy.from_dict(saved, SafetySettings(), clock)
    assert again.pace.factor() == PACE_DECREASE
    assert again.pace.counts()["please_wait"] == 1
    del saved["pace"]  # a store written before the pace existed
    old = SafetyPolicy.from_dict(saved, SafetySettings(), clock)
    assert old.pace.factor() == 1.0
    bad = SafetyPolicy.from_dict(
        {**saved, "pace": {"level": "x", "warnings": [1, {"kind": "nope"}]}},
        SafetySettings(),
        clock,
    )
    assert bad.pace.factor() == 1.0
    assert bad.pace.recent() == []
