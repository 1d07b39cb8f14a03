"""Entity snapshots after one cycle: names, states, classes, units, devices."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from unittest.mock import patch

import pytest
from custom_components.ig_autoliker.const import DOMAIN
from custom_components.ig_autoliker.diagnostics import (
    async_get_config_entry_diagnostics,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from tests.sandbox import Fault, World
from tests.sandbox.testworld import ALICE

from .conftest import FakeClock, run_cycle


@pytest.fixture
def clock_start() -> float:
    """A fixed start, so the timestamps are the same on every run."""
    return datetime(2026, 11, 20, 12, tzinfo=UTC).timestamp()


def entity_view(hass: HomeAssistant, entry: er.RegistryEntry) -> dict[str, Any]:
    """What a user sees of an entity: registry settings, state and attributes."""
    state = hass.states.get(entry.entity_id)
    if entry.disabled_by is not None:
        # Disabled by default: no state; the user enables it in its settings.
        assert state is None
        return {"unique_id": entry.unique_id, "disabled_by": entry.disabled_by}
    assert state is not None
    return {
        "unique_id": entry.unique_id,
        "translation_key": entry.translation_key,
        "original_name": entry.original_name,
        "device_class": entry.original_device_class,
        "entity_category": entry.entity_category,
        "unit_of_measurement": entry.unit_of_measurement,
        "capabilities": entry.capabilities,
        "subentry": entry.config_subentry_id is not None,
        # Timestamps follow the jittered pauses; their values are asserted elsewhere.
        "state": "<timestamp>"
        if (
            entry.original_device_class == "timestamp"
            or entry.domain in {"event", "image"}
        )
        and state.state != "unknown"
        else state.state,
        "attributes": {
            key: _without_tokens(key, _without_times(value))
            for key, value in state.attributes.items()
        },
    }


def _without_tokens(key: str, value: Any) -> Any:
    """Hide an image's random access token (rotated every 5 minutes)."""
    if key == "access_token":
        return "<token>"
    if key == "entity_picture" and isinstance(value, str) and "?token=" in value:
        return value.split("?token=")[0] + "?token=<token>"
    return value


def _without_times(value: Any) -> Any:
    """Hide the jittered times of "recent_likes" as the states' are hidden."""
    if isinstance(value, list):
        return [
            {**item, "at": "<timestamp>"} if isinstance(item, dict) else item
            for item in value
        ]
    return value


async def test_entities(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    await run_cycle(hass, setup_integration)
    entries = er.async_entries_for_config_entry(
        entity_registry, setup_integration.entry_id
    )
    # Cycle bookkeeping (each target's "Last checked" too), the "Last like" event
    # entity and each target's "Last like" sensor would repeat themselves in the
    # Activity every cycle and every like (test_logbook.py).
    account, pks = setup_integration.unique_id, coordinator_pks(setup_integration)
    assert {e.unique_id for e in entries if e.disabled_by is not None} == {
        f"{account}_last_like_event",
        f"{account}_next_cycle",
        f"{account}_last_cycle",
        f"{account}_cycle_running",
        *(f"{account}_{pk}_last_checked" for pk in pks),
        *(f"{account}_{pk}_last_like" for pk in pks),
    }
    assert {e.disabled_by for e in entries} == {
        None,
        er.RegistryEntryDisabler.INTEGRATION,
    }
    assert {entry.entity_id: entity_view(hass, entry) for entry in entries} == snapshot


def device_view(device: dr.DeviceEntry) -> dict[str, Any]:
    """What a user sees of a device."""
    return {
        "name": device.name,
        "identifiers": device.identifiers,
        "manufacturer": device.manufacturer,
        "model": device.model,
        "entry_type": device.entry_type,
        "configuration_url": device.configuration_url,
        "via_account": device.via_device_id is not None,
    }


async def test_devices(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    devices = dr.async_entries_for_config_entry(
        device_registry, setup_integration.entry_id
    )
    assert len(devices) == 3
    account = next(
        d for d in devices if d.identifiers == {(DOMAIN, setup_integration.unique_id)}
    )
    for device in devices:
        if device is not account:
            assert device.via_device_id == account.id
            assert device.config_subentry_id is not None
    assert (
        sorted((device_view(d) for d in devices), key=lambda d: d["name"]) == snapshot
    )


async def test_diagnostics(
    hass: HomeAssistant, setup_integration: MockConfigEntry, snapshot: SnapshotAssertion
) -> None:
    """The dump a user attaches to a bug report; secrets redacted, times excluded."""
    await run_cycle(hass, setup_integration)
    dump = await async_get_config_entry_diagnostics(hass, setup_integration)
    assert dump == snapshot(
        exclude=props(
            "latest_reel_media",
            "last_cycle",
            "last_story_check",
            "last_post_check",
            "last_like",
            "followed_checked",
            "warmup_start",
        )
    )


def _numbers(value: Any) -> list[float]:
    """Every number in a diagnostics dump (booleans are not numbers here)."""
    if isinstance(value, dict):
        return [n for item in value.values() for n in _numbers(item)]
    if isinstance(value, list):
        return [n for item in value for n in _numbers(item)]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return [value]
    return []


async def test_diagnostics_times_are_iso_8601(
    hass: HomeAssistant, setup_integration: MockConfigEntry, world: World
) -> None:
    """Each time in the dump reads as a UTC date and time; no secret is in it."""
    world.faults.add("media/*/like/", Fault.FEEDBACK_REQUIRED)
    await run_cycle(hass, setup_integration)
    coordinator = setup_integration.runtime_data
    stored = coordinator.stored

    dump = await async_get_config_entry_diagnostics(hass, setup_integration)

    def iso(seconds: float | None) -> str | None:
        return (
            None if seconds is None else dt_util.utc_from_timestamp(seconds).isoformat()
        )

    assert stored.last_cycle is not None
    assert dump["last_cycle"] == iso(stored.last_cycle)
    assert dump["last_cycle"].endswith("+00:00")
    for pk, target in stored.targets.items():
        shown = dump["targets"][pk]
        for key in ("last_story_check", "last_post_check", "last_like"):
            assert shown[key] == iso(getattr(target, key)), key
    assert any(shown["last_like"] for shown in dump["targets"].values())
    (freeze,) = dump["safety"]["policy"]["freezes"]
    (active,) = coordinator.engine.policy.active_freezes()
    assert freeze["since"] == iso(active.since)
    assert freeze["until"] == iso(active.until)
    # No Unix seconds left anywhere (any time since 2001 is above 1e9).
    assert [n for n in _numbers(dump) if n >= 1e9] == []

    text = json.dumps(dump)
    assert dump["entry"]["data"]["password"] == "**REDACTED**"
    assert ALICE.password not in text
    assert stored.session is not None
    session_id = stored.session["authorization_data"]["sessionid"]
    assert len(session_id) > 10
    assert session_id not in text


async def test_devices_registered_as_services_become_devices(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    clock: FakeClock,
) -> None:
    """
    An earlier version registered the account and its targets as services.

    After the update the entry page counts them as devices (not "3 services"), the
    account's page says "Device info", and its targets are connected via it.
    """
    config_entry.add_to_hass(hass)
    account = device_registry.async_get_or_create(
        config_entry_id=config_entry.entry_id,
        identifiers={(DOMAIN, str(config_entry.unique_id))},
        entry_type=dr.DeviceEntryType.SERVICE,
    )
    for subentry in config_entry.subentries.values():
        device_registry.async_get_or_create(
            config_entry_id=config_entry.entry_id,
            config_subentry_id=subentry.subentry_id,
            identifiers={(DOMAIN, f"{config_entry.unique_id}_{subentry.unique_id}")},
            entry_type=dr.DeviceEntryType.SERVICE,
            via_device_id=account.id,
        )
    with patch("custom_components.ig_autoliker.async_call_later"):
        assert await hass.config_entries.async_setup(config_entry.entry_id)
        await hass.async_block_till_done()

    devices = dr.async_entries_for_config_entry(device_registry, config_entry.entry_id)
    assert len(devices) == 3
    assert [device.entry_type for device in devices] == [None, None, None]
    assert [device.via_device_id for device in devices].count(account.id) == 2


def coordinator_pks(entry: MockConfigEntry) -> list[str]:
    """The pks of the entry's targets."""
    return [target.pk for target in entry.runtime_data.targets]
