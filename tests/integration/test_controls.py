"""What a user does: switches, the button, the action, the repair; what they see."""

from __future__ import annotations

from typing import Any

import pytest
from custom_components.ig_autoliker.const import DOMAIN, SERVICE_RUN_CYCLE
from homeassistant.components.button import DOMAIN as BUTTON_DOMAIN
from homeassistant.components.button import SERVICE_PRESS
from homeassistant.components.switch import DOMAIN as SWITCH_DOMAIN
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.const import (
    ATTR_ENTITY_ID,
    EVENT_STATE_CHANGED,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
)
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from tests.sandbox import Fault, World
from tests.sandbox.testworld import PRIVATE_STRANGER, PUBLIC

from .conftest import FakeClock, flow_sources, run_cycle
from .test_cycle import coordinator_of, liked_by_alice, media_of


def entity_id(hass: HomeAssistant, platform: str, unique_id: str) -> str:
    """The entity id registered for a unique id of this integration."""
    found = er.async_get(hass).async_get_entity_id(platform, DOMAIN, unique_id)
    assert found is not None, unique_id
    return found


def target_pk(world: World, username: str) -> str:
    """A target's pk as the integration stores it."""
    user = world.user(username)
    assert user is not None
    return str(user.pk)


async def _switch(hass: HomeAssistant, entity: str, *, on: bool) -> None:
    await hass.services.async_call(
        SWITCH_DOMAIN,
        SERVICE_TURN_ON if on else SERVICE_TURN_OFF,
        {ATTR_ENTITY_ID: entity},
        blocking=True,
    )
    await hass.async_block_till_done()


async def test_target_enabled_switch_stops_and_resumes_liking(
    hass: HomeAssistant, setup_integration: MockConfigEntry, world: World
) -> None:
    account = setup_integration.unique_id
    enabled = entity_id(hass, "switch", f"{account}_{target_pk(world, PUBLIC)}_enabled")
    await _switch(hass, enabled, on=False)
    assert hass.states.get(enabled).state == STATE_OFF

    await run_cycle(hass, setup_integration)
    assert liked_by_alice(world, PUBLIC) == []

    await _switch(hass, enabled, on=True)
    assert hass.states.get(enabled).state == STATE_ON
    # Switched on, the target is checked at once, without waiting for a cycle.
    await hass.async_block_till_done(wait_background_tasks=True)
    assert set(liked_by_alice(world, PUBLIC)) == media_of(world, PUBLIC)


async def test_auto_like_switch_pauses_everything(
    hass: HomeAssistant, setup_integration: MockConfigEntry, world: World
) -> None:
    account = setup_integration.unique_id
    auto_like = entity_id(hass, "switch", f"{account}_auto_like")
    state_sensor = entity_id(hass, "sensor", f"{account}_rate_limit_state")
    await _switch(hass, auto_like, on=False)
    assert hass.states.get(state_sensor).state == "paused"

    world.clear_log()
    await run_cycle(hass, setup_integration)
    assert world.requests() == []

    await _switch(hass, auto_like, on=True)
    await run_cycle(hass, setup_integration)
    assert hass.states.get(state_sensor).state == "ok"
    assert liked_by_alice(world) != []


async def test_like_posts_switch_is_a_config_switch_on_the_subentry(
    hass: HomeAssistant, setup_integration: MockConfigEntry, world: World
) -> None:
    account = setup_integration.unique_id
    pk = target_pk(world, PUBLIC)
    like_posts = entity_id(hass, "switch", f"{account}_{pk}_like_posts")
    assert er.async_get(hass).async_get(like_posts).entity_category == "config"
    await _switch(hass, like_posts, on=False)

    subentry = next(
        s for s in setup_integration.subentries.values() if s.unique_id == pk
    )
    assert subentry.data["like_posts"] is False
    await run_cycle(hass, setup_integration)
    assert {world.media(m).kind for m in liked_by_alice(world, PUBLIC)} == {"story"}


@pytest.mark.parametrize("enabled_entities", [[("sensor", "last_cycle")]])
async def test_sensors_show_likes_and_progress(
    hass: HomeAssistant, setup_integration: MockConfigEntry, world: World
) -> None:
    account = setup_integration.unique_id
    pk = target_pk(world, PUBLIC)
    await run_cycle(hass, setup_integration)

    total = len(liked_by_alice(world))
    assert hass.states.get(
        entity_id(hass, "sensor", f"{account}_likes_today")
    ).state == str(total)
    assert hass.states.get(
        entity_id(hass, "sensor", f"{account}_likes_this_hour")
    ).state == str(total)
    assert (
        hass.states.get(entity_id(hass, "sensor", f"{account}_session_health")).state
        == "healthy"
    )
    assert (
        hass.states.get(
            entity_id(hass, "sensor", f"{account}_{pk}_stories_liked")
        ).state
        == "2"
    )
    assert (
        hass.states.get(entity_id(hass, "sensor", f"{account}_{pk}_posts_liked")).state
        == "5"
    )
    last_like = hass.states.get(
        entity_id(hass, "image", f"{account}_{pk}_last_media")
    ).state
    assert last_like not in {"unknown", STATE_UNAVAILABLE}
    assert (
        hass.states.get(entity_id(hass, "sensor", f"{account}_last_cycle")).state
        != "unknown"
    )
    problem = entity_id(hass, "binary_sensor", f"{account}_challenge_required")
    assert hass.states.get(problem).state == STATE_OFF


async def test_entities_update_after_each_target_not_only_at_the_end(
    hass: HomeAssistant, setup_integration: MockConfigEntry, world: World
) -> None:
    account = setup_integration.unique_id
    likes_today = entity_id(hass, "sensor", f"{account}_likes_today")
    seen: list[str] = []

    @callback
    def _changed(event: Event[EventStateChangedData]) -> None:
        if event.data["entity_id"] == likes_today and event.data["new_state"]:
            seen.append(event.data["new_state"].state)

    hass.bus.async_listen(EVENT_STATE_CHANGED, _changed)

    await run_cycle(hass, setup_integration)

    assert len(seen) >= 2  # a value after the first target, another at the end


@pytest.mark.parametrize("targets", [[PRIVATE_STRANGER]])
async def test_target_in_error_is_unavailable_but_can_be_switched_off(
    hass: HomeAssistant, setup_integration: MockConfigEntry, world: World
) -> None:
    account = setup_integration.unique_id
    pk = target_pk(world, PRIVATE_STRANGER)
    await run_cycle(hass, setup_integration)

    assert hass.states.get(
        entity_id(hass, "sensor", f"{account}_{pk}_posts_liked")
    ).state == (STATE_UNAVAILABLE)
    assert (
        hass.states.get(entity_id(hass, "switch", f"{account}_{pk}_enabled")).state
        == STATE_ON
    )


async def test_button_and_action_start_a_cycle(
    hass: HomeAssistant, setup_integration: MockConfigEntry, world: World
) -> None:
    button = entity_id(hass, "button", f"{setup_integration.unique_id}_run_cycle")
    await hass.services.async_call(
        BUTTON_DOMAIN, SERVICE_PRESS, {ATTR_ENTITY_ID: button}, blocking=True
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    liked = len(liked_by_alice(world))
    assert liked > 0

    world.add_post(PUBLIC, "photo")
    await hass.services.async_call(
        DOMAIN,
        SERVICE_RUN_CYCLE,
        {"config_entry_id": setup_integration.entry_id},
        blocking=True,
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(liked_by_alice(world)) == liked + 1

    world.add_post(PUBLIC, "reel")
    await hass.services.async_call(DOMAIN, SERVICE_RUN_CYCLE, {}, blocking=True)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(liked_by_alice(world)) == liked + 2


async def test_action_rejects_unknown_and_unloaded_entries(
    hass: HomeAssistant, setup_integration: MockConfigEntry
) -> None:
    with pytest.raises(ServiceValidationError) as unknown:
        await hass.services.async_call(
            DOMAIN, SERVICE_RUN_CYCLE, {"config_entry_id": "nope"}, blocking=True
        )
    assert unknown.value.translation_key == "entry_not_found"

    other = MockConfigEntry(domain=DOMAIN, title="other", unique_id="1")
    other.add_to_hass(hass)
    with pytest.raises(ServiceValidationError) as unloaded:
        await hass.services.async_call(
            DOMAIN,
            SERVICE_RUN_CYCLE,
            {"config_entry_id": other.entry_id},
            blocking=True,
        )
    assert unloaded.value.translation_key == "entry_not_loaded"


async def test_button_refuses_while_a_challenge_is_pending(
    hass: HomeAssistant, setup_integration: MockConfigEntry, world: World
) -> None:
    world.faults.add("feed/user/*/", Fault.CHALLENGE_REQUIRED)
    await run_cycle(hass, setup_integration)
    problem = entity_id(
        hass, "binary_sensor", f"{setup_integration.unique_id}_challenge_required"
    )
    assert hass.states.get(problem).state == STATE_ON

    button = entity_id(hass, "button", f"{setup_integration.unique_id}_run_cycle")
    with pytest.raises(HomeAssistantError) as refused:
        await hass.services.async_call(
            BUTTON_DOMAIN, SERVICE_PRESS, {ATTR_ENTITY_ID: button}, blocking=True
        )
    assert refused.value.translation_key == "reauth_required"


async def test_repair_flow_leads_to_reauth(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    hass_client: Any,
) -> None:
    from custom_components.ig_autoliker.repairs import async_create_fix_flow  # noqa: PLC0415
    from homeassistant.components.repairs import DOMAIN as REPAIRS_DOMAIN  # noqa: PLC0415
    from homeassistant.setup import async_setup_component  # noqa: PLC0415

    assert await async_setup_component(hass, REPAIRS_DOMAIN, {})
    world.faults.add("feed/user/*/", Fault.CHALLENGE_REQUIRED)
    await run_cycle(hass, setup_integration)
    for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN):
        hass.config_entries.flow.async_abort(flow["flow_id"])

    issue_id = f"challenge_required_{setup_integration.entry_id}"
    flow = await async_create_fix_flow(
        hass, issue_id, {"entry_id": setup_integration.entry_id}
    )
    flow.hass = hass
    result = await flow.async_step_init()
    assert result["step_id"] == "confirm"
    result = await flow.async_step_confirm({})
    assert result["type"] == "create_entry"
    await hass.async_block_till_done()
    assert flow_sources(hass) == [SOURCE_REAUTH]


async def test_keep_alive_touches_an_idle_session_only(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    clock: FakeClock,
) -> None:
    coordinator = coordinator_of(setup_integration)
    world.clear_log()
    await coordinator.async_keep_alive()
    assert world.requests() == []  # the login just happened

    clock.advance(31 * 60)
    await coordinator.async_keep_alive()
    assert [r.endpoint for r in world.requests()] == ["accounts/current_user/"]


async def test_keep_alive_relogs_in_when_the_session_expired(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    clock: FakeClock,
) -> None:
    coordinator = coordinator_of(setup_integration)
    world.revoke_sessions(setup_integration.title)
    clock.advance(31 * 60)
    await coordinator.async_keep_alive()
    assert coordinator.data.session_health.value == "healthy"
    assert len(world.sessions_of(setup_integration.title)) >= 2
