"""What a user sees of the integration's activity: event entities, logbook, feedback."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from custom_components.ig_autoliker import logbook
from custom_components.ig_autoliker.const import (
    DOMAIN,
    EVENT_ACTION_BLOCKED,
    EVENT_CHALLENGE_REQUIRED,
    EVENT_LIKED,
    EVENT_REAUTH_REQUIRED,
    SERVICE_RUN_CYCLE,
)
from homeassistant.components.button import DOMAIN as BUTTON_DOMAIN
from homeassistant.components.button import SERVICE_PRESS
from homeassistant.const import ATTR_ENTITY_ID, STATE_OFF, STATE_ON
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr

from tests.sandbox import Fault, World
from tests.sandbox.testworld import ALICE, PUBLIC

from .conftest import run_cycle
from .test_controls import _switch, entity_id
from .test_cycle import coordinator_of, liked_by_alice
from .test_truth import shown

if TYPE_CHECKING:
    from collections.abc import Callable

    from pytest_homeassistant_custom_component.common import MockConfigEntry

OUR_EVENTS = (
    EVENT_LIKED,
    EVENT_CHALLENGE_REQUIRED,
    EVENT_REAUTH_REQUIRED,
    EVENT_ACTION_BLOCKED,
)


def capture(hass: HomeAssistant) -> list[Event]:
    """Collect the integration's bus events from now on."""
    events: list[Event] = []

    @callback
    def _append(event: Event) -> None:
        # A plain `events.append` would run in the executor, out of order.
        events.append(event)

    for event_type in OUR_EVENTS:
        hass.bus.async_listen(event_type, _append)
    return events


def describe(hass: HomeAssistant, event: Event) -> dict[str, str]:
    """The logbook entry Home Assistant's logbook would show for an event."""
    describers: dict[str, Callable[[Event], dict[str, str]]] = {}

    def _register(
        domain: str, event_type: str, describer: Callable[[Event], dict[str, str]]
    ) -> None:
        assert domain == DOMAIN
        describers[event_type] = describer

    logbook.async_describe_events(hass, _register)
    assert set(describers) == set(OUR_EVENTS)
    return describers[event.event_type](event)


def account_device(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, str(entry.unique_id)), entry.entry_id
    )
    assert device is not None
    return device.id


@pytest.mark.parametrize("enabled_entities", [[("event", "last_like_event")]])
async def test_each_like_is_an_event_a_logbook_entry_and_moves_the_counter(
    hass: HomeAssistant, setup_integration: MockConfigEntry, world: World
) -> None:
    account = setup_integration.unique_id
    events = capture(hass)
    likes_today = entity_id(hass, "sensor", f"{account}_likes_today")
    counts: list[str] = []

    @callback
    def _count(event: Event[Any]) -> None:
        if event.data["entity_id"] == likes_today:
            counts.append(event.data["new_state"].state)

    hass.bus.async_listen("state_changed", _count)

    await run_cycle(hass, setup_integration)

    liked = liked_by_alice(world)
    likes = [event for event in events if event.event_type == EVENT_LIKED]
    assert [event.data["media_pk"] for event in likes] == [str(pk) for pk in liked]
    # One step per like, not one jump at the end of the cycle.
    assert counts == [str(n) for n in range(1, len(liked) + 1)]

    first = likes[0]
    assert first.data["device_id"] == account_device(hass, setup_integration)
    assert first.data["config_entry_id"] == setup_integration.entry_id
    assert describe(hass, first) == {
        "name": ALICE.username,
        "message": f"liked {first.data['target']}'s {first.data['kind']}",
        "icon": "mdi:heart-plus",  # the "Last like" event entity's icon
    }
    # The like is about the target: its "Enabled" switch puts it in the target's
    # Activity (test_logbook.py).
    assert first.data["entity_id"] == entity_id(
        hass, "switch", f"{account}_{first.data['target_pk']}_enabled"
    )
    story = next(event for event in likes if event.data["kind"] == "story")
    assert describe(hass, story)["message"] == f"liked {PUBLIC}'s story"

    last = hass.states.get(entity_id(hass, "event", f"{account}_last_like_event"))
    assert last is not None
    assert last.attributes["event_type"] == likes[-1].data["kind"]
    assert last.attributes["media_pk"] == likes[-1].data["media_pk"]
    assert last.attributes["target"] == likes[-1].data["target"]
    assert "config_entry_id" not in last.attributes


async def test_a_challenge_is_an_alert_event_and_a_logbook_entry(
    hass: HomeAssistant, setup_integration: MockConfigEntry, world: World
) -> None:
    events = capture(hass)
    world.faults.add("feed/user/*/", Fault.CHALLENGE_REQUIRED)

    await run_cycle(hass, setup_integration)

    alert = hass.states.get(
        entity_id(hass, "event", f"{setup_integration.unique_id}_alert")
    )
    assert alert is not None
    assert alert.attributes["event_type"] == "challenge_required"
    assert alert.attributes["username"] == ALICE.username
    challenge = next(e for e in events if e.event_type == EVENT_CHALLENGE_REQUIRED)
    assert "security check" in describe(hass, challenge)["message"]


async def test_a_refused_relogin_is_a_reauth_alert(
    hass: HomeAssistant, setup_integration: MockConfigEntry, world: World
) -> None:
    events = capture(hass)
    world.user(ALICE.username).password = "changed-elsewhere"
    world.revoke_sessions(ALICE.username)

    await run_cycle(hass, setup_integration)

    alert = hass.states.get(
        entity_id(hass, "event", f"{setup_integration.unique_id}_alert")
    )
    assert alert is not None
    assert alert.attributes["event_type"] == "reauth_required"
    reauth = next(e for e in events if e.event_type == EVENT_REAUTH_REQUIRED)
    assert describe(hass, reauth)["message"].startswith("must sign in")


async def test_an_action_block_event_is_an_alert_and_says_until_when(
    hass: HomeAssistant, setup_integration: MockConfigEntry
) -> None:
    # The event as the safety module fires it (kind, until, message).
    data = {
        "config_entry_id": setup_integration.entry_id,
        "kind": "feedback_required",
        "until": "2026-12-02T06:00:00+00:00",
        "message": "We restrict certain activity",
    }
    hass.bus.async_fire(EVENT_ACTION_BLOCKED, data)
    hass.bus.async_fire(EVENT_ACTION_BLOCKED, {**data, "config_entry_id": "other"})
    await hass.async_block_till_done()

    alert = hass.states.get(
        entity_id(hass, "event", f"{setup_integration.unique_id}_alert")
    )
    assert alert is not None
    assert alert.attributes["event_type"] == "action_blocked"
    assert alert.attributes["until"] == data["until"]
    message = describe(hass, Event(EVENT_ACTION_BLOCKED, data))["message"]
    assert message == (
        "was blocked by Instagram from liking (feedback_required) "
        "until 2026-12-02T06:00:00+00:00"
    )


@pytest.mark.parametrize("enabled_entities", [[("binary_sensor", "cycle_running")]])
async def test_cycle_running_is_on_while_the_cycle_works(
    hass: HomeAssistant, setup_integration: MockConfigEntry
) -> None:
    running = entity_id(
        hass, "binary_sensor", f"{setup_integration.unique_id}_cycle_running"
    )
    seen: list[str] = []

    @callback
    def _track(event: Event[Any]) -> None:
        if event.data["entity_id"] == running:
            seen.append(event.data["new_state"].state)

    hass.bus.async_listen("state_changed", _track)
    assert hass.states.get(running).state == STATE_OFF

    await run_cycle(hass, setup_integration)

    assert seen[0] == STATE_ON
    assert seen[-1] == STATE_OFF
    # Home Assistant's own German for a "running" binary sensor that is off is
    # "Außer Betrieb" (out of order); the entity's own state texts say it plainly.
    assert await shown(hass, running, "de") == "Läuft nicht"
    assert await shown(hass, running, "en") == "Not running"


async def _press(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    button = entity_id(hass, "button", f"{entry.unique_id}_run_cycle")
    await hass.services.async_call(
        BUTTON_DOMAIN, SERVICE_PRESS, {ATTR_ENTITY_ID: button}, blocking=True
    )


async def test_run_cycle_refuses_with_a_reason_while_paused(
    hass: HomeAssistant, setup_integration: MockConfigEntry, world: World
) -> None:
    auto_like = entity_id(hass, "switch", f"{setup_integration.unique_id}_auto_like")
    await _switch(hass, auto_like, on=False)

    with pytest.raises(HomeAssistantError) as pressed:
        await _press(hass, setup_integration)
    assert pressed.value.translation_key == "cycle_paused"
    with pytest.raises(HomeAssistantError) as action:
        await hass.services.async_call(DOMAIN, SERVICE_RUN_CYCLE, {}, blocking=True)
    assert action.value.translation_key == "cycle_paused"
    await hass.async_block_till_done(wait_background_tasks=True)
    assert liked_by_alice(world) == []


async def test_run_cycle_refuses_with_the_end_of_the_freeze(
    hass: HomeAssistant, setup_integration: MockConfigEntry, world: World
) -> None:
    world.faults.add("media/*/like/", Fault.FEEDBACK_REQUIRED)
    await run_cycle(hass, setup_integration)
    coordinator = coordinator_of(setup_integration)
    # feedback_required: the safety freeze of likes (or a backoff) is in force.
    assert (
        coordinator.engine.policy.blocked_until
        or coordinator.engine.limiter.backoff_until
    )

    with pytest.raises(HomeAssistantError) as pressed:
        await _press(hass, setup_integration)
    assert pressed.value.translation_key == "cycle_frozen"
    assert pressed.value.translation_placeholders is not None
    assert pressed.value.translation_placeholders["until"]


@pytest.fixture
async def german(hass: HomeAssistant) -> None:
    """Home Assistant set to German before the entry is set up."""
    hass.config.language = "de"


@pytest.mark.usefixtures("german")
async def test_device_models_follow_home_assistants_language(
    hass: HomeAssistant, setup_integration: MockConfigEntry
) -> None:
    devices = dr.async_entries_for_config_entry(
        dr.async_get(hass), setup_integration.entry_id
    )
    assert {device.model for device in devices} == {"Konto", "Zielkonto"}
