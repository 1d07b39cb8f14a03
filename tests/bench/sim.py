"""
A simulated week (or month) of liking: the real integration against the emulator.

The real coordinator, planner, limiter and instagrapi run against the emulator in
`tests/sandbox`; only the clock is simulated. Every pause of the coordinator
(`_sleep`) moves a fake clock instead of waiting, so a week takes minutes. While the
clock moves, the targets publish stories (Poisson, in waking hours) and posts, and
the scheduler sees them exactly when they appear.

API (used by `scripts/benchmark --simulate` and the safety benchmark):

    config = SimConfig(targets=100, days=7)            # everything has a default
    result = simulate(config)                          # blocking; starts the emulator
    print(result.line())                               # the `simulate: N=...` line

    # Hooks, to inject trouble or watch each step:
    SimConfig(..., on_tick=lambda world, now: ...)    # after every clock move
    SimConfig(..., options={CONF_MAX_LIKES_HOUR: 30})  # integration options

`SimResult` holds every figure (see its docstring); `result.world` is the emulator's
world afterwards (its `likes` and `requests()` log) for further checks.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from unittest.mock import patch

from custom_components.ig_autoliker.const import (
    CONF_TARGET_PK,
    DOMAIN,
    EVENT_ACTION_BLOCKED,
    SUBENTRY_TYPE_TARGET,
)
from custom_components.ig_autoliker.coordinator import IgAutolikerCoordinator
from custom_components.ig_autoliker.engine.engine import Engine, restore_limits
from custom_components.ig_autoliker.engine.planner import (
    POST_POLL_CEILING,
    STORY_LIFETIME,
)
from custom_components.ig_autoliker.options import (
    cycle_interval,
    limits_from_options,
    options_of,
)
from homeassistant import loader
from homeassistant.const import CONF_USERNAME
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_test_home_assistant,
)

from tests.sandbox import Sandbox, World
from tests.sandbox.testworld import ALICE

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

HOUR = 3600.0
DAY = 86400.0
#: Where every simulated week starts: a fixed midnight (UTC), never the wall clock,
#: so that a week (with its seeded jitter, `seeded_jitter`) replays alike.
START = 1_800_000_000.0 // DAY * DAY
#: The module that builds the engine (patched by `seeded_jitter`).
COORDINATOR = IgAutolikerCoordinator.__module__
#: Keep-alive timer period in `__init__.py` (the interval itself is an option).
KEEP_ALIVE_CHECK = 300.0
#: Requests per target and day in the capacity estimate, besides the post polls:
#: a story costs a feed fetch and a like of two requests, a post a like of one.
STORY_REQUESTS = 1 + 2
POST_REQUESTS = 1


@dataclass(frozen=True)
class SimConfig:
    """
    What to simulate.

    Attributes:
        targets: Number of target accounts (all followed by the account).
        days: Days in which media are published and judged; one more day runs
            on so that the last ones can expire or be liked.
        stories_per_day: Mean stories per target and day (Poisson, waking hours).
        posts_per_day: Mean posts per target and day (Poisson, waking hours).
        waking: Hours of the day (UTC) in which targets publish, [start, end).
        seed: Seed of the media schedule and of the engine's jitter.
        options: Integration options (limits, interval); defaults otherwise.
        on_tick: Called as `on_tick(world, now)` after every move of the clock
            (inject faults, freeze the account...).
        prepare: Called as `prepare(world, start)` before the entry is set up
            (media published before the targets were added...).
        subentry_data: Extra data of every target subentry (e.g. the backlog
            choice of the target form; without it a target is not baselined).
        time_zone: Home Assistant's time zone (active hours are local).

    """

    targets: int
    days: float = 7.0
    stories_per_day: float = 2.0
    posts_per_day: float = 0.5
    waking: tuple[float, float] = (7.0, 23.0)
    seed: int = 1
    options: dict[str, Any] = field(default_factory=dict)
    on_tick: Callable[[World, float], None] | None = None
    prepare: Callable[[World, float], None] | None = None
    subentry_data: dict[str, Any] = field(default_factory=dict)
    time_zone: str = "UTC"


@dataclass
class SimResult:
    """
    The figures of one simulation.

    Attributes:
        config: What was simulated.
        stories / posts: Media published in the judged days, count.
        stories_in_time: Share of those stories liked before they expired, percent.
        posts_in_24h: Share of those posts liked within 24 h, percent.
        latency_median / latency_max: Publish-to-like seconds over liked media.
        max_req_hour / max_likes_hour / max_likes_day: Busiest sliding window.
        starved: Targets whose feeds were never fetched.
        max_poll_gap: Longest time a target's post feed went unfetched, seconds.
        target_share_min / target_share_median: Per target, the share of its
            judged media liked in time (stories before expiry, posts within
            24 h), percent: the worst target and the median one (fairness).
        capacity: Targets the default-like figures say the limits can cover.
        requests_per_like: Every request sent / every like of the account.
        wall_seconds: Real time the simulation took.
        world: The emulator's world afterwards.
        blocked: Every `ig_autoliker_action_blocked` event: (simulated Unix
            seconds it fired, its data).

    """

    config: SimConfig
    stories: int
    posts: int
    stories_in_time: float
    posts_in_24h: float
    latency_median: float
    latency_max: float
    max_req_hour: int
    max_likes_hour: int
    max_likes_day: int
    starved: int
    max_poll_gap: float
    target_share_min: float
    target_share_median: float
    capacity: int
    requests_per_like: float
    wall_seconds: float
    world: World
    blocked: list[tuple[float, dict[str, Any]]] = field(default_factory=list)

    def line(self) -> str:
        """The benchmark's last line for this N (format: README "Benchmarks")."""
        return (
            f"simulate: N={self.config.targets} "
            f"stories_in_time={self.stories_in_time:.1f} "
            f"posts_in_24h={self.posts_in_24h:.1f} "
            f"max_req_hour={self.max_req_hour} "
            f"max_likes_hour={self.max_likes_hour} "
            f"max_likes_day={self.max_likes_day} "
            f"starved={self.starved} "
            f"latency_median_min={self.latency_median / 60:.1f} "
            f"worst_share={self.target_share_min:.1f} "
            f"requests_per_like={self.requests_per_like:.2f} "
            "mode=targets"
        )

    def details(self) -> str:
        """Every other figure, one line."""
        return (
            f"sim-detail: N={self.config.targets} stories={self.stories} "
            f"posts={self.posts} latency_median_min={self.latency_median / 60:.1f} "
            f"latency_max_h={self.latency_max / 3600:.1f} "
            f"max_post_poll_gap_h={self.max_poll_gap / 3600:.1f} "
            f"target_share_min={self.target_share_min:.1f} "
            f"target_share_median={self.target_share_median:.1f} "
            f"capacity_targets={self.capacity} wall_s={self.wall_seconds:.0f}"
        )


@dataclass(frozen=True, order=True)
class _Publication:
    at: float
    target: str
    kind: str


def schedule(config: SimConfig, start: float) -> list[_Publication]:
    """Poisson publication times of every target's stories and posts, sorted."""
    rng = random.Random(config.seed)
    first, last = config.waking
    waking_hours = last - first
    publications = []
    for index in range(config.targets):
        name = target_name(index)
        for kind, per_day in (
            ("story", config.stories_per_day),
            ("photo", config.posts_per_day),
        ):
            rate = per_day / (waking_hours * HOUR)  # per waking second
            waking_time = rng.expovariate(rate)
            while True:
                day, into = divmod(waking_time, waking_hours * HOUR)
                at = start + day * DAY + first * HOUR + into
                if at >= start + (config.days + 1) * DAY:
                    break
                publications.append(_Publication(at, name, kind))
                waking_time += rng.expovariate(rate)
    return sorted(publications)


def target_name(index: int) -> str:
    """Username of the simulated target number `index`."""
    return f"sim_target_{index:04d}"


def capacity(options: dict[str, Any], config: SimConfig) -> int:
    """
    Targets the limits can cover at the configured posting rates.

    The smallest of: likes per day, likes per hour spread over 24 h (stories
    live 24 h, so a backlog rolls over), and requests per hour with the post
    feeds polled at the 6 h ceiling plus one tray request an hour.
    """
    likes_per_target = config.stories_per_day + config.posts_per_day
    polls = DAY / POST_POLL_CEILING
    requests_per_target = (
        config.stories_per_day * STORY_REQUESTS
        + config.posts_per_day * POST_REQUESTS
        + polls
    )
    limits = limits_from_options(options)
    trays = DAY / cycle_interval(options)
    return math.floor(
        min(
            limits.max_likes_per_day / likes_per_target,
            limits.max_likes_per_hour * 24 / likes_per_target,
            (limits.max_requests_per_hour * 24 - trays) / requests_per_target,
        )
    )


def _max_in_window(stamps: list[float], window: float) -> int:
    """Most events in any sliding window of `window` seconds."""
    stamps = sorted(stamps)
    best = start = 0
    for end, stamp in enumerate(stamps):
        while stamps[start] + window <= stamp:
            start += 1
        best = max(best, end - start + 1)
    return best


class _Simulation:
    """One run: the world, the clock, the publications not yet out."""

    def __init__(self, config: SimConfig, world: World, start: float) -> None:
        self.config = config
        self.world = world
        self.now = start
        self.start = start
        self.end = start + (config.days + 1) * DAY
        self.pending: Iterator[_Publication] = iter(schedule(config, start))
        self.next: _Publication | None = next(self.pending, None)
        self.published: dict[int, _Publication] = {}
        self.blocked: list[tuple[float, dict[str, Any]]] = []

    def time(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock; publish what is due on the way, at its own time."""
        target = self.now + max(0.0, seconds)
        while self.next is not None and self.next.at <= target:
            publication = self.next
            self.world.clock.set(publication.at)
            if publication.kind == "story":
                media = self.world.add_story(publication.target)
            else:
                media = self.world.add_post(publication.target, "photo")
            self.published[media.pk] = publication
            self.next = next(self.pending, None)
        self.now = target
        self.world.clock.set(target)
        if self.config.on_tick is not None:
            self.config.on_tick(self.world, self.now)


def build_world(config: SimConfig) -> World:
    """The account (Alice) and `config.targets` followed targets, no media yet."""
    world = World()
    world.add_account(ALICE.username, ALICE.password, full_name="Alice Example")
    for index in range(config.targets):
        world.add_target(target_name(index), followed_by=(ALICE.username,))
    return world


def _entry(world: World, config: SimConfig) -> MockConfigEntry:
    alice = world.user(ALICE.username)
    assert alice is not None
    subentries = []
    for index in range(config.targets):
        user = world.user(target_name(index))
        assert user is not None
        subentries.append(
            {
                "data": {
                    CONF_USERNAME: user.username,
                    CONF_TARGET_PK: str(user.pk),
                    **config.subentry_data,
                },
                "subentry_type": SUBENTRY_TYPE_TARGET,
                "title": user.username,
                "unique_id": str(user.pk),
            }
        )
    return MockConfigEntry(
        domain=DOMAIN,
        title=ALICE.username,
        unique_id=str(alice.pk),
        data={CONF_USERNAME: ALICE.username, "password": ALICE.password},
        options=dict(config.options),
        subentries_data=subentries,  # type: ignore[arg-type]
    )


async def _async_run(hass: HomeAssistant, sim: _Simulation) -> None:
    """Set the entry up and run cycles and keep-alives until the end."""
    entry = _entry(sim.world, sim.config)
    entry.add_to_hass(hass)
    with patch("custom_components.ig_autoliker.async_call_later"):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
    coordinator: IgAutolikerCoordinator = entry.runtime_data
    hass.bus.async_listen(
        EVENT_ACTION_BLOCKED,
        lambda event: sim.blocked.append((sim.now, dict(event.data))),
    )
    while sim.now < sim.end:
        await coordinator.async_refresh()
        while sim.now < min(coordinator.engine.next_cycle_at, sim.end):
            sim.advance(
                min(KEEP_ALIVE_CHECK, coordinator.engine.next_cycle_at - sim.now)
            )
            await coordinator.async_keep_alive()
    await hass.config_entries.async_unload(entry.entry_id)


def _judge(sim: _Simulation, config: SimConfig, wall: float) -> SimResult:
    world = sim.world
    alice = world.user(ALICE.username)
    assert alice is not None
    liked_at = {
        like.media_pk: like.at for like in world.likes if like.viewer_pk == alice.pk
    }
    judged_until = sim.start + config.days * DAY
    stories = posts = stories_ok = posts_ok = 0
    latencies = []
    per_target: dict[str, list[bool]] = {}
    for pk, publication in sim.published.items():
        if (when := liked_at.get(pk)) is not None:
            latencies.append(when - publication.at)
        if publication.at >= judged_until:
            continue
        in_time = when is not None and when - publication.at < STORY_LIFETIME
        per_target.setdefault(publication.target, []).append(in_time)
        if publication.kind == "story":
            stories += 1
            stories_ok += in_time
        else:
            posts += 1
            posts_ok += in_time
    requests = world.requests()
    polls: dict[str, list[float]] = {}
    for record in requests:
        parts = record.endpoint.split("/")
        if record.endpoint.startswith("feed/user/") and len(parts) == 4:
            polls.setdefault(parts[2], []).append(record.at)
    gaps = [
        max(b - a for a, b in zip([sim.start, *times], [*times, sim.end], strict=True))
        for times in polls.values()
    ]
    visited = {
        record.endpoint.split("/")[2]
        for record in requests
        if record.endpoint.startswith("feed/user/")
    }
    options = options_of(config.options)
    like_times = list(liked_at.values())
    shares = [100.0 * sum(ok) / len(ok) for ok in per_target.values()] or [100.0]
    return SimResult(
        config=config,
        stories=stories,
        posts=posts,
        stories_in_time=100.0 * stories_ok / stories if stories else 100.0,
        posts_in_24h=100.0 * posts_ok / posts if posts else 100.0,
        latency_median=statistics.median(latencies) if latencies else 0.0,
        latency_max=max(latencies, default=0.0),
        max_req_hour=_max_in_window([r.at for r in requests], HOUR),
        max_likes_hour=_max_in_window(like_times, HOUR),
        max_likes_day=_max_in_window(like_times, DAY),
        starved=config.targets - len(visited),
        max_poll_gap=max(gaps, default=sim.end - sim.start),
        target_share_min=min(shares),
        target_share_median=statistics.median(shares),
        capacity=capacity(options, config),
        requests_per_like=len(requests) / len(like_times) if like_times else 0.0,
        wall_seconds=wall,
        world=world,
        blocked=sim.blocked,
    )


async def async_simulate(config: SimConfig) -> SimResult:
    """Run one simulation in a test Home Assistant (see the module docstring)."""
    started = time.perf_counter()
    world = build_world(config)
    start = START
    sim = _Simulation(config, world, start)
    world.clock.set(start)
    if config.prepare is not None:
        config.prepare(world, start)
    with (
        Sandbox(world) as sandbox,
        _environment(sandbox.env()),
        tempfile.TemporaryDirectory(prefix="ig-sim-") as config_dir,
    ):
        async with async_test_home_assistant(config_dir=config_dir) as hass:
            hass.data.pop(loader.DATA_CUSTOM_COMPONENTS)  # load custom_components/
            await hass.config.async_set_time_zone(config.time_zone)
            with (
                patch.object(IgAutolikerCoordinator, "_now", staticmethod(sim.time)),
                patch.object(IgAutolikerCoordinator, "_sleep", _fake_sleep(sim)),
                seeded_jitter(config.seed),
            ):
                await _async_run(hass, sim)
            await hass.async_stop(force=True)
    return _judge(sim, config, time.perf_counter() - started)


@contextlib.contextmanager
def seeded_jitter(seed: int) -> Iterator[None]:
    """Seed the jitter of the engine's pauses and cycle starts with `seed`.

    The coordinator builds its rate limiter (`restore_limits`) and its engine
    with OS-seeded jitter; within this, each coordinator built (one per setup or
    restart) gives both one `random.Random(seed)`, so the same week makes the
    same choices every run.
    """
    drawn: list[random.Random] = []

    def limits(*args: Any, **kwargs: Any) -> Any:
        drawn.append(random.Random(seed))
        return restore_limits(*args, rng=drawn[-1], **kwargs)

    def engine(*args: Any, **kwargs: Any) -> Engine:
        return Engine(*args, rng=drawn[-1], **kwargs)

    with (
        patch(f"{COORDINATOR}.restore_limits", limits),
        patch(f"{COORDINATOR}.Engine", engine),
    ):
        yield


def _fake_sleep(sim: _Simulation) -> Callable[[Any, float], Any]:
    async def _sleep(_self: IgAutolikerCoordinator, seconds: float) -> None:
        sim.advance(seconds)

    return _sleep


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """Route instagrapi through the emulator's proxy, as the tests do."""
    import os  # noqa: PLC0415 - only the simulation touches the environment

    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def simulate(config: SimConfig) -> SimResult:
    """Run one simulation to its end (blocking); see the module docstring."""
    return asyncio.run(async_simulate(config))
