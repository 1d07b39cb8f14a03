"""The logbook, with Home Assistant's recorder: what the account's Activity lists.

The account device's page asks the logbook for the device and all its entities
(the frontend's `ha-logbook` with `entityIds` and `deviceIds`); `activity` asks
the same. One like is one row; cycles, refused presses and bookkeeping add none.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from custom_components.ig_autoliker.const import DOMAIN, EVENT_LIKED, SERVICE_RUN_CYCLE
from homeassistant.components.button import DOMAIN as BUTTON_DOMAIN
from homeassistant.components.button import SERVICE_PRESS
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from .conftest import run_cycle
from .test_activity import account_device, capture
from .test_controls import _switch, entity_id

if TYPE_CHECKING:
    from homeassistant.components.recorder import Recorder
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from pytest_homeassistant_custom_component.typing import WebSocketGenerator

#: Before any test's fixed start (tests/timebase.py): the logbook's whole history.
SINCE = "2000-01-01T00:00:00+00:00"

#: What a like reads in each language, per kind (translations/*.json).
LIKED = {
    "en": {
        "story": "liked {}'s story",
        "photo": "liked {}'s photo",
        "album": "liked {}'s album",
        "reel": "liked {}'s reel",
    },
    "de": {
        "story": "hat die Story von {} gelikt",
        "photo": "hat das Foto von {} gelikt",
        "album": "hat das Album von {} gelikt",
        "reel": "hat das Reel von {} gelikt",
    },
}


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_mock: Recorder, enable_custom_integrations: None
) -> None:
    """The recorder starts before Home Assistant (its fixture insists on it)."""


async def activity(
    hass: HomeAssistant, ws: WebSocketGenerator, entry: MockConfigEntry
) -> list[dict[str, Any]]:
    """The rows of the account device's Activity, oldest first, as its page asks."""
    await hass.async_block_till_done()
    await async_wait_recording_done(hass)
    device = account_device(hass, entry)
    entities = er.async_entries_for_device(
        er.async_get(hass), device, include_disabled_entities=True
    )
    client = await ws(hass)
    await client.send_json_auto_id(
        {
            "type": "logbook/get_events",
            "start_time": SINCE,
            "entity_ids": [entity.entity_id for entity in entities],
            "device_ids": [device],
        }
    )
    answer = await client.receive_json()
    assert answer["success"]
    rows: list[dict[str, Any]] = answer["result"]
    return rows


def expected_likes(
    hass: HomeAssistant, entry: MockConfigEntry, likes: list[Any], language: str
) -> list[dict[str, str]]:
    """One row per like: the account, what it liked, a link to the target."""
    return [
        {
            "name": str(entry.title),
            "message": LIKED[language][like.data["kind"]].format(like.data["target"]),
            "entity_id": entity_id(
                hass, "sensor", f"{entry.unique_id}_{like.data['target_pk']}_last_like"
            ),
            "icon": "mdi:heart-plus",
            "domain": DOMAIN,
        }
        for like in likes
    ]


def without_time(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in row.items() if k != "when"} for row in rows]


async def test_each_like_is_one_row_and_a_cycle_adds_no_other(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    setup_integration: MockConfigEntry,
) -> None:
    """A cycle's likes are its only rows: no event entity, no bookkeeping."""
    assert await async_setup_component(hass, "logbook", {})
    events = capture(hass)
    await run_cycle(hass, setup_integration)

    likes = [event for event in events if event.event_type == EVENT_LIKED]
    assert len(likes) >= 2
    rows = await activity(hass, hass_ws_client, setup_integration)
    assert without_time(rows) == expected_likes(hass, setup_integration, likes, "en")
    # The logbook page (no filter) shows no second row for any like either: the
    # target's "Last like" is the row's link, its state changes are the only others.
    client = await hass_ws_client(hass)
    await client.send_json_auto_id({"type": "logbook/get_events", "start_time": SINCE})
    everything = (await client.receive_json())["result"]
    ours = {row["entity_id"] for row in rows}
    assert [row for row in everything if row.get("domain") == DOMAIN] == rows
    assert {row["entity_id"] for row in everything if "domain" not in row} <= ours


async def test_a_cycle_with_nothing_to_like_adds_no_row(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    setup_integration: MockConfigEntry,
) -> None:
    assert await async_setup_component(hass, "logbook", {})
    await run_cycle(hass, setup_integration)
    before = await activity(hass, hass_ws_client, setup_integration)
    events = capture(hass)

    await run_cycle(hass, setup_integration)  # everything is liked already

    assert events == []
    assert await activity(hass, hass_ws_client, setup_integration) == before


async def test_a_refused_press_is_no_pressed_row(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    setup_integration: MockConfigEntry,
) -> None:
    """With Auto-like off, "Run cycle now" is refused and the button keeps its state."""
    assert await async_setup_component(hass, "logbook", {})
    account = setup_integration.unique_id
    button = entity_id(hass, "button", f"{account}_run_cycle")
    await _switch(hass, entity_id(hass, "switch", f"{account}_auto_like"), on=False)
    before = await activity(hass, hass_ws_client, setup_integration)
    state = hass.states.get(button)
    assert state is not None

    with pytest.raises(ServiceValidationError) as refused:
        await hass.services.async_call(
            BUTTON_DOMAIN, SERVICE_PRESS, {ATTR_ENTITY_ID: button}, blocking=True
        )
    assert refused.value.translation_key == "cycle_paused"
    with pytest.raises(ServiceValidationError):
        await hass.services.async_call(DOMAIN, SERVICE_RUN_CYCLE, {}, blocking=True)

    assert hass.states.get(button) == state  # not "Pressed" now
    assert await activity(hass, hass_ws_client, setup_integration) == before


async def test_an_accepted_press_is_one_pressed_row(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    setup_integration: MockConfigEntry,
) -> None:
    """The check before the press does not hide presses that start a cycle."""
    assert await async_setup_component(hass, "logbook", {})
    button = entity_id(hass, "button", f"{setup_integration.unique_id}_run_cycle")
    events = capture(hass)

    await hass.services.async_call(
        BUTTON_DOMAIN, SERVICE_PRESS, {ATTR_ENTITY_ID: button}, blocking=True
    )
    await hass.async_block_till_done(wait_background_tasks=True)  # the cycle

    rows = await activity(hass, hass_ws_client, setup_integration)
    assert rows[0]["entity_id"] == button  # "Pressed"
    likes = [event for event in events if event.event_type == EVENT_LIKED]
    assert likes
    assert without_time(rows[1:]) == expected_likes(
        hass, setup_integration, likes, "en"
    )


@pytest.fixture
def german(hass: HomeAssistant) -> None:
    """Home Assistant set to German before the integration is set up."""
    hass.config.language = "de"


async def test_the_activity_speaks_home_assistants_language(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    german: None,
    setup_integration: MockConfigEntry,
) -> None:
    """German Home Assistant: German rows, from the integration's translations."""
    assert await async_setup_component(hass, "logbook", {})
    events = capture(hass)

    await run_cycle(hass, setup_integration)

    likes = [event for event in events if event.event_type == EVENT_LIKED]
    assert {like.data["kind"] for like in likes} >= {"story", "photo"}
    rows = await activity(hass, hass_ws_client, setup_integration)
    assert without_time(rows) == expected_likes(hass, setup_integration, likes, "de")


async def test_the_activity_follows_a_change_of_language(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    setup_integration: MockConfigEntry,
) -> None:
    """Set to German after the set-up: once the texts are loaded, rows are German."""
    assert await async_setup_component(hass, "logbook", {})
    events = capture(hass)
    await run_cycle(hass, setup_integration)
    likes = [event for event in events if event.event_type == EVENT_LIKED]
    english = expected_likes(hass, setup_integration, likes, "en")
    assert without_time(await activity(hass, hass_ws_client, setup_integration)) == (
        english
    )

    # As the settings page does; the test instance has no bootstrap listener that
    # reloads translations, so the integration's own one is what is under test.
    await hass.config.async_update(language="de")
    await hass.async_block_till_done()

    rows = await activity(hass, hass_ws_client, setup_integration)
    assert without_time(rows) == expected_likes(hass, setup_integration, likes, "de")
