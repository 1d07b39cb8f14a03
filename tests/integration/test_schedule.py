"""When checks happen: new targets at once, cycles planned from their start times."""

from __future__ import annotations

import pytest
from custom_components.ig_autoliker.const import CONF_ENABLED, SUBENTRY_TYPE_TARGET
from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry

from tests.sandbox import World
from tests.sandbox.testworld import PUBLIC

from .conftest import FakeClock, run_cycle, target_subentry
from .test_controls import entity_id
from .test_cycle import coordinator_of, liked_by_alice


def first_request_for(world: World, pk: int) -> float:
    """Unix seconds of the first request that fetched one of the user's feeds."""
    return min(r.at for r in world.requests(f"feed/user/{pk}/*"))


async def test_a_new_target_is_checked_within_a_minute(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    clock: FakeClock,
) -> None:
    await run_cycle(hass, setup_integration)
    clock.advance(600)  # the next cycle is 50 minutes away
    newcomer = world.add_target("newcomer", followed_by=("alice",))
    story = world.add_story("newcomer", age=60)
    post = world.add_post("newcomer", "photo", age=120)
    world.clear_log()
    data = target_subentry(world, "newcomer")
    added = clock.now

    hass.config_entries.async_add_subentry(
        setup_integration,
        ConfigSubentry(
            data=data["data"],
            subentry_type=SUBENTRY_TYPE_TARGET,
            title="newcomer",
            unique_id=data["unique_id"],
        ),
    )
    await hass.async_block_till_done(wait_background_tasks=True)

    assert first_request_for(world, newcomer.pk) - added < 60
    assert liked_by_alice(world, "newcomer") == [story.pk, post.pk]
    # Only the newcomer's feeds: the other targets wait for their cycle. A like may
    # first read one feed to see that the earlier likes stuck (silent blocks).
    feeds = [r.endpoint for r in world.requests("feed/*")]
    ours = {f"feed/user/{newcomer.pk}/story/", f"feed/user/{newcomer.pk}/"}
    assert set(feeds) >= ours
    assert len([feed for feed in feeds if feed not in ours]) <= 1


async def test_a_target_switched_on_is_checked_within_a_minute(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    clock: FakeClock,
) -> None:
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
    world.clear_log()
    switched_on = clock.now

    hass.config_entries.async_update_subentry(
        setup_integration, subentry, data={**subentry.data, CONF_ENABLED: True}
    )
    await hass.async_block_till_done(wait_background_tasks=True)

    public = world.user(PUBLIC)
    assert public is not None
    assert first_request_for(world, public.pk) - switched_on < 60
    assert len(liked_by_alice(world, PUBLIC)) == 7  # 2 stories, 5 posts


@pytest.mark.parametrize("enabled_entities", [[("sensor", "next_cycle")]])
async def test_next_cycle_is_planned_from_the_start_of_the_last(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    clock: FakeClock,
) -> None:
    coordinator = coordinator_of(setup_integration)
    started = clock.now

    await run_cycle(hass, setup_integration)

    assert clock.now > started  # the cycle took a while (pauses)
    # A quarter hour from the start (the tray's next read), jittered by +-10 %:
    # never the same minute.
    assert started + 810 <= coordinator.engine.next_cycle_at <= started + 990
    assert coordinator.update_interval is not None
    assert coordinator.update_interval.total_seconds() == pytest.approx(
        coordinator.engine.next_cycle_at - clock.now, abs=1e-3
    )
    sensor = entity_id(hass, "sensor", f"{setup_integration.unique_id}_next_cycle")
    state = hass.states.get(sensor)
    assert state is not None
    shown = dt_util.parse_datetime(state.state)
    assert shown is not None
    assert shown.timestamp() == pytest.approx(coordinator.engine.next_cycle_at, abs=1)


@pytest.mark.parametrize("enabled_entities", [[("sensor", "next_cycle")]])
async def test_next_cycle_is_unknown_while_auto_like_is_off(
    hass: HomeAssistant, setup_integration: MockConfigEntry
) -> None:
    coordinator_of(setup_integration).async_set_auto_like(enabled=False)
    await hass.async_block_till_done()
    sensor = entity_id(hass, "sensor", f"{setup_integration.unique_id}_next_cycle")
    state = hass.states.get(sensor)
    assert state is not None
    assert state.state == "unknown"
