"""
`scripts/benchmark --safety`, pace scenario: warnings that grow before a hard block.

The harness of `tests/bench/sim.py` (the real coordinator, planner, policy and
instagrapi against the emulator, fake clock): 40 targets, each with 12 older posts
to like when added (so the account likes at its hourly limit for many hours), no
warm-up, 2 days. For the first day the emulator's `SoftThrottle` (tests/sandbox/
faults.py, SOURCES.md "Soft throttle") answers HTTP 429 to a like while more than
25 likes went out in the last hour, at most one warning per 15 min, and a
`feedback_required` once 5 warnings fell within 6 h and the rate is still up.

Three runs: the adaptive pace; the fixed pace (`Pace.warn` switched off, so every
warning only gets the limiter's backoff); and no throttle at all, whose like count
gives the likes the adaptive pace held back (`likes_lost_to_pace`).
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from unittest.mock import patch

from custom_components.ig_autoliker.const import (
    CONF_BACKLOG_POSTS,
    CONF_LIKE_CURRENT_STORIES,
    CONF_WARMUP_DAYS,
)
from custom_components.ig_autoliker.engine.pace import (
    PACE_RECOVERY,
    QUIET_GRACE,
    Pace,
    WarningKind,
)

from tests.bench.sim import DAY, HOUR, SimConfig, simulate, target_name
from tests.sandbox import Fault
from tests.sandbox.faults import SoftThrottle

if TYPE_CHECKING:
    from tests.sandbox import World

DAYS = 2
TARGETS = 40
OLD_POSTS = 12
#: The soft throttle lasts the first day; the second is quiet.
THROTTLE_HOURS = 24.0


@dataclass
class _Run:
    """One run's figures."""

    warnings: int
    hard_blocks: int
    likes: int
    paces: list[float]
    last_warning_level: float | None
    final_pace: float | None


def _run(*, adaptive: bool, throttle: bool) -> _Run:
    """Simulate the scenario; see the module docstring."""
    soft: dict[str, SoftThrottle] = {}
    paces: list[float] = []
    instances: list[Pace] = []
    original = Pace.warn

    def warn(self: Pace, kind: WarningKind) -> float:
        if self not in instances:
            instances.append(self)
        if not adaptive:
            return self.factor()  # the fixed pace: warnings change nothing
        level = original(self, kind)
        paces.append(level)
        return level

    def prepare(world: World, start: float) -> None:
        for index in range(TARGETS):
            for age in range(OLD_POSTS):
                world.add_post(target_name(index), age=(age + 1) * 3600.0)
        if throttle:
            soft["throttle"] = SoftThrottle(start, start + THROTTLE_HOURS * HOUR)

    def tick(world: World, now: float) -> None:
        if "throttle" in soft:
            soft["throttle"].tick(world, now)

    options: dict[str, Any] = {CONF_WARMUP_DAYS: 0}
    with patch.object(Pace, "warn", warn) if throttle else nullcontext():
        result = simulate(
            SimConfig(
                targets=TARGETS,
                days=DAYS,
                stories_per_day=2.0,
                posts_per_day=0.5,
                prepare=prepare,
                on_tick=tick,
                options=options,
                subentry_data={
                    CONF_BACKLOG_POSTS: OLD_POSTS,
                    CONF_LIKE_CURRENT_STORIES: True,
                },
            )
        )
    faulted = [r.fault for r in result.world.requests() if r.fault]
    return _Run(
        warnings=faulted.count(Fault.HTTP_429.value),
        hard_blocks=faulted.count(Fault.FEEDBACK_REQUIRED.value),
        likes=len(result.world.likes),
        paces=paces,
        last_warning_level=paces[-1] if paces else None,
        final_pace=_a_day_later(instances[-1]) if instances else None,
    )


def _a_day_later(pace: Pace) -> float:
    """The factor one day after the pace's last warning (its clock is the sim's).

    After `simulate` returns, the coordinator's clock is the wall clock again, so the
    stored state is read back with a clock a day after the last warning.
    """
    state = pace.as_dict()
    since = state["since"] if state["since"] is not None else 0.0
    return Pace.from_dict(state, lambda: since + DAY).factor()


def bench_pace() -> None:
    """Run the three runs; the last line is the `pace:` line."""
    free = _run(adaptive=True, throttle=False)
    fixed = _run(adaptive=False, throttle=True)
    run = _run(adaptive=True, throttle=True)
    level = run.last_warning_level
    recovery = (
        None
        if level is None
        else (QUIET_GRACE + (1.0 - level) / PACE_RECOVERY * HOUR) / HOUR
    )
    print(
        f"pace-detail: fixed_warnings={fixed.warnings}"
        f" fixed_hard_blocks={fixed.hard_blocks} fixed_likes={fixed.likes}"
        f" unthrottled_likes={free.likes} adaptive_likes={run.likes}"
        f" full_pace_hours_after_last_warning="
        f"{'-' if recovery is None else f'{recovery:.1f}'}"
        f" pace_a_day_after_last_warning="
        f"{run.final_pace if run.final_pace is not None else 1.0:.2f}"
        f" days={DAYS} quiet_hours={DAYS * 24 + 24 - THROTTLE_HOURS:.0f}"
    )
    print(
        f"pace: warnings={run.warnings} min_pace={min(run.paces, default=1.0):.2f}"
        f" hard_blocks={run.hard_blocks}"
        f" likes_lost_to_pace={max(free.likes - run.likes, 0)}"
    )


if __name__ == "__main__":
    bench_pace()
