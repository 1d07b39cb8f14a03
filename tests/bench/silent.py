"""
`scripts/benchmark --safety`, silent scenario: likes Instagram answers ok and drops.

The harness of `tests/bench/sim.py` (the real coordinator, planner, policy and
instagrapi against the emulator, fake clock): 20 targets with Poisson stories (6 a
day) and posts (1.5 a day), the safety defaults, 4 days. On day 1 at noon a
sustained silent like block begins (every like answered ok, none kept; the emulator's
`World.silent_block`, tests/sandbox/SOURCES.md) and lasts 30 hours, so the first
freeze (12 h) ends inside it and the block has to be noticed a second time.

Judged from the emulator's like log against the integration's own
`ig_autoliker_action_blocked` events: the likes sent into the block before each
detection, the likes wasted in all, and the like requests inside the freezes. The
same run with the detection switched off gives the likes a blind liker wastes.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from unittest.mock import patch

from custom_components.ig_autoliker.const import (
    CONF_BACKLOG_POSTS,
    CONF_LIKE_CURRENT_STORIES,
)
from custom_components.ig_autoliker.engine.outcomes import LikeOutcomes

from tests.bench.sim import DAY, HOUR, SimConfig, SimResult, simulate
from tests.sandbox.testworld import ALICE

if TYPE_CHECKING:
    from tests.sandbox import World

DAYS = 4
TARGETS = 20
STORIES_PER_DAY = 6.0
POSTS_PER_DAY = 1.5
#: The block begins on this day at noon and lasts this long (no capture gives a
#: duration; peer users report hours to a day, tests/sandbox/SOURCES.md).
BLOCK_DAY = 1
BLOCK_HOURS = 30.0
#: The like requests themselves (a story's view before its like is not counted).
LIKE_PATTERNS = ("media/*/like/", "story_interactions/send_story_like")


@dataclass
class _Run:
    """One simulated run and what the record's checks cost in it."""

    result: SimResult
    block_since: float
    block_until: float
    check_reads: int


def _run(*, detect: bool) -> _Run:
    """Simulate the scenario; `detect` False switches the detection off."""
    window: dict[str, float] = {}

    def prepare(world: World, start: float) -> None:
        since = start + BLOCK_DAY * DAY + 12 * HOUR
        until = since + BLOCK_HOURS * HOUR
        world.silent_block(ALICE.username, since=since, until=until)
        window.update(since=since, until=until)

    reads = [0]
    original = LikeOutcomes.to_check

    def counted(self: LikeOutcomes) -> tuple[str, bool] | None:
        check = original(self)
        reads[0] += check is not None
        return check

    blind = (
        nullcontext()
        if detect
        else patch.multiple(
            LikeOutcomes, evidence=lambda _self: None, to_check=lambda _self: None
        )
    )
    with patch.object(LikeOutcomes, "to_check", counted), blind:
        result = simulate(
            SimConfig(
                targets=TARGETS,
                days=DAYS,
                stories_per_day=STORIES_PER_DAY,
                posts_per_day=POSTS_PER_DAY,
                prepare=prepare,
                subentry_data={CONF_BACKLOG_POSTS: 0, CONF_LIKE_CURRENT_STORIES: True},
            )
        )
    return _Run(result, window["since"], window["until"], reads[0])


def _like_times(world: World) -> list[float]:
    return sorted(r.at for pattern in LIKE_PATTERNS for r in world.requests(pattern))


def _freezes(blocked: list[tuple[float, dict[str, Any]]]) -> list[tuple[float, float]]:
    """(start, end) of each silent freeze, from the integration's events."""
    return [
        (at, datetime.fromisoformat(data["until"]).timestamp())
        for at, data in blocked
        if data.get("kind") == "silent"
    ]


def bench_silent() -> None:
    """Run the scenario with and without detection; the last line is `silent:`."""
    blind = _run(detect=False)
    blind_wasted = sum(like.silent for like in blind.result.world.likes)
    run = _run(detect=True)
    world = run.result.world
    likes = world.likes
    freezes = _freezes(run.result.blocked)
    like_times = _like_times(world)
    during = sum(any(start < at < end for start, end in freezes) for at in like_times)
    detected_after: list[int] = []
    since = run.block_since
    for start, end in freezes:
        wasted_here = sum(like.dropped and since <= like.at < start for like in likes)
        detected_after.append(wasted_here)
        day = (start - run.block_since) / DAY + BLOCK_DAY + 0.5
        print(
            f"silent-freeze: day={day:.2f}"
            f" hours={(end - start) / HOUR:.1f} likes_into_block={wasted_here}"
            f" minutes_after_block_or_freeze={(start - since) / 60:.0f}"
        )
        since = max(end, run.block_since)
    outside = sum(
        not run.block_since <= start <= run.block_until + DAY for start, _ in freezes
    )
    wasted = sum(like.silent for like in likes)
    requests = len(world.requests())
    print(
        f"silent-detail: block_hours={BLOCK_HOURS:.0f} freezes={len(freezes)}"
        f" false_freezes={outside} likes={len(likes)} requests={requests}"
        f" check_reads={run.check_reads}"
        f" check_share={100.0 * run.check_reads / max(requests, 1):.1f}%"
        f" blind_wasted_likes={blind_wasted}"
        f" blind_likes={len(blind.result.world.likes)}"
        f" blind_requests={len(blind.result.world.requests())}"
    )
    print(
        f"silent: detected_after_likes={max(detected_after, default=0)}"
        f" wasted_likes={wasted} likes_during_freeze={during}"
    )
