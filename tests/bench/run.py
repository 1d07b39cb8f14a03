"""Benchmarks that print figures: store growth, limiter cost, adapter latency.

Run through `scripts/benchmark`. Figures depend on the machine; compare runs on one.
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import time
import tracemalloc

from custom_components.ig_autoliker.const import (
    CONF_ACTIVE_END,
    CONF_ACTIVE_START,
    CONF_MAX_LIKES_TARGET_CYCLE,
    CONF_WARMUP_DAYS,
)
from custom_components.ig_autoliker.engine.client import (
    ConnectionOptions,
    InstagramClient,
)
from custom_components.ig_autoliker.engine.ratelimit import Action, Limits, RateLimiter
from custom_components.ig_autoliker.store import StoredData
from homeassistant.helpers.json import prepare_save_json

from tests.sandbox import Sandbox, build_test_world
from tests.sandbox.testworld import ALICE, PUBLIC

#: Likes a year at the spec's daily ceiling (800/day, spec section 8.2).
YEAR_OF_LIKES = 800 * 365


def bench_store() -> None:
    """Size and (de)serialisation time of the store as liked posts accumulate."""
    for posts in (1_000, 10_000, YEAR_OF_LIKES):
        stored = StoredData(
            liked_posts={
                str(3_400_000_000_000_000_000 + i): 1.8e9 + i for i in range(posts)
            }
        )
        tracemalloc.start()
        text = json.dumps(stored.as_dict())
        raw = json.loads(text)
        started = time.perf_counter()
        StoredData.from_dict(raw)
        parsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        # What a save costs the event loop: Home Assistant's Store serialises there.
        started = time.perf_counter()
        prepare_save_json({"version": 1, "data": stored.as_dict()})
        on_loop = time.perf_counter() - started
        print(
            f"store: liked_posts={posts} json_bytes={len(text)} "
            f"save_on_event_loop_ms={on_loop * 1000:.1f} "
            f"parse_in_executor_ms={parsed * 1000:.1f} peak_mib={peak / 2**20:.1f}"
        )


def bench_limiter() -> None:
    """Cost of a decision with full windows (what every request pays)."""
    now = [1.8e9]
    limiter = RateLimiter(Limits(), clock=lambda: now[0], rng=random.Random(1))
    rounds = 100_000
    started = time.perf_counter()
    for _ in range(rounds):
        now[0] += 0.5
        if limiter.allows(Action.REQUEST):
            limiter.record(Action.REQUEST)
        limiter.allows(Action.LIKE)
    elapsed = time.perf_counter() - started
    per_decision = elapsed / (rounds * 2) * 1e6
    print(f"limiter: decisions={rounds * 2} us_per_decision={per_decision:.2f}")


def bench_adapter() -> None:
    """Latency of real instagrapi calls via the proxy to the emulator (h2, TLS 1.3)."""
    world = build_test_world()
    with Sandbox(world) as sandbox:
        options = ConnectionOptions(
            proxy=sandbox.proxy_url, verify=str(sandbox.ca_path)
        )
        api = InstagramClient(ALICE.username, ALICE.password, options=options)
        started = time.perf_counter()
        api.login()
        login = time.perf_counter() - started
        target = api.resolve_username(PUBLIC)
        timings: dict[str, list[float]] = {
            "user_stories": [],
            "user_posts": [],
            "keep_alive": [],
        }
        for _ in range(20):
            for name, call in (
                ("user_stories", lambda: api.user_stories(target.pk)),
                ("user_posts", lambda: api.user_posts(target.pk)),
                ("keep_alive", api.keep_alive),
            ):
                started = time.perf_counter()
                call()
                timings[name].append(time.perf_counter() - started)
        print(f"adapter: fresh_login_ms={login * 1000:.0f}", end="")
        for name, values in timings.items():
            median = statistics.median(values) * 1000
            print(f" {name}_median_ms={median:.1f}", end="")
        print()


#: Target counts of the simulated week.
SIMULATED_TARGETS = (10, 50, 100, 250, 400)


#: The simulated week measures the scheduler: the account-safety pacing
#: (warm-up, active hours, per-target cap) stays off so its figures compare.
SAFETY_PACING_OFF = {
    CONF_WARMUP_DAYS: 0,
    CONF_ACTIVE_START: 0,
    CONF_ACTIVE_END: 0,
    CONF_MAX_LIKES_TARGET_CYCLE: 50,
}


def bench_simulate(counts: tuple[int, ...] = SIMULATED_TARGETS, seed: int = 1) -> None:
    """A simulated week per target count; the `simulate:` lines come last.

    `seed` draws the media schedule and the jitter: one seed gives the same
    figures every run.
    """
    from tests.bench.sim import SimConfig, simulate  # noqa: PLC0415 - heavy import

    results = []
    for count in counts:
        config = SimConfig(targets=count, seed=seed, options=dict(SAFETY_PACING_OFF))
        result = simulate(config)
        print(result.details(), flush=True)
        results.append(result)
    for result in results:
        print(result.line())


#: Followed-account counts of the simulated follow-mode week.
SIMULATED_FOLLOWED = (200, 500, 1000)


def bench_simulate_follow(
    counts: tuple[int, ...] = SIMULATED_FOLLOWED, *, pacing: bool = False
) -> None:
    """A simulated follow-mode week per followed-account count, one line each.

    With `pacing`, the default options (warm-up, active hours, 3 likes per
    account and cycle) instead of `SAFETY_PACING_OFF`.
    """
    from tests.bench.sim_follow import simulate_follow  # noqa: PLC0415 - heavy

    options = {} if pacing else SAFETY_PACING_OFF
    for count in counts:
        print(simulate_follow(count, dict(options)).line(), flush=True)


def main(argv: list[str]) -> None:
    """
    `--simulate [--seed S] [N ...]`: a simulated week (seed 1 unless given);
    `--safety [days targets]`: a month.

    `--safety` runs the silent-block scenario (`--silent`: only that) and the
    soft-throttle one (`--pace`: only that) first, so its last line stays the
    month's `safety:` line.
    """
    if argv[:1] == ["--pace"]:
        from tests.bench.pace import bench_pace  # noqa: PLC0415 - heavy import

        bench_pace()
        return
    if argv[:1] in (["--safety"], ["--silent"]):
        from tests.bench.pace import bench_pace  # noqa: PLC0415 - heavy import
        from tests.bench.safety import bench_safety  # noqa: PLC0415 - heavy import
        from tests.bench.silent import bench_silent  # noqa: PLC0415 - heavy import

        bench_silent()
        if argv[0] == "--safety":
            bench_pace()
            bench_safety(*(int(value) for value in argv[1:3]))
        return
    if argv[:2] == ["--simulate", "--follow"]:
        pacing = argv[2:3] == ["--pacing"]
        counts = tuple(int(value) for value in argv[2 + pacing :])
        bench_simulate_follow(counts or SIMULATED_FOLLOWED, pacing=pacing)
        return
    if argv[:1] == ["--chaos"]:
        from tests.bench.chaos import bench_chaos  # noqa: PLC0415 - heavy import

        days = float(argv[1]) if len(argv) > 1 else 7.0
        seed = int(argv[2]) if len(argv) > 2 else 1
        bench_chaos(days, seed)
        return
    if argv[:1] == ["--simulate"]:
        seed = int(argv[2]) if argv[1:2] == ["--seed"] else 1
        rest = argv[3:] if argv[1:2] == ["--seed"] else argv[1:]
        counts = tuple(int(value) for value in rest) or SIMULATED_TARGETS
        bench_simulate(counts, seed)
        return
    bench_store()
    bench_limiter()
    bench_adapter()


if __name__ == "__main__":
    main(sys.argv[1:])
