"""What the user sees when Instagram answers with one of its captured error bodies.

Each test drives Home Assistant against the emulator answering a published capture
(tests/sandbox/SOURCES.md) and checks what a user meets: the flow error, "Session
health", the repair issue, the event, and that nothing more reaches Instagram.
"""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

import pytest
from custom_components.ig_autoliker.const import DOMAIN, EVENT_CHALLENGE_REQUIRED
from custom_components.ig_autoliker.engine.events import SessionHealth
from homeassistant.config_entries import SOURCE_REAUTH, SOURCE_USER, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from tests.sandbox import Fault, World
from tests.sandbox.testworld import ALICE, BOB, GRACE, HEIDI, MISSING, PUBLIC

from .conftest import FakeClock, flow_sources, run_cycle
from .test_cycle import coordinator_of, liked_by_alice


@pytest.fixture
def targets() -> list[str]:
    """One public target: enough to see whether liking goes on."""
    return [PUBLIC]


def challenge_issue(
    hass: HomeAssistant, entry: MockConfigEntry
) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(
        DOMAIN, f"challenge_required_{entry.entry_id}"
    )


def reauth_flow_id(hass: HomeAssistant) -> str:
    (flow,) = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["context"]["source"] == SOURCE_REAUTH
    return str(flow["flow_id"])


async def assert_nothing_sent(
    hass: HomeAssistant, entry: MockConfigEntry, world: World
) -> None:
    """Neither a cycle nor a keep-alive sends anything while the user must act."""
    world.clear_log()
    await run_cycle(hass, entry)
    await coordinator_of(entry).async_keep_alive()
    assert world.requests() == []


async def confirm_and_reload(hass: HomeAssistant, flow_id: str) -> Any:
    """Submit the app-confirmation step; the entry reloads (first cycle held back)."""
    with patch("custom_components.ig_autoliker.async_call_later"):
        result = await hass.config_entries.flow.async_configure(flow_id, {})
        await hass.async_block_till_done()
    return result


async def user_flow(hass: HomeAssistant, username: str, password: str) -> Any:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {"username": username, "password": password}
    )


# --------------------------------------------------------------- checkpoints
async def test_native_checkpoint_in_a_cycle_back_to_liking_after_app_confirmation(
    hass: HomeAssistant, setup_integration: MockConfigEntry, world: World
) -> None:
    entry = setup_integration
    events = async_capture_events(hass, EVENT_CHALLENGE_REQUIRED)
    world.faults.add("feed/user/*/story/", Fault.CHALLENGE_REQUIRED)

    await run_cycle(hass, entry)

    coordinator = coordinator_of(entry)
    assert coordinator.engine.session.health is SessionHealth.CHALLENGE_REQUIRED
    assert coordinator.data.challenge_required  # the binary sensor
    assert [e.data["confirm_in_app"] for e in events] == [True]
    issue = challenge_issue(hass, entry)
    assert issue is not None
    assert issue.is_fixable
    assert issue.translation_key == "challenge_confirm_in_app"
    assert world.likes == []
    await assert_nothing_sent(hass, entry, world)

    # The reauth flow asks for no password: confirm in the app, then submit.
    flow_id = reauth_flow_id(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, {})
    assert result["step_id"] == "challenge_app"
    assert result["errors"] == {"base": "challenge_not_confirmed"}
    assert world.login_attempts() == 0  # the same session, no new login

    assert world.confirm_challenge(ALICE.username)
    result = await confirm_and_reload(hass, flow_id)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.state is ConfigEntryState.LOADED
    assert coordinator_of(entry).engine.session.health is SessionHealth.HEALTHY
    assert challenge_issue(hass, entry) is None
    assert world.login_attempts() == 0
    await run_cycle(hass, entry)
    assert liked_by_alice(world, PUBLIC)


async def test_checkpoint_required_message_takes_the_challenge_path(
    hass: HomeAssistant, setup_integration: MockConfigEntry, world: World
) -> None:
    """`message: checkpoint_required` used to be an unknown error every hour."""
    entry = setup_integration
    events = async_capture_events(hass, EVENT_CHALLENGE_REQUIRED)
    world.faults.add("feed/user/*/story/", Fault.CHECKPOINT_REQUIRED)

    await run_cycle(hass, entry)

    assert (
        coordinator_of(entry).engine.session.health is SessionHealth.CHALLENGE_REQUIRED
    )
    assert len(events) == 1
    assert challenge_issue(hass, entry) is not None
    assert flow_sources(hass) == [SOURCE_REAUTH]
    await assert_nothing_sent(hass, entry, world)


async def test_native_checkpoint_at_setup_reauth_confirms_in_the_app(
    hass: HomeAssistant, config_entry: MockConfigEntry, world: World, clock: FakeClock
) -> None:
    world.start_challenge(ALICE.username, native=True)
    config_entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert config_entry.state is ConfigEntryState.SETUP_ERROR
    flow_id = reauth_flow_id(hass)
    world.confirm_challenge(ALICE.username)

    result = await confirm_and_reload(hass, flow_id)

    assert result["reason"] == "reauth_successful"
    assert config_entry.state is ConfigEntryState.LOADED


# -------------------------------------------------------------- credentials
async def test_unknown_username_on_relogin_asks_for_reauth(
    hass: HomeAssistant, setup_integration: MockConfigEntry, world: World
) -> None:
    """Today's untyped answer used to fail every cycle with a healthy session."""
    world.revoke_sessions(ALICE.username)
    alice = world.user(ALICE.username)
    assert alice is not None
    alice.password = None  # the username no longer belongs to an account

    await run_cycle(hass, setup_integration)

    coordinator = coordinator_of(setup_integration)
    assert coordinator.engine.session.health is SessionHealth.REAUTH_REQUIRED
    assert flow_sources(hass) == [SOURCE_REAUTH]
    assert world.count("accounts/login/") == 1  # no retry with the same password


@pytest.mark.parametrize("typed", [False, True])
async def test_unknown_username_in_the_flow_is_invalid_auth(
    hass: HomeAssistant, world: World, *, typed: bool
) -> None:
    world.invalid_user_typed = typed
    result = await user_flow(hass, MISSING, "whatever")
    assert result["errors"] == {"base": "invalid_auth"}


async def test_ip_block_in_the_flow_says_so(hass: HomeAssistant, world: World) -> None:
    world.faults.add("accounts/login/", Fault.IP_BLOCK)
    result = await user_flow(hass, BOB.username, BOB.password)
    assert result["errors"] == {"base": "ip_blocked"}


async def test_ip_block_on_relogin_stops_the_cycle(
    hass: HomeAssistant, setup_integration: MockConfigEntry, world: World
) -> None:
    world.revoke_sessions(ALICE.username)
    world.faults.add("accounts/login/", Fault.IP_BLOCK, times=None)
    alice = world.user(ALICE.username)
    assert alice is not None
    alice.login_flow = "legacy"

    await run_cycle(hass, setup_integration)

    coordinator = coordinator_of(setup_integration)
    assert coordinator.engine.session.health is SessionHealth.ERROR
    assert not coordinator.last_update_success
    assert world.count("accounts/login/") == 1  # no second try from a blocked IP
    assert flow_sources(hass) == []


async def test_needs_upgrade_in_the_flow_names_instagrapi(
    hass: HomeAssistant, world: World
) -> None:
    world.faults.add("accounts/login/", Fault.NEEDS_UPGRADE)
    result = await user_flow(hass, BOB.username, BOB.password)
    assert result["errors"] == {"base": "client_outdated"}
    assert result["description_placeholders"]["version"]


async def test_needs_upgrade_in_a_cycle_is_an_error_not_a_traceback(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    caplog: pytest.LogCaptureFixture,
) -> None:
    world.faults.add("feed/user/*/story/", Fault.NEEDS_UPGRADE)
    await run_cycle(hass, setup_integration)
    coordinator = coordinator_of(setup_integration)
    assert coordinator.engine.session.health is SessionHealth.ERROR
    assert "Unexpected error" not in caplog.text
    assert "instagrapi" in str(coordinator.last_exception)


# --------------------------------------------------------------- suspension
async def test_suspended_in_a_cycle_stops_everything(
    hass: HomeAssistant, setup_integration: MockConfigEntry, world: World
) -> None:
    entry = setup_integration
    world.faults.add("feed/user/*/story/", Fault.ACCOUNT_SUSPENDED)

    await run_cycle(hass, entry)

    assert coordinator_of(entry).engine.session.health is SessionHealth.SUSPENDED
    issue = ir.async_get(hass).async_get_issue(
        DOMAIN, f"account_suspended_{entry.entry_id}"
    )
    assert issue is not None
    assert not issue.is_fixable
    assert flow_sources(hass) == []  # nothing to reauthenticate
    await assert_nothing_sent(hass, entry, world)
    assert flow_sources(hass) == []


async def test_suspended_at_setup_fails_for_good(
    hass: HomeAssistant, world: World, clock: FakeClock
) -> None:
    heidi = world.user(HEIDI.username)
    assert heidi is not None
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=HEIDI.username,
        unique_id=str(heidi.pk),
        data={"username": HEIDI.username, "password": HEIDI.password},
    )
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert ir.async_get(hass).async_get_issue(
        DOMAIN, f"account_suspended_{entry.entry_id}"
    )
    assert flow_sources(hass) == []


async def test_suspended_in_the_flow_says_so(hass: HomeAssistant, world: World) -> None:
    result = await user_flow(hass, HEIDI.username, HEIDI.password)
    assert result["errors"] == {"base": "account_suspended"}


async def test_native_checkpoint_in_the_user_flow(
    hass: HomeAssistant, world: World, clock: FakeClock
) -> None:
    result = await user_flow(hass, GRACE.username, GRACE.password)
    assert result["step_id"] == "challenge_app"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["errors"] == {"base": "challenge_not_confirmed"}
    world.confirm_challenge(GRACE.username)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == GRACE.username


async def test_ip_block_at_setup_retries_later(
    hass: HomeAssistant, world: World, clock: FakeClock
) -> None:
    bob = world.user(BOB.username)
    assert bob is not None
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=BOB.username,
        unique_id=str(bob.pk),
        data={"username": BOB.username, "password": BOB.password},
    )
    world.faults.add("accounts/login/", Fault.IP_BLOCK)
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert flow_sources(hass) == []  # a new password would not help


async def test_keep_alive_meets_a_suspension(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    clock: FakeClock,
) -> None:
    world.faults.add("accounts/current_user/", Fault.ACCOUNT_SUSPENDED)
    clock.advance(31 * 60)
    await coordinator_of(setup_integration).async_keep_alive()
    assert (
        coordinator_of(setup_integration).engine.session.health
        is SessionHealth.SUSPENDED
    )
    assert flow_sources(hass) == []
    await assert_nothing_sent(hass, setup_integration, world)
