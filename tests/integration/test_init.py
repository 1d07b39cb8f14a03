"""Setup, unload, removal, dynamic targets and the remaining error paths."""

from __future__ import annotations

import json
from typing import Any
from unittest.mock import patch

import pytest
from custom_components.ig_autoliker.const import (
    CONF_SESSION,
    DOMAIN,
    SUBENTRY_TYPE_TARGET,
)
from custom_components.ig_autoliker.engine.client import InstagramClient
from custom_components.ig_autoliker.engine.events import SessionHealth
from custom_components.ig_autoliker.store import STORAGE_VERSION
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState, ConfigSubentry
from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from tests.sandbox import Fault, World
from tests.sandbox.testworld import ALICE, PRIVATE_FOLLOWED, PUBLIC, QUIET

from .conftest import FakeClock, flow_sources, run_cycle, target_subentry
from .test_controls import entity_id
from .test_cycle import coordinator_of, liked_by_alice


def _store_key(entry: MockConfigEntry) -> str:
    return f"{DOMAIN}.{entry.entry_id}"


async def test_session_from_the_config_flow_moves_into_the_store(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    world: World,
    clock: FakeClock,
    hass_storage: dict[str, Any],
) -> None:
    api = await hass.async_add_executor_job(
        InstagramClient, ALICE.username, ALICE.password
    )
    await hass.async_add_executor_job(api.login)
    session = await hass.async_add_executor_job(api.export_session)
    world.clear_log()
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        config_entry, data={**config_entry.data, CONF_SESSION: session}
    )

    with patch("custom_components.ig_autoliker.async_call_later"):
        assert await hass.config_entries.async_setup(config_entry.entry_id)
        await hass.async_block_till_done()

    assert CONF_SESSION not in config_entry.data
    assert hass_storage[_store_key(config_entry)]["data"]["session"] is not None
    assert world.count("accounts/login/") == 0
    assert world.count("bloks/*") == 0
    # The flow has just read the account with this session: setup sends nothing.
    assert world.requests() == []


async def test_handed_over_session_dropped_before_the_first_cycle(
    hass: HomeAssistant, config_entry: MockConfigEntry, world: World, clock: FakeClock
) -> None:
    """Setup trusts the flow's session; a session Instagram dropped since is renewed."""
    api = await hass.async_add_executor_job(
        InstagramClient, ALICE.username, ALICE.password
    )
    await hass.async_add_executor_job(api.login)
    session = await hass.async_add_executor_job(api.export_session)
    world.revoke_sessions(ALICE.username)
    world.clear_log()
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        config_entry, data={**config_entry.data, CONF_SESSION: session}
    )

    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert config_entry.state is ConfigEntryState.LOADED
    assert world.login_attempts() == 1
    assert liked_by_alice(world) != []


async def test_store_from_a_newer_version_is_not_overwritten(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    world: World,
    clock: FakeClock,
    hass_storage: dict[str, Any],
) -> None:
    newer = {
        "version": STORAGE_VERSION + 1,
        "minor_version": 1,
        "key": _store_key(config_entry),
        "data": {},
    }
    hass_storage[_store_key(config_entry)] = newer
    config_entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.SETUP_ERROR
    assert config_entry.error_reason_translation_key == "store_too_new"
    assert hass_storage[_store_key(config_entry)] == newer


async def test_first_cycle_keeps_the_schedule_across_restarts(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    world: World,
    clock: FakeClock,
    hass_storage: dict[str, Any],
) -> None:
    hass_storage[_store_key(config_entry)] = {
        "version": 1,
        "minor_version": 1,
        "key": _store_key(config_entry),
        "data": {"last_cycle": clock.now - 5 * 60},
    }
    config_entry.add_to_hass(hass)
    with patch("custom_components.ig_autoliker.async_call_later") as later:
        assert await hass.config_entries.async_setup(config_entry.entry_id)
        await hass.async_block_till_done()
    # Cycles come every quarter hour (a tray read each; the feeds hourly).
    assert later.call_args.args[1] == pytest.approx(10 * 60)

    # The scheduled callback starts a cycle.
    later.call_args.args[2](None)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert liked_by_alice(world) != []


async def test_new_entry_starts_its_first_cycle_at_once(
    hass: HomeAssistant, config_entry: MockConfigEntry, world: World, clock: FakeClock
) -> None:
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert liked_by_alice(world) != []


async def test_targets_added_and_removed_without_reload(
    hass: HomeAssistant, setup_integration: MockConfigEntry, world: World
) -> None:
    data = target_subentry(world, QUIET)
    subentry = ConfigSubentry(
        data=data["data"],
        subentry_type=SUBENTRY_TYPE_TARGET,
        title=QUIET,
        unique_id=data["unique_id"],
    )
    hass.config_entries.async_add_subentry(setup_integration, subentry)
    await hass.async_block_till_done()

    quiet_pk = data["unique_id"]
    unique_id = f"{setup_integration.unique_id}_{quiet_pk}_enabled"
    assert (
        er.async_get(hass).async_get_entity_id("switch", DOMAIN, unique_id) is not None
    )
    devices = dr.async_get(hass)
    device = devices.async_get_device_by_identifier(
        (DOMAIN, f"{setup_integration.unique_id}_{quiet_pk}"),
        setup_integration.entry_id,
    )
    assert device is not None
    account = devices.async_get_device_by_identifier(
        (DOMAIN, str(setup_integration.unique_id)), setup_integration.entry_id
    )
    assert account is not None
    assert device.via_device_id == account.id
    assert setup_integration.state is ConfigEntryState.LOADED

    await run_cycle(hass, setup_integration)
    coordinator = coordinator_of(setup_integration)
    assert quiet_pk in coordinator.stored.targets
    hass.config_entries.async_remove_subentry(setup_integration, subentry.subentry_id)
    await hass.async_block_till_done()
    assert quiet_pk not in coordinator.stored.targets
    assert er.async_get(hass).async_get_entity_id("switch", DOMAIN, unique_id) is None


@pytest.mark.parametrize("targets", [[PRIVATE_FOLLOWED]])
async def test_a_target_added_while_paused_shows_nothing_liked_yet(
    hass: HomeAssistant, setup_integration: MockConfigEntry, world: World
) -> None:
    """A target added while Auto-like is off: its sensors before its first check."""
    account = setup_integration.unique_id
    await hass.services.async_call(
        "switch",
        "turn_off",
        {"entity_id": entity_id(hass, "switch", f"{account}_auto_like")},
        blocking=True,
    )
    world.clear_log()
    data = target_subentry(world, PUBLIC)
    hass.config_entries.async_add_subentry(
        setup_integration,
        ConfigSubentry(
            data=data["data"],
            subentry_type=SUBENTRY_TYPE_TARGET,
            title=PUBLIC,
            unique_id=data["unique_id"],
        ),
    )
    await hass.async_block_till_done(wait_background_tasks=True)

    assert world.requests() == []  # not checked while paused
    shown = {}
    for platform, key in (
        ("image", "last_media"),
        ("sensor", "stories_liked"),
        ("sensor", "posts_liked"),
    ):
        state = hass.states.get(
            entity_id(hass, platform, f"{account}_{data['unique_id']}_{key}")
        )
        assert state is not None
        assert "entity_picture" not in state.attributes
        shown[key] = state.state
    assert shown == {"last_media": "unknown", "stories_liked": "0", "posts_liked": "0"}


async def test_stop_saves_the_store(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    hass_storage: dict[str, Any],
) -> None:
    await run_cycle(hass, setup_integration)
    hass_storage.pop(_store_key(setup_integration), None)
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
    await hass.async_block_till_done()
    saved = hass_storage[_store_key(setup_integration)]["data"]
    assert len(saved["liked_posts"]) == len(
        [pk for pk in liked_by_alice(world) if world.media(pk).kind != "story"]
    )


async def test_removing_the_entry_deletes_its_store(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    await hass.config_entries.async_unload(setup_integration.entry_id)
    assert _store_key(setup_integration) in hass_storage
    await hass.config_entries.async_remove(setup_integration.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert _store_key(setup_integration) not in hass_storage


async def test_relogin_with_a_changed_password_asks_for_reauth(
    hass: HomeAssistant, setup_integration: MockConfigEntry, world: World
) -> None:
    world.user(ALICE.username).password = "changed-elsewhere"
    world.revoke_sessions(ALICE.username)

    await run_cycle(hass, setup_integration)

    coordinator = coordinator_of(setup_integration)
    assert coordinator.engine.session.health is SessionHealth.REAUTH_REQUIRED
    assert flow_sources(hass) == [SOURCE_REAUTH]


async def test_relogin_gives_up_after_three_tries(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    clock: FakeClock,
) -> None:
    """Instagram unreachable for the relogin: "error", never a password prompt."""
    world.revoke_sessions(ALICE.username)
    world.faults.add("bloks/*", Fault.HTTP_503, times=None)

    await run_cycle(hass, setup_integration)

    coordinator = coordinator_of(setup_integration)
    assert coordinator.engine.session.health is SessionHealth.ERROR
    assert clock.pauses.count(300.0) == 2  # linear 5 min between the three tries
    assert flow_sources(hass) == []

    world.faults.clear()
    await run_cycle(hass, setup_integration)
    assert coordinator.engine.session.health is SessionHealth.HEALTHY
    assert liked_by_alice(world) != []


async def test_challenge_during_relogin_alerts(
    hass: HomeAssistant, setup_integration: MockConfigEntry, world: World
) -> None:
    world.revoke_sessions(ALICE.username)
    world.start_challenge(ALICE.username, "999999")

    await run_cycle(hass, setup_integration)

    assert (
        coordinator_of(setup_integration).engine.session.health
        is SessionHealth.CHALLENGE_REQUIRED
    )


async def test_challenge_at_setup_alerts_and_asks_for_reauth(
    hass: HomeAssistant, config_entry: MockConfigEntry, world: World, clock: FakeClock
) -> None:
    world.start_challenge(ALICE.username, "999999")
    config_entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert config_entry.state is ConfigEntryState.SETUP_ERROR
    assert flow_sources(hass) == [SOURCE_REAUTH]


@pytest.mark.parametrize("targets", [[PUBLIC]])
async def test_a_deleted_post_is_skipped_with_one_log_line(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    caplog: pytest.LogCaptureFixture,
) -> None:
    gone = json.dumps(
        {"message": "Sorry, this media has been deleted", "status": "fail"}
    )
    world.faults.add("media/*/like/", Fault.RAW, status=400, body=gone.encode())

    await run_cycle(hass, setup_integration)

    failures = [r for r in caplog.records if r.getMessage().startswith("Like failed")]
    assert len(failures) == 1
    message = failures[0].getMessage()
    assert f"target={PUBLIC}" in message
    assert "error=media_gone" in message
    assert f"cycle={coordinator_of(setup_integration).engine.pacer.cycle_id}" in message
    assert len(liked_by_alice(world, PUBLIC)) == 6  # every other item


async def test_diagnostics_hold_no_secret(
    hass: HomeAssistant, setup_integration: MockConfigEntry, world: World
) -> None:
    from custom_components.ig_autoliker.diagnostics import (  # noqa: PLC0415
        async_get_config_entry_diagnostics,
    )

    await run_cycle(hass, setup_integration)
    dump = json.dumps(await async_get_config_entry_diagnostics(hass, setup_integration))
    session = coordinator_of(setup_integration).stored.session
    assert session is not None
    secrets = [
        ALICE.password,
        *session["cookies"].values(),
        session["uuids"]["phone_id"],
    ]
    assert all(str(secret) not in dump for secret in secrets)
    liked_posts = [
        pk for pk in liked_by_alice(world) if world.media(pk).kind != "story"
    ]
    assert f'"liked_posts": {len(liked_posts)}' in dump
