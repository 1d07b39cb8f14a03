"""Live states: the entities change within seconds of their cause, not at a cycle.

Each test moves the fake clock (or makes the change a user makes) and reads the
states right after, with no cycle run in between: the active hours ending, the
options changed, a new-target check and a target switched on starting and ending.
The other causes have their own tests: the active hours beginning
(test_safety.py, `test_the_morning_shows_at_once_...`), a freeze and a backoff
ending and the warm-up's end (test_truth.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from custom_components.ig_autoliker.const import (
    CONF_ACTIVE_END,
    CONF_ACTIVE_START,
    CONF_ENABLED,
    CONF_MAX_LIKES_HOUR,
    SUBENTRY_TYPE_TARGET,
)
from homeassistant.config_entries import ConfigSubentry
from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import Event, HomeAssistant, callback

from tests.sandbox.testworld import PUBLIC, QUIET
from tests.test_config_flow import form_answer, option_values

from .conftest import SAFETY_OFF, FakeClock, run_cycle, target_subentry
from .test_controls import entity_id
from .test_cycle import coordinator_of, liked_by_alice
from .test_safety import berlin
from .test_truth import at

if TYPE_CHECKING:
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from tests.sandbox import World

RUNNING = ("binary_sensor", "cycle_running")


@pytest.fixture(autouse=True)
async def time_zone(hass: HomeAssistant) -> None:
    """Active hours are local: Berlin, as in test_safety.py."""
    await hass.config.async_set_time_zone("Europe/Berlin")


@pytest.fixture
def clock_start() -> float:
    """A Tuesday 10:00 in Berlin, inside every test's active hours."""
    return berlin(2026, 12, 1, 10)


def states_of(hass: HomeAssistant, entity: str) -> list[str]:
    """Every state `entity` takes from now on, in order."""
    seen: list[str] = []

    @callback
    def _track(event: Event[Any]) -> None:
        if event.data["entity_id"] == entity and event.data["new_state"] is not None:
            seen.append(event.data["new_state"].state)

    hass.bus.async_listen("state_changed", _track)
    return seen


@pytest.mark.parametrize(
    "entry_options", [{**SAFETY_OFF, CONF_ACTIVE_START: 8, CONF_ACTIVE_END: 23}]
)
@pytest.mark.parametrize("clock_start", [berlin(2026, 12, 1, 22, 30)])
async def test_the_evening_shows_at_once(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    clock: FakeClock,
) -> None:
    """At 23:00 "Rate-limit state" reads "sleeping", with no cycle and no request."""
    rate = entity_id(hass, "sensor", f"{setup_integration.unique_id}_rate_limit_state")
    assert hass.states.get(rate).state == "ok"  # type: ignore[union-attr]
    world.clear_log()

    await at(hass, clock, berlin(2026, 12, 1, 23))

    assert hass.states.get(rate).state == "sleeping"  # type: ignore[union-attr]
    assert world.requests() == []


@pytest.mark.parametrize("entry_options", [SAFETY_OFF])
async def test_likes_per_hour_lowered_below_this_hours_likes_show_at_once(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
) -> None:
    """6 likes this hour, the limit set to 5 in the options: "throttled" at once."""
    account = setup_integration.unique_id
    rate = entity_id(hass, "sensor", f"{account}_rate_limit_state")
    limit = entity_id(hass, "sensor", f"{account}_effective_likes_per_hour")
    await run_cycle(hass, setup_integration)
    likes = len(liked_by_alice(world))
    assert likes > 5
    assert hass.states.get(rate).state == "ok"  # type: ignore[union-attr]

    flow = await hass.config_entries.options.async_init(setup_integration.entry_id)
    await hass.config_entries.options.async_configure(
        flow["flow_id"],
        form_answer(option_values(**{**SAFETY_OFF, CONF_MAX_LIKES_HOUR: 5})),
    )
    await hass.async_block_till_done()

    state = hass.states.get(rate)
    assert state is not None
    assert state.state == "throttled"
    assert state.attributes["likes_per_hour_limit"] == 5
    assert hass.states.get(limit).state == "5"  # type: ignore[union-attr]
    assert hass.states.get(  # type: ignore[union-attr]
        entity_id(hass, "sensor", f"{account}_likes_this_hour")
    ).state == str(likes)
    assert len(liked_by_alice(world)) == likes  # nothing more was liked


@pytest.mark.parametrize("enabled_entities", [[RUNNING]])
async def test_cycle_running_follows_a_new_targets_check(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    clock: FakeClock,
) -> None:
    """A target added between cycles: "Running" while it is checked, then "Not"."""
    running = entity_id(hass, RUNNING[0], f"{setup_integration.unique_id}_{RUNNING[1]}")
    await run_cycle(hass, setup_integration)
    clock.advance(600)  # the next cycle is 50 minutes away
    world.add_story(QUIET, age=60)
    seen = states_of(hass, running)
    data = target_subentry(world, QUIET)

    hass.config_entries.async_add_subentry(
        setup_integration,
        ConfigSubentry(
            data=data["data"],
            subentry_type=SUBENTRY_TYPE_TARGET,
            title=QUIET,
            unique_id=data["unique_id"],
        ),
    )
    await hass.async_block_till_done(wait_background_tasks=True)

    assert liked_by_alice(world, QUIET)  # the check ran and liked
    assert seen == [STATE_ON, STATE_OFF]
    assert coordinator_of(setup_integration).engine.busy is False


@pytest.mark.parametrize("enabled_entities", [[RUNNING]])
async def test_cycle_running_follows_a_target_switched_on(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    clock: FakeClock,
) -> None:
    """Off, then on again: "Running" while it is checked, then "Not running"."""
    running = entity_id(hass, RUNNING[0], f"{setup_integration.unique_id}_{RUNNING[1]}")
    subentry = next(
        s for s in setup_integration.subentries.values() if s.title == PUBLIC
    )
    hass.config_entries.async_update_subentry(
        setup_integration, subentry, data={**subentry.data, CONF_ENABLED: False}
    )
    await hass.async_block_till_done()
    await run_cycle(hass, setup_integration)
    assert liked_by_alice(world, PUBLIC) == []
    clock.advance(900)
    seen = states_of(hass, running)

    hass.config_entries.async_update_subentry(
        setup_integration, subentry, data={**subentry.data, CONF_ENABLED: True}
    )
    await hass.async_block_till_done(wait_background_tasks=True)

    assert liked_by_alice(world, PUBLIC)  # the check ran and liked
    assert seen == [STATE_ON, STATE_OFF]
    assert coordinator_of(setup_integration).engine.busy is False
