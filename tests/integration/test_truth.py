"""The truth on the dashboard: what "Session health" and the flows show after faults."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from unittest.mock import patch

import pytest
from custom_components.ig_autoliker.const import CONF_WARMUP_DAYS, DOMAIN
from custom_components.ig_autoliker.engine.events import SessionHealth
from custom_components.ig_autoliker.engine.ratelimit import Limits
from custom_components.ig_autoliker.executor import ExecutorJobs
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.translation import async_get_translations
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from tests.sandbox import Fault, World
from tests.sandbox.testworld import ALICE

from .conftest import SAFETY_OFF, FakeClock, flow_sources, run_cycle
from .test_cycle import coordinator_of

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

BLOCK = "binary_sensor.alice_instagram_block"
BACKOFF = "binary_sensor.alice_backoff"
RATE = "sensor.alice_rate_limit_state"


async def test_reauth_is_shown_at_once(
    hass: HomeAssistant, setup_integration: MockConfigEntry, world: World
) -> None:
    """The password changed elsewhere: "Session health" says so while reauth waits."""
    await run_cycle(hass, setup_integration)
    world.user(ALICE.username).password = "changed-elsewhere"
    world.revoke_sessions(ALICE.username)

    await run_cycle(hass, setup_integration)

    state = hass.states.get("sensor.alice_session_health")
    assert state is not None
    assert state.state == SessionHealth.REAUTH_REQUIRED.value


async def test_login_required_logs_in_afresh_with_the_saved_device(
    hass: HomeAssistant, setup_integration: MockConfigEntry, world: World
) -> None:
    """Two login_required in a row: a fresh password login, same phone, no prompt."""
    coordinator = coordinator_of(setup_integration)
    device = dict(coordinator.stored.session["uuids"])  # type: ignore[index]
    sessions = len(world.sessions_of(ALICE.username))
    world.faults.add("feed/user/*/", Fault.LOGIN_REQUIRED, times=2)

    await run_cycle(hass, setup_integration)  # refused again right after: "error"
    assert coordinator.engine.session.health is SessionHealth.ERROR
    await run_cycle(hass, setup_integration)

    assert coordinator.engine.session.health is SessionHealth.HEALTHY
    assert len(world.sessions_of(ALICE.username)) == sessions + 1
    assert coordinator.stored.session is not None
    assert coordinator.stored.session["uuids"] == device
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)


async def test_keep_alive_relogin_refused_shows_error_and_never_asks(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    clock: FakeClock,
) -> None:
    """The password works but Instagram refuses every session: "error", no prompt."""
    world.faults.add("accounts/current_user/", Fault.LOGIN_REQUIRED, times=None)
    clock.advance(31 * 60)

    await coordinator_of(setup_integration).async_keep_alive()
    await hass.async_block_till_done()

    state = hass.states.get("sensor.alice_session_health")
    assert state is not None
    assert state.state == SessionHealth.ERROR.value
    assert SOURCE_REAUTH not in flow_sources(hass)


async def test_keep_alive_relogin_throttled_backs_off(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    clock: FakeClock,
) -> None:
    world.faults.add("accounts/current_user/", Fault.LOGIN_REQUIRED)
    world.faults.add("bloks/*", Fault.HTTP_429, retry_after=600)
    clock.advance(31 * 60)

    await coordinator_of(setup_integration).async_keep_alive()

    coordinator = coordinator_of(setup_integration)
    assert coordinator.data.rate_limit_state == "backoff"
    assert coordinator.data.backoff_until is not None
    assert coordinator.data.backoff_until.timestamp() >= clock.now + 599


async def test_a_failing_record_reaches_the_caller(hass: HomeAssistant) -> None:
    """The outcome's bookkeeping failing must not leave the caller waiting."""

    def boom(_result: int) -> None:
        msg = "bookkeeping failed"
        raise ValueError(msg)

    jobs = ExecutorJobs(hass)
    with pytest.raises(ValueError, match="bookkeeping failed"):
        await jobs.run(int, "1", on_done=boom)
    assert not jobs.pending


# -- blocks and backoffs: a clear state, never "Unknown" ------------------------------


async def shown(hass: HomeAssistant, entity_id: str, language: str) -> str:
    """The state text Home Assistant's frontend shows for a sensor or binary sensor."""
    state = hass.states.get(entity_id)
    assert state is not None
    entry = er.async_get(hass).async_get(entity_id)
    assert entry is not None
    strings = await async_get_translations(hass, language, "entity", {DOMAIN})
    key = (
        f"component.{DOMAIN}.entity.{entry.domain}.{entry.translation_key}"
        f".state.{state.state}"
    )
    return strings[key]


async def at(hass: HomeAssistant, clock: FakeClock, moment: float) -> None:
    """Let time pass until `moment` (Unix seconds): the engine's clock and timers."""
    waited = moment - clock.now
    clock.now = moment
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=waited + 1))
    await hass.async_block_till_done()


async def test_nothing_wrong_reads_not_blocked_in_both_languages(
    hass: HomeAssistant, setup_integration: MockConfigEntry
) -> None:
    """After a good cycle, block and backoff say so, with no end time."""
    await run_cycle(hass, setup_integration)

    for entity_id in (BLOCK, BACKOFF):
        state = hass.states.get(entity_id)
        assert state is not None
        assert state.state == "off"
        assert "until" not in state.attributes
    assert await shown(hass, BLOCK, "en") == "Not blocked"
    assert await shown(hass, BLOCK, "de") == "Nicht gesperrt"
    assert await shown(hass, BACKOFF, "en") == "No backoff"
    assert await shown(hass, BACKOFF, "de") == "Keine Zwangspause"


async def test_replaced_timestamp_sensors_leave_the_registry(
    hass: HomeAssistant, config_entry: MockConfigEntry, clock: FakeClock
) -> None:
    """An entry set up before keeps no "Blocked until" / "Backoff until" entity."""
    config_entry.add_to_hass(hass)
    registry = er.async_get(hass)
    for key in ("blocked_until", "backoff_until"):
        registry.async_get_or_create(
            "sensor",
            DOMAIN,
            f"{config_entry.unique_id}_{key}",
            config_entry=config_entry,
        )
    with patch("custom_components.ig_autoliker.async_call_later"):
        assert await hass.config_entries.async_setup(config_entry.entry_id)
        await hass.async_block_till_done()

    ours = er.async_entries_for_config_entry(registry, config_entry.entry_id)
    ids = {entry.unique_id for entry in ours}
    assert f"{config_entry.unique_id}_blocked_until" not in ids
    assert f"{config_entry.unique_id}_backoff_until" not in ids
    assert f"{config_entry.unique_id}_blocked" in ids
    assert hass.states.get("sensor.alice_blocked_until") is None
    await hass.config_entries.async_unload(config_entry.entry_id)


async def test_backoff_shows_its_end_and_ends_on_time(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    clock: FakeClock,
) -> None:
    """HTTP 429: "Backing off" until Instagram's time, then "No backoff" at once."""
    world.faults.add("feed/reels_tray/", Fault.HTTP_429, retry_after=600)
    await run_cycle(hass, setup_integration)

    coordinator = coordinator_of(setup_integration)
    until = coordinator.engine.limiter.backoff_until
    assert until is not None
    state = hass.states.get(BACKOFF)
    assert state is not None
    assert state.state == "on"
    assert state.attributes["until"] == dt_util.utc_from_timestamp(until).isoformat()
    assert await shown(hass, BACKOFF, "de") == "Zwangspause läuft"

    world.clear_log()
    await at(hass, clock, until)

    state = hass.states.get(BACKOFF)
    assert state is not None
    assert state.state == "off"
    assert "until" not in state.attributes
    assert world.requests() == []  # shown without asking Instagram


async def test_action_block_shows_its_end_and_ends_on_time(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    clock: FakeClock,
) -> None:
    """feedback_required: "Blocked" until the freeze ends, then "Not blocked"."""
    world.faults.add("media/*/like/", Fault.FEEDBACK_REQUIRED)
    await run_cycle(hass, setup_integration)

    until = coordinator_of(setup_integration).engine.policy.blocked_until
    assert until is not None
    state = hass.states.get(BLOCK)
    assert state is not None
    assert state.state == "on"
    assert state.attributes["until"] == dt_util.utc_from_timestamp(until).isoformat()
    assert await shown(hass, BLOCK, "en") == "Blocked"

    await at(hass, clock, until)

    state = hass.states.get(BLOCK)
    assert state is not None
    assert state.state == "off"


@pytest.mark.parametrize("entry_options", [{**SAFETY_OFF, CONF_WARMUP_DAYS: 7}])
async def test_the_warm_up_shows_on_the_rate_limit_state_until_its_end(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    clock: FakeClock,
) -> None:
    """ "Rate-limit state" reads "Warming up" with its limits and end, then "OK"."""
    coordinator = coordinator_of(setup_integration)
    coordinator.engine.limiter.update_limits(
        Limits(max_likes_per_hour=8, max_likes_per_day=160)
    )
    await run_cycle(hass, setup_integration)
    await run_cycle(hass, setup_integration)
    end = coordinator.engine.policy.warmup_until
    assert end is not None
    assert end == pytest.approx(world.likes[0].at + 7 * 86400, abs=60)  # 7 days

    state = hass.states.get(RATE)
    assert state is not None
    assert state.state == "warming_up"
    assert await shown(hass, RATE, "en") == "Warming up"
    assert await shown(hass, RATE, "de") == "Aufwärmphase"
    until = datetime.fromisoformat(state.attributes["warmup_until"])
    assert until.utcoffset() == timedelta(0)
    assert until.timestamp() == end
    assert state.attributes["likes_per_hour_limit"] == 2  # 25 % of 8
    assert state.attributes["likes_per_day_limit"] == 40

    await at(hass, clock, end)

    state = hass.states.get(RATE)
    assert state is not None
    assert state.state == "ok"
    assert state.attributes["warmup_until"] is None
    assert state.attributes["likes_per_hour_limit"] == 8
    assert state.attributes["likes_per_day_limit"] == 160


@pytest.mark.parametrize("entry_options", [SAFETY_OFF])
async def test_likes_today_starts_again_at_local_midnight(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """At local midnight "Likes today" reads 0, with no error in Home Assistant's log.

    The midnight timer's job must run on the event loop: from an executor thread
    every entity's state write fails ("Unexpected error updating listener").
    """
    account = setup_integration.unique_id
    likes_today = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{account}_likes_today"
    )
    assert likes_today is not None
    await run_cycle(hass, setup_integration)
    state = hass.states.get(likes_today)
    assert state is not None
    assert int(state.state) > 0
    # No cycle may publish the new day: only the midnight timer can.
    await hass.services.async_call(
        "switch",
        "turn_off",
        {"entity_id": "switch.alice_auto_like"},
        blocking=True,
    )

    # The engine's day ends at the fake clock's midnight, Home Assistant's timer
    # fires at the next real one.
    local = dt_util.as_local(dt_util.utc_from_timestamp(clock.now))
    clock.now = dt_util.start_of_local_day(local + timedelta(days=1)).timestamp() + 1
    real = dt_util.start_of_local_day(dt_util.now() + timedelta(days=1))
    async_fire_time_changed(hass, real + timedelta(seconds=1))
    await hass.async_block_till_done(wait_background_tasks=True)

    state = hass.states.get(likes_today)
    assert state is not None
    assert state.state == "0"
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
