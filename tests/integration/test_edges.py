"""Edges of the cycle: request budget, switches flipped mid-cycle, keep-alive errors."""

from __future__ import annotations

import pytest
from custom_components.ig_autoliker.const import CONF_ENABLED, CONF_MAX_REQUESTS_HOUR
from custom_components.ig_autoliker.coordinator import IgAutolikerCoordinator
from custom_components.ig_autoliker.engine.events import SessionHealth
from custom_components.ig_autoliker.engine.exceptions import (
    RateLimited,
    Refused,
)
from custom_components.ig_autoliker.engine.ratelimit import Action, Limits
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from tests.sandbox import Fault, World
from tests.sandbox.testworld import PRIVATE_FOLLOWED, PUBLIC

from .conftest import FakeClock, flow_sources, run_cycle
from .test_cycle import coordinator_of, liked_by_alice


@pytest.fixture
def config_entry(config_entry: MockConfigEntry) -> MockConfigEntry:
    """Alice's entry with the smallest request budget the options allow (10/hour).

    The other options stay as the shared fixture sets them (safety pacing off), so
    the active hours never decide these tests.
    """
    return MockConfigEntry(
        domain=config_entry.domain,
        title=config_entry.title,
        unique_id=config_entry.unique_id,
        data=dict(config_entry.data),
        options={**config_entry.options, CONF_MAX_REQUESTS_HOUR: 10},
        subentries_data=[
            {
                "data": dict(subentry.data),
                "subentry_type": subentry.subentry_type,
                "title": subentry.title,
                "unique_id": subentry.unique_id,
            }
            for subentry in config_entry.subentries.values()
        ],
    )


async def test_request_budget_stops_the_cycle_and_the_next_one_goes_on(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    clock: FakeClock,
) -> None:
    coordinator = coordinator_of(setup_integration)
    # The setup's fresh login (9 requests) counts: 1 request of 10 is left.
    assert (
        coordinator.engine.limiter.count(Action.REQUEST) == len(world.requests()) == 9
    )
    clock.advance(3600)  # the login leaves the window
    await run_cycle(hass, setup_integration)
    first = len(liked_by_alice(world))
    sent = [r for r in world.requests() if r.at >= clock.now - 3600]
    assert 0 < first < 9  # the budget ended the cycle early
    assert len(sent) <= 10

    clock.advance(3600)
    for _ in range(3):
        await run_cycle(hass, setup_integration)
        clock.advance(3600)
    assert len(liked_by_alice(world)) == 9
    assert len(set(liked_by_alice(world))) == 9


async def test_resolve_target_refuses_when_over_budget_or_blocked(
    hass: HomeAssistant, setup_integration: MockConfigEntry
) -> None:
    coordinator: IgAutolikerCoordinator = coordinator_of(setup_integration)
    coordinator.engine.limiter.record(Action.REQUEST, 10)
    with pytest.raises(RateLimited) as limited:
        await coordinator.engine.async_resolve_target(PUBLIC)
    assert limited.value.retry_after is not None
    assert limited.value.retry_after > 0

    # Waiting for the user is a refusal of the gate, not a new checkpoint.
    coordinator.engine.session.health = SessionHealth.CHALLENGE_REQUIRED
    with pytest.raises(Refused) as refused:
        await coordinator.engine.async_resolve_target(PUBLIC)
    assert refused.value.reason == "reauth_required"
    assert refused.value.until is None


async def test_switching_a_target_off_mid_cycle_skips_only_that_target(
    hass: HomeAssistant, setup_integration: MockConfigEntry, world: World
) -> None:
    coordinator = coordinator_of(setup_integration)
    # This module's entry has a tiny request budget; this test needs the default.
    coordinator.engine.limiter.update_limits(Limits())
    public_pk = str(world.user(PUBLIC).pk)
    subentry = next(
        s for s in setup_integration.subentries.values() if s.unique_id == public_pk
    )
    original_record = coordinator.engine.media.record_like

    def record_then_switch_off(*args: object) -> None:
        original_record(*args)  # type: ignore[arg-type]
        hass.config_entries.async_update_subentry(
            setup_integration, subentry, data={**subentry.data, CONF_ENABLED: False}
        )

    coordinator.engine.media.record_like = record_then_switch_off  # type: ignore[method-assign]
    await run_cycle(hass, setup_integration)

    assert len(liked_by_alice(world, PUBLIC)) == 1
    assert liked_by_alice(world, PRIVATE_FOLLOWED) != []


async def test_keep_alive_reports_a_challenge(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    clock: FakeClock,
) -> None:
    world.faults.add("accounts/current_user/", Fault.CHALLENGE_REQUIRED)
    clock.advance(31 * 60)
    await coordinator_of(setup_integration).async_keep_alive()
    assert coordinator_of(setup_integration).data.challenge_required


async def test_keep_alive_survives_a_network_error(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    clock: FakeClock,
) -> None:
    world.faults.add("accounts/current_user/", Fault.HTTP_503)
    clock.advance(31 * 60)
    await coordinator_of(setup_integration).async_keep_alive()
    assert (
        coordinator_of(setup_integration).data.session_health is SessionHealth.HEALTHY
    )


async def test_keep_alive_with_a_changed_password_asks_for_reauth(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    clock: FakeClock,
) -> None:
    world.user(setup_integration.title).password = "changed-elsewhere"
    world.revoke_sessions(setup_integration.title)
    # The keep-alive is due after 30 min; the relogin needs the budget the setup's
    # login (9 of 10 requests) holds for an hour.
    clock.advance(61 * 60)
    await coordinator_of(setup_integration).async_keep_alive()
    await hass.async_block_till_done()
    coordinator = coordinator_of(setup_integration)
    assert coordinator.data.session_health is SessionHealth.REAUTH_REQUIRED
    assert "reauth" in flow_sources(hass)


async def test_keep_alive_relogin_waits_for_request_budget(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    clock: FakeClock,
) -> None:
    world.revoke_sessions(setup_integration.title)
    clock.advance(31 * 60)  # the setup's login still holds 9 of the 10 requests
    coordinator = coordinator_of(setup_integration)

    await coordinator.async_keep_alive()

    assert world.login_attempts() == 1  # the keep-alive met login_required only
    assert coordinator.engine.limiter.count(Action.REQUEST) <= 10
    clock.advance(61 * 60)  # the login and the first keep-alive have left the window
    await coordinator.async_keep_alive()
    assert world.login_attempts() == 2
    assert coordinator.data.session_health is SessionHealth.HEALTHY
