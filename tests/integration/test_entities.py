"""Entity snapshots after one cycle: names, states, classes, units, devices."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

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

from .conftest import run_cycle


@pytest.fixture
def clock_start() -> float:
    """A fixed start, so the timestamps are the same on every run."""
    return datetime(2026, 11, 20, 12, tzinfo=UTC).timestamp()


def entity_view(hass: HomeAssistant, entry: er.RegistryEntry) -> dict[str, Any]:
    """What a user sees of an entity: registry settings, state and attributes."""
    state = hass.states.get(entry.entity_id)
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
        if entry.original_device_class == "timestamp" and state.state != "unknown"
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
    assert all(entry.disabled_by is None for entry in entries)
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
