"""
`scripts/benchmark --safety`: a simulated month of liking with Instagram's blocks.

The real coordinator, planner, policy and instagrapi against the emulator, through
the simulation harness of `tests/bench/sim.py` (fake clock). 20 targets, each with 12
posts published before it was added; 30 days of Poisson stories and posts; a
`feedback_required` on day 3 and again on day 5, a "Please wait a few minutes" on day
10 and a burst of three HTTP 429 (Retry-After 600 s) on day 12, each injected at noon
on the next like (429: the next request). The safety options are the defaults.

What is judged comes from the emulator's request log, against the account-safety
rules of README "Account safety" (not against what the integration believes): the
freeze windows (12 h, then 24 h for the repeat, 1 h, Retry-After), the configured
limits, the warm-up's effective limits (replayed with the pure policy), the active
hours 08:00-23:00.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from itertools import pairwise
from typing import TYPE_CHECKING

from custom_components.ig_autoliker.const import (
    CONF_BACKLOG_POSTS,
    CONF_LIKE_CURRENT_STORIES,
)
from custom_components.ig_autoliker.engine.ratelimit import Limits
from custom_components.ig_autoliker.engine.safety import (
    SafetyPolicy,
    SafetySettings,
    is_active_hour,
)

from tests.bench.sim import DAY, HOUR, SimConfig, simulate, target_name
from tests.sandbox import Fault

if TYPE_CHECKING:
    from tests.sandbox import World
    from tests.sandbox.world import RequestRecord

DAYS = 30
TARGETS = 20
OLD_POSTS = 12
#: Publishing rates: enough for the warm-up and the hourly limit to bind early on.
STORIES_PER_DAY = 6.0
POSTS_PER_DAY = 1.5
#: (day, fault) injected at noon; the 429 burst answers three requests in a row.
BLOCKS = (
    (3, Fault.FEEDBACK_REQUIRED),
    (5, Fault.FEEDBACK_REQUIRED),
    (10, Fault.PLEASE_WAIT),
    (12, Fault.HTTP_429),
)
RETRY_AFTER = 600
#: What a like costs on the wire (a story like marks it seen first).
LIKE_PATTERNS = (
    "media/*/like/",
    "story_interactions/send_story_like",
    "v2/media/seen/",
)
#: Likes of one target less than this apart count as one burst, seconds.
BURST_GAP = 300.0
GAP_BUCKETS = (
    (10, "<10 s"),
    (30, "10-30 s"),
    (60, "30-60 s"),
    (300, "1-5 min"),
    (900, "5-15 min"),
    (3600, "15-60 min"),
    (6 * 3600, "1-6 h"),
    (math.inf, ">6 h"),
)


@dataclass
class _Injector:
    """Adds each block's fault rule once its day's noon has come."""

    start: float
    done: int = 0

    def __call__(self, world: World, now: float) -> None:
        while self.done < len(BLOCKS):
            day, fault = BLOCKS[self.done]
            if now < self.start + day * DAY + 12 * HOUR:
                return
            if fault is Fault.HTTP_429:
                world.faults.add("*", fault, times=3, retry_after=RETRY_AFTER)
            else:
                world.faults.add("*like*", fault, method="POST")
            self.done += 1


class _Backlog:
    """Publishes every target's 12 old posts before it is added; remembers them."""

    def __init__(self, targets: int) -> None:
        self.targets = targets
        self.pks: set[int] = set()

    def __call__(self, world: World, _start: float) -> None:
        for index in range(self.targets):
            for age in range(OLD_POSTS):
                post = world.add_post(target_name(index), age=(age + 1) * DAY)
                self.pks.add(post.pk)


def _is_like(record: RequestRecord) -> bool:
    return any(fnmatchcase(record.endpoint, pattern) for pattern in LIKE_PATTERNS)


def _windows(faulted: list[RequestRecord]) -> list[tuple[str, float, float]]:
    """The block windows the safety rules set, from the faulted requests in order."""
    windows = []
    feedback_until: float | None = None
    freeze = 12 * HOUR
    for record in faulted:
        if record.fault == Fault.FEEDBACK_REQUIRED.value:
            repeat = feedback_until is not None and record.at - feedback_until < 7 * DAY
            freeze = min(freeze * 2, 7 * DAY) if repeat else 12 * HOUR
            feedback_until = record.at + freeze
            windows.append(("feedback_required", record.at, feedback_until))
        elif record.fault == Fault.PLEASE_WAIT.value:
            windows.append(("please_wait", record.at, record.at + HOUR))
        else:
            windows.append(("http_429", record.at, record.at + RETRY_AFTER))
    return windows


def _max_in(stamps: list[float], at: float, window: float) -> int:
    """Events in `(at - window, at]` of sorted `stamps`."""
    return bisect_right(stamps, at) - bisect_left(stamps, at - window + 1e-9)


def _replay_limits(
    likes: list[float], blocks: list[tuple[str, float, float]], start: float
) -> list[tuple[int, int]]:
    """Effective (hourly, daily) like limit at each like, replayed with the policy."""
    now = [start]
    policy = SafetyPolicy(SafetySettings(), lambda: now[0], UTC, warmup_from=start)
    events = sorted(
        [(at, 1, kind) for kind, at, _ in blocks if kind != "http_429"]
        + [(at, 2, "like") for at in likes]
    )
    limits = []
    for at, _order, kind in events:
        now[0] = at
        if kind == "feedback_required":
            policy.feedback_required("")
        elif kind == "please_wait":
            policy.please_wait("")
        else:
            effective = policy.effective_limits(Limits())
            limits.append((effective.max_likes_per_hour, effective.max_likes_per_day))
            policy.like_succeeded()
    return limits


def _bursts(likes: list[tuple[float, int]]) -> dict[int, int]:
    """Longest run of likes per target with gaps under BURST_GAP."""
    by_owner: dict[int, list[float]] = defaultdict(list)
    for at, owner in likes:
        by_owner[owner].append(at)
    longest = {}
    for owner, stamps in by_owner.items():
        best = run = 1
        for before, after in pairwise(stamps):
            run = run + 1 if after - before < BURST_GAP else 1
            best = max(best, run)
        longest[owner] = best
    return longest


def _per_cycle(likes: list[tuple[float, int]], cycles: list[float]) -> int:
    """Most likes of one target between two cycle starts (tray requests)."""
    counts: Counter[tuple[int, int]] = Counter()
    for at, owner in likes:
        counts[bisect_right(cycles, at), owner] += 1
    return max(counts.values(), default=0)


def _sparkline(gaps: list[float]) -> list[str]:
    counts = [0] * len(GAP_BUCKETS)
    for gap in gaps:
        counts[next(i for i, (top, _) in enumerate(GAP_BUCKETS) if gap < top)] += 1
    most = max(counts) or 1
    return [
        f"gap {label:>9} {count:6d} {'#' * round(40 * count / most)}"
        for (_, label), count in zip(GAP_BUCKETS, counts, strict=True)
    ]


def bench_safety(days: int = DAYS, targets: int = TARGETS) -> None:
    """
    Run the month and print its figures; the last line is the `safety:` line.

    Args:
        days: Simulated days (30; at least 13 for every block to happen).
        targets: Target accounts (20).

    """
    backlog = _Backlog(targets)
    injector = _Injector(start=0.0)

    def prepare(world: World, start: float) -> None:
        injector.start = start
        backlog(world, start)

    result = simulate(
        SimConfig(
            targets=targets,
            days=days,
            stories_per_day=STORIES_PER_DAY,
            posts_per_day=POSTS_PER_DAY,
            prepare=prepare,
            on_tick=injector,
            subentry_data={CONF_BACKLOG_POSTS: 0, CONF_LIKE_CURRENT_STORIES: True},
        )
    )
    world = result.world
    start = injector.start
    requests = world.requests()
    faulted = [record for record in requests if record.fault]
    blocks = _windows(faulted)
    like_requests = [record for record in requests if _is_like(record)]
    likes = sorted((like.at, like.owner_pk) for like in world.likes)
    stamps = [at for at, _ in likes]

    print(f"safety-detail: {result.details()}")
    block_attempts = 0
    for kind, began, until in blocks:
        attempts = sum(began < r.at < until for r in like_requests)
        sent = sum(began < r.at < until for r in requests)
        block_attempts += attempts
        print(
            f"block: kind={kind} day={(began - start) / DAY:.2f} "
            f"hours={(until - began) / HOUR:.2f} like_attempts={attempts} "
            f"requests={sent}"
        )

    defaults = Limits()
    request_stamps = sorted(record.at for record in requests)
    violations = sum(
        _max_in(stamps, at, HOUR) > defaults.max_likes_per_hour
        or _max_in(stamps, at, DAY) > defaults.max_likes_per_day
        for at in stamps
    ) + sum(
        _max_in(request_stamps, at, HOUR) > defaults.max_requests_per_hour
        for at in request_stamps
    )
    effective = _replay_limits(stamps, blocks, start)
    warmup_violations = sum(
        _max_in(stamps, at, HOUR) > hourly or _max_in(stamps, at, DAY) > daily
        for at, (hourly, daily) in zip(stamps, effective, strict=True)
    )
    busiest_requests = max(
        (_max_in(request_stamps, at, HOUR) for at in request_stamps), default=0
    )
    print(
        f"limits: likes={len(stamps)} max_likes_hour="
        f"{max((_max_in(stamps, at, HOUR) for at in stamps), default=0)}"
        f"/{defaults.max_likes_per_hour} max_likes_day="
        f"{max((_max_in(stamps, at, DAY) for at in stamps), default=0)}"
        f"/{defaults.max_likes_per_day} max_requests_hour={busiest_requests}"
        f"/{defaults.max_requests_per_hour} warmup_violations={warmup_violations}"
    )
    for day in range(days + 1):
        day_start = start + day * DAY
        today = [at for at in stamps if day_start <= at < day_start + DAY]
        limit_at = next(
            (lim for at, lim in zip(stamps, effective, strict=True) if at >= day_start),
            (defaults.max_likes_per_hour, defaults.max_likes_per_day),
        )
        busiest = max((_max_in(stamps, at, HOUR) for at in today), default=0)
        print(
            f"day: {day:2d} likes={len(today):4d} busiest_hour={busiest:3d} "
            f"effective_hour={limit_at[0]:3d} effective_day={limit_at[1]:4d}"
        )

    settings = SafetySettings()
    off_hours = sum(
        not is_active_hour(settings, datetime.fromtimestamp(at, UTC)) for at in stamps
    )
    share = 100.0 * (len(stamps) - off_hours) / len(stamps) if stamps else 100.0
    bursts = _bursts(likes)
    cycles = sorted(r.at for r in requests if r.endpoint == "feed/reels_tray/")
    per_cycle = _per_cycle(likes, cycles)
    backlog_liked = sum(like.media_pk in backlog.pks for like in world.likes)
    print(
        f"pacing: likes_inside_active_hours={share:.1f}% "
        f"longest_burst_per_target_max={max(bursts.values(), default=0)} "
        f"longest_burst_per_target_median="
        f"{sorted(bursts.values())[len(bursts) // 2] if bursts else 0} "
        f"cycles={len(cycles)}"
    )
    # No silent block is injected this month: a silent freeze would be a false alarm.
    silent = sum(data.get("kind") == "silent" for _, data in result.blocked)
    print(f"silent-false-alarms: freezes={silent}")
    gaps = [after - before for before, after in pairwise(stamps)]
    for line in _sparkline(gaps):
        print(line)
    print(
        f"safety: block_attempts={block_attempts} "
        f"limit_violations={violations + warmup_violations} "
        f"off_hours_likes={off_hours} max_likes_per_target_cycle={per_cycle} "
        f"backlog_liked={backlog_liked}"
    )
