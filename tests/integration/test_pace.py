"""Adaptive pace and account health, as Home Assistant shows them.

Instagram's warnings (HTTP 429, dropped likes) slow the account: the "Pace" sensor
drops, the hourly like limit with it, the pauses between requests grow, and "Account
health" says why. A day of quiet brings full pace back.
"""

from __future__ import annotations

import json
from itertools import pairwise

from custom_components.ig_autoliker.diagnostics import (
    async_get_config_entry_diagnostics,
)
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from tests.sandbox import World
from tests.sandbox.faults import Fault

from .conftest import FakeClock, run_cycle
from .test_controls import entity_id
from .test_silent_block import block_mid_run, silent_notice

HOUR = 3600.0
#: The options' default pause between requests and its jitter (spec 8.2).
REQUEST_DELAY, JITTER = 2.0, 0.30


def shown(hass: HomeAssistant, entry: MockConfigEntry, key: str) -> tuple[str, dict]:
    state = hass.states.get(entity_id(hass, "sensor", f"{entry.unique_id}_{key}"))
    assert state is not None
    return state.state, dict(state.attributes)


def request_gaps(world: World, since: float) -> list[float]:
    """Seconds between the paced calls Instagram received from `since` on.

    A call that takes several HTTP requests (a story's view and its like) sends them
    at once: only the pause before each call is paced, so equal times count once.
    """
    times = sorted({r.at for r in world.requests("*") if r.at >= since})
    return [later - earlier for earlier, later in pairwise(times)]


async def test_without_warnings_health_is_good_and_pace_full(
    hass: HomeAssistant, setup_integration: MockConfigEntry, world: World
) -> None:
    await run_cycle(hass, setup_integration)
    assert world.likes
    health, reasons = shown(hass, setup_integration, "account_health")
    assert health == "good"
    assert reasons["dropped_like"] == 0
    assert reasons["pace"] == 100
    assert shown(hass, setup_integration, "pace")[0] == "100"
    assert shown(hass, setup_integration, "effective_likes_per_hour")[0] == "40"


async def test_a_rate_limit_slows_requests_and_the_hourly_limit(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    clock: FakeClock,
) -> None:
    world.faults.add("feed/user/*/", Fault.HTTP_429)
    await run_cycle(hass, setup_integration)

    health, reasons = shown(hass, setup_integration, "account_health")
    assert health == "caution"
    assert reasons["rate_limited"] == 1
    assert shown(hass, setup_integration, "pace")[0] == "70"
    assert shown(hass, setup_integration, "effective_likes_per_hour")[0] == "28"

    clock.advance(HOUR / 2)  # the backoff is over, the grace of the pace is not
    since = clock.now
    await run_cycle(hass, setup_integration)
    gaps = request_gaps(world, since)
    assert gaps
    # Every pause is the options' pause (at least 1.4 s with its jitter) / 0.7.
    assert min(gaps) >= REQUEST_DELAY * (1 - JITTER) / 0.7 - 1e-6

    clock.advance(24 * HOUR)  # a day of quiet
    await run_cycle(hass, setup_integration)
    assert shown(hass, setup_integration, "pace")[0] == "100"
    assert shown(hass, setup_integration, "effective_likes_per_hour")[0] == "40"


async def test_a_silent_block_shows_as_blocked_with_its_dropped_likes(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    clock: FakeClock,
) -> None:
    dropped, _fresh = await block_mid_run(hass, setup_integration, world, clock)

    health, reasons = shown(hass, setup_integration, "account_health")
    assert health == "blocked"
    assert reasons["dropped_like"] == len(dropped)
    assert reasons["pace"] == int(shown(hass, setup_integration, "pace")[0]) < 50
    assert silent_notice(hass, setup_integration) is not None

    diagnostics = await async_get_config_entry_diagnostics(hass, setup_integration)
    pace = diagnostics["pace"]
    assert pace["health"] == "blocked"
    kinds = [warning["kind"] for warning in pace["recent_warnings"]]
    assert kinds == ["dropped_like"] * len(dropped)
    assert all(w["at"].endswith("+00:00") for w in pace["recent_warnings"])
    assert "password" not in json.dumps(pace)
