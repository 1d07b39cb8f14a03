"""Removing the account's entry ends its Instagram session: once, within the gate."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from custom_components.ig_autoliker.const import DOMAIN

from tests.sandbox import Fault
from tests.sandbox.testworld import ALICE

from .conftest import run_cycle

if TYPE_CHECKING:
    import pytest
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from tests.sandbox import World

    from .conftest import FakeClock

LOGOUT = "accounts/logout/"


async def _remove(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    clock: FakeClock,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Remove the entry at the fake clock's time (Home Assistant's clock too)."""
    freezer.move_to(datetime.fromtimestamp(clock.now, UTC))
    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)


def _store_key(entry: MockConfigEntry) -> str:
    return f"{DOMAIN}.{entry.entry_id}"


async def test_removing_the_entry_logs_the_session_out(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    *,
    clock: FakeClock,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """One logout request; the session no longer works on Instagram's side."""
    assert [s for s in world.sessions_of(ALICE.username) if not s.revoked]

    await _remove(hass, setup_integration, clock, freezer)

    assert len(world.requests(LOGOUT, "POST")) == 1
    assert [s for s in world.sessions_of(ALICE.username) if not s.revoked] == []
    assert _store_key(setup_integration) not in hass_storage


async def test_no_logout_while_instagram_asks_to_wait(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    *,
    clock: FakeClock,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """ "Please wait" froze every request: the removal sends none either."""
    # The cycle's first request meets it, whatever the cycle reads or likes first.
    world.faults.add("*", Fault.PLEASE_WAIT)
    world.clear_log()
    await run_cycle(hass, setup_integration)
    assert [r.fault for r in world.requests()] == [Fault.PLEASE_WAIT.value]
    world.clear_log()

    await _remove(hass, setup_integration, clock, freezer)

    assert world.requests() == []
    assert _store_key(setup_integration) not in hass_storage


async def test_an_unreachable_instagram_never_holds_up_the_removal(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    *,
    clock: FakeClock,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The logout fails: the entry and its store are gone all the same, no error."""
    world.faults.add(LOGOUT, Fault.CONNECTION_RESET, times=None)
    caplog.set_level(logging.INFO)

    await _remove(hass, setup_integration, clock, freezer)

    assert hass.config_entries.async_get_entry(setup_integration.entry_id) is None
    assert _store_key(setup_integration) not in hass_storage
    assert "Could not log" in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert ALICE.password not in caplog.text
