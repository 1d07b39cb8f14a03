"""Entity snapshots after one cycle: names, states, classes, units, devices."""

from __future__ import annotations

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
from pytest_homeassistant_custom_component.common import MockConfigEntry
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

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
        if (entry.original_device_class == "timestamp" or entry.domain == "event")
        and state.state != "unknown"
        else state.state,
        "attributes": dict(state.attributes),
    }


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
    # Cycle bookkeeping and the "Last like" event entity would repeat themselves
    # in the Activity every cycle and every like (test_logbook.py).
    account = setup_integration.unique_id
    assert {e.unique_id for e in entries if e.disabled_by is not None} == {
        f"{account}_last_like_event",
        f"{account}_next_cycle",
        f"{account}_last_cycle",
        f"{account}_cycle_running",
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
