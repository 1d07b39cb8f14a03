"""
A simulated week of follow mode: everyone the account follows, with ads and suggestions.

As `sim.py` (the real integration, instagrapi and the emulator; only the clock is
simulated), but the entry has no chosen targets: the options say `like_mode:
following` and name a few excluded accounts. Each followed account publishes
stories and posts (Poisson, waking hours). Before the start, each had one post
(its backlog, never to be liked). Each day the home feed gains an ad, a suggested
post, a suggested reel and a suggested-accounts unit, and an account the user does
not follow posts. None of those may be liked.

    result = simulate_follow(500)      # blocking; starts the emulator
    print(result.line())               # the `simulate: mode=follow N=...` line
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from unittest.mock import patch
from zoneinfo import ZoneInfo

from custom_components.ig_autoliker.const import DOMAIN
from custom_components.ig_autoliker.coordinator import IgAutolikerCoordinator
from custom_components.ig_autoliker.engine.hours import is_active_hour
from custom_components.ig_autoliker.engine.safety import SafetyPolicy
from custom_components.ig_autoliker.options import (
    limits_from_options,
    options_of,
    safety_settings_from_options,
)
from homeassistant import loader
from homeassistant.const import CONF_USERNAME
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_test_home_assistant,
)

from tests.bench.sim import (
    DAY,
    HOUR,
    KEEP_ALIVE_CHECK,
    START,
    SimConfig,
    _environment,
    _fake_sleep,
    _max_in_window,
    _Simulation,
    build_world,
    seeded_jitter,
    target_name,
)
from tests.sandbox import Sandbox, World
from tests.sandbox.testworld import ALICE

if TYPE_CHECKING:
    from datetime import tzinfo

    from custom_components.ig_autoliker.engine.ratelimit import Limits
    from custom_components.ig_autoliker.engine.safety import SafetySettings
    from homeassistant.core import HomeAssistant

#: Followed accounts that the options exclude (the first ones), count.
EXCLUDED = 5
#: Full days judged for the daily use: days 2..7 (day 1 starts with nothing
#: liked, the 8th lets the last media expire).
FULL_DAYS = 6


@dataclass
class FollowResult:
    """
    The figures of one follow-mode week.

    Attributes:
        followed: Followed accounts, count.
        likes: Likes sent in the whole run.
        requests: Requests sent in the whole run (login included).
        liked_foreign: Likes of an ad, a suggested post or reel, an excluded or
            an unfollowed account's media: must be 0.
        liked_old: Likes of media published before the start (baseline): 0.
        max_likes_hour / max_likes_day / max_req_hour: Busiest sliding window.
        daily_limits: (lowest, highest) effective daily limit of the full days
            2..7 (`effective_day_limits`).
        supply_days: Of those days, how many published more than their
            effective daily limit (the days the use is judged on).
        daily_use_min / daily_use_mean: Likes per calendar day, percent of that
            day's effective daily limit, over the `supply_days` (None: no day
            had that much supply).
        outside_hours: Likes sent outside the active hours: must be 0.
        supply_per_day: Followed media published per day (excluded left out).
        stories_in_time: Share of the stories liked before they expired, percent.
        limits: (likes per hour, likes per day, requests per hour).
        wall_seconds: Real time the run took.

    """

    followed: int
    likes: int
    requests: int
    liked_foreign: int
    liked_old: int
    max_likes_hour: int
    max_likes_day: int
    max_req_hour: int
    daily_limits: tuple[int, int]
    supply_days: int
    daily_use_min: float | None
    daily_use_mean: float | None
    outside_hours: int
    supply_per_day: float
    stories_in_time: float
    limits: tuple[int, int, int]
    wall_seconds: float

    def line(self) -> str:
        """The benchmark's line for this N (README "Follow mode")."""
        low, high = self.daily_limits
        limit = str(low) if low == high else f"{low}-{high}"
        return (
            f"simulate: mode=follow N={self.followed} likes={self.likes} "
            f"requests_per_like={self.requests / max(self.likes, 1):.2f} "
            f"liked_foreign={self.liked_foreign} liked_old={self.liked_old} "
            f"outside_hours={self.outside_hours} "
            f"effective_daily_limit={limit} "
            f"supply_days={self.supply_days}/{FULL_DAYS} "
            f"daily_use_min={_percent(self.daily_use_min)} "
            f"daily_use_mean={_percent(self.daily_use_mean)} "
            f"max_likes_hour={self.max_likes_hour} "
            f"max_likes_day={self.max_likes_day} "
            f"max_req_hour={self.max_req_hour} "
            f"stories_in_time={self.stories_in_time:.1f} "
            f"supply_per_day={self.supply_per_day:.0f} "
            f"wall_s={self.wall_seconds:.0f}"
        )


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"


def effective_day_limits(
    options: dict[str, Any], start: float, tz: tzinfo
) -> list[int]:
    """
    The most likes each full day (2..7) allowed: its effective daily limit.

    The smaller of the likes-per-day limit and the hourly limit summed over the
    day's active hours, both scaled by the warm-up share (it starts with the
    entry at `start`; taken at the end of the day or hour: the most it allowed).
    The adaptive pace is not counted: the week has no warning that would slow it.
    """
    settings = safety_settings_from_options(options)
    limits = limits_from_options(options)
    result = []
    for day in range(1, FULL_DAYS + 1):
        opens = start + day * DAY
        hourly = 0
        for hour in range(24):
            local = datetime.fromtimestamp(opens + hour * HOUR, tz)
            if is_active_hour(settings, local):
                end = opens + (hour + 1) * HOUR
                hourly += _effective(settings, limits, start, end).max_likes_per_hour
        daily = _effective(settings, limits, start, opens + DAY).max_likes_per_day
        result.append(min(daily, hourly))
    return result


def _effective(
    settings: SafetySettings, limits: Limits, start: float, at: float
) -> Limits:
    policy = SafetyPolicy(settings, lambda: at, warmup_from=start)
    return policy.effective_limits(limits)


class _Feed:
    """Each simulated day: an ad, suggestions, and a stranger's post."""

    def __init__(self, start: float) -> None:
        self.day = -1
        self.start = start
        self.foreign: set[int] = set()

    def tick(self, world: World, now: float) -> None:
        day = int((now - self.start) // DAY)
        if day == self.day:
            return
        self.day = day
        viewer = ALICE.username
        ads = world.add_timeline_ad(viewer, f"sim_brand_{day}", position=3)
        post = world.add_suggested_post(viewer, f"sim_viral_{day}", position=6)
        reel = world.add_suggested_post(viewer, f"sim_clips_{day}", kind="reel")
        world.add_suggested_users(viewer, (f"sim_stranger_{day}",), position=9)
        stranger = world.add_post(f"sim_stranger_{day}", "photo")
        self.foreign |= {ads.pk, post.pk, reel.pk, stranger.pk}


def _entry(world: World, options: dict[str, Any]) -> MockConfigEntry:
    alice = world.user(ALICE.username)
    assert alice is not None
    return MockConfigEntry(
        domain=DOMAIN,
        title=ALICE.username,
        unique_id=str(alice.pk),
        data={CONF_USERNAME: ALICE.username, "password": ALICE.password},
        options=options,
    )


async def _async_run(hass: HomeAssistant, sim: _Simulation) -> None:
    entry = _entry(sim.world, dict(sim.config.options))
    entry.add_to_hass(hass)
    with patch("custom_components.ig_autoliker.async_call_later"):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
    coordinator: IgAutolikerCoordinator = entry.runtime_data
    while sim.now < sim.end:
        await coordinator.async_refresh()
        while sim.now < min(coordinator.engine.next_cycle_at, sim.end):
            sim.advance(
                min(KEEP_ALIVE_CHECK, coordinator.engine.next_cycle_at - sim.now)
            )
            await coordinator.async_keep_alive()
    await hass.config_entries.async_unload(entry.entry_id)


def _judge(sim: _Simulation, old: set[int], wall: float) -> FollowResult:
    config, world = sim.config, sim.world
    alice = world.user(ALICE.username)
    assert alice is not None
    likes = [like for like in world.likes if like.viewer_pk == alice.pk]
    excluded = {name.lstrip("@") for name in config.options["excluded_accounts"]}
    allowed = {pk for pk, pub in sim.published.items() if pub.target not in excluded}
    liked = {like.media_pk for like in likes}
    options = options_of(config.options)
    limits = limits_from_options(options)
    tz = ZoneInfo(config.time_zone)
    caps = effective_day_limits(options, sim.start, tz)
    use = []
    for day, cap in enumerate(caps, start=1):
        opens, closes = sim.start + day * DAY, sim.start + (day + 1) * DAY
        supply = sum(opens <= sim.published[pk].at < closes for pk in allowed)
        if supply > cap:
            liked_that_day = sum(opens <= like.at < closes for like in likes)
            use.append(100.0 * liked_that_day / cap)
    settings = safety_settings_from_options(options)
    outside = sum(
        not is_active_hour(settings, datetime.fromtimestamp(like.at, tz))
        for like in likes
    )
    judged_until = sim.start + config.days * DAY
    stories = [
        (pk, pub)
        for pk, pub in sim.published.items()
        if pub.kind == "story" and pub.at < judged_until and pk in allowed
    ]
    liked_at = {like.media_pk: like.at for like in likes}
    in_time = sum(pk in liked_at and liked_at[pk] - pub.at < DAY for pk, pub in stories)
    requests = world.requests()
    return FollowResult(
        followed=config.targets,
        likes=len(likes),
        requests=len(requests),
        liked_foreign=len(liked - allowed - old),
        liked_old=len(liked & old),
        max_likes_hour=_max_in_window([like.at for like in likes], HOUR),
        max_likes_day=_max_in_window([like.at for like in likes], DAY),
        max_req_hour=_max_in_window([r.at for r in requests], HOUR),
        daily_limits=(min(caps), max(caps)),
        supply_days=len(use),
        daily_use_min=min(use) if use else None,
        daily_use_mean=statistics.fmean(use) if use else None,
        outside_hours=outside,
        supply_per_day=len(allowed) / (config.days + 1),
        stories_in_time=100.0 * in_time / len(stories) if stories else 100.0,
        limits=(
            limits.max_likes_per_hour,
            limits.max_likes_per_day,
            limits.max_requests_per_hour,
        ),
        wall_seconds=wall,
    )


async def async_simulate_follow(config: SimConfig) -> FollowResult:
    """Run one follow-mode week in a test Home Assistant (module docstring)."""
    started = time.perf_counter()
    world = build_world(config)
    start = START
    feed = _Feed(start)
    sim = _Simulation(config, world, start)
    sim.config = SimConfig(**{**config.__dict__, "on_tick": feed.tick})
    world.clock.set(start)
    old = {
        world.add_post(target_name(n), "photo", age=2 * DAY).pk
        for n in range(config.targets)
    }
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
    return _judge(sim, old, time.perf_counter() - started)


def simulate_follow(followed: int, options: dict[str, Any]) -> FollowResult:
    """Run one follow-mode week (blocking) with `options` plus follow mode."""
    excluded = [target_name(n) for n in range(EXCLUDED)]
    config = SimConfig(
        targets=followed,
        options={
            **options,
            "like_mode": "following",
            "excluded_accounts": [f"@{name}" for name in excluded],
        },
    )
    return asyncio.run(async_simulate_follow(config))
