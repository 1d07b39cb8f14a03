"""The truth on the dashboard: what "Session health" and the flows show after faults."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from custom_components.ig_autoliker.const import DOMAIN
from custom_components.ig_autoliker.engine.events import SessionHealth
from custom_components.ig_autoliker.executor import ExecutorJobs
from homeassistant.config_entries import SOURCE_REAUTH

from tests.sandbox import Fault, World
from tests.sandbox.testworld import ALICE

from .conftest import FakeClock, flow_sources, run_cycle
from .test_cycle import coordinator_of

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry


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
    world.faults.add("feed/user/*/story/", Fault.LOGIN_REQUIRED, times=2)

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
