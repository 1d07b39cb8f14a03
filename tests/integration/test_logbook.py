"""The logbook, with Home Assistant's recorder: what the account's Activity lists.

The account device's page asks the logbook for the device and all its entities
(the frontend's `ha-logbook` with `entityIds` and `deviceIds`); `activity` asks
the same; a target's page and the Activity page filtered by the target ask for
the target. One like is one row in each; cycles, refused presses and bookkeeping
add none.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

import pytest
from custom_components.ig_autoliker.const import DOMAIN, EVENT_LIKED, SERVICE_RUN_CYCLE
from homeassistant.components.button import DOMAIN as BUTTON_DOMAIN
from homeassistant.components.button import SERVICE_PRESS
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from .conftest import run_cycle
from .test_activity import account_device, capture
from .test_controls import _switch, entity_id

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

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


async def logbook_rows(
    hass: HomeAssistant, ws: WebSocketGenerator, **query: list[str]
) -> list[dict[str, Any]]:
    """Every row Home Assistant's logbook API answers for a view, oldest first."""
    await hass.async_block_till_done()
    await async_wait_recording_done(hass)
    client = await ws(hass)
    await client.send_json_auto_id(
        {"type": "logbook/get_events", "start_time": SINCE, **query}
    )
    answer = await client.receive_json()
    assert answer["success"]
    rows: list[dict[str, Any]] = answer["result"]
    return rows


async def device_card(
    hass: HomeAssistant, ws: WebSocketGenerator, device: str
) -> list[dict[str, Any]]:
    """The Activity card of a device's page: the device and all its entities.

    As the frontend's `ha-config-device-page` asks (`entityIds` are every entity
    of the device in the registry, disabled ones too, and `deviceIds` the device).
    """
    entities = er.async_entries_for_device(
        er.async_get(hass), device, include_disabled_entities=True
    )
    return await logbook_rows(
        hass,
        ws,
        entity_ids=[entity.entity_id for entity in entities],
        device_ids=[device],
    )


async def activity_page(
    hass: HomeAssistant, ws: WebSocketGenerator, device: str
) -> list[dict[str, Any]]:
    """The Activity page filtered by a device (the card's arrow, or its picker).

    As the frontend's `ha-panel-logbook` asks: the device resolved to its entities
    that have a state and are not hidden, no `device_ids`.
    """
    entities = er.async_entries_for_device(er.async_get(hass), device)
    return await logbook_rows(
        hass,
        ws,
        entity_ids=[
            entity.entity_id
            for entity in entities
            if hass.states.get(entity.entity_id) is not None and not entity.hidden
        ],
    )


async def activity(
    hass: HomeAssistant, ws: WebSocketGenerator, entry: MockConfigEntry
) -> list[dict[str, Any]]:
    """The rows of the account device's Activity card, oldest first."""
    return await device_card(hass, ws, account_device(hass, entry))


def target_device(hass: HomeAssistant, entry: MockConfigEntry, target_pk: str) -> str:
    """The id of a target's device."""
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, f"{entry.unique_id}_{target_pk}"), entry.entry_id
    )
    assert device is not None
    return device.id


def expected_likes(
    entry: MockConfigEntry, likes: list[Any], language: str
) -> list[dict[str, str]]:
    """One row per like: "<account> liked <target>'s <kind>", the account first."""
    return [
        {
            "name": str(entry.title),
            "message": LIKED[language][like.data["kind"]].format(like.data["target"]),
            "icon": "mdi:heart-plus",
            "domain": DOMAIN,
        }
        for like in likes
    ]


def without_time(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in row.items() if k != "when"} for row in rows]


async def test_each_like_is_one_row_in_every_view_and_a_cycle_adds_no_other(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    setup_integration: MockConfigEntry,
) -> None:
    """A cycle's likes are its only rows: on the Activity page, unfiltered and
    filtered by a target, and on the account's and each target's device page."""
    assert await async_setup_component(hass, "logbook", {})
    entry = setup_integration
    devices = {
        target.pk: target_device(hass, entry, target.pk)
        for target in entry.runtime_data.targets
    }
    views: dict[str, Callable[[], Awaitable[list[dict[str, Any]]]]] = {
        "unfiltered": lambda: logbook_rows(hass, hass_ws_client),
        "account card": lambda: activity(hass, hass_ws_client, entry),
    }
    for pk, device in devices.items():
        views[f"{pk} card"] = partial(device_card, hass, hass_ws_client, device)
        views[f"{pk} page"] = partial(activity_page, hass, hass_ws_client, device)
    before = {view: await rows() for view, rows in views.items()}
    events = capture(hass)

    await run_cycle(hass, entry)

    likes = [event for event in events if event.event_type == EVENT_LIKED]
    assert len(likes) > len({like.data["target_pk"] for like in likes}) >= 2
    for view, rows in views.items():
        pk = view.split()[0]
        theirs = likes
        if pk in devices:  # a target's view: its likes only
            theirs = [like for like in likes if like.data["target_pk"] == pk]
        after = await rows()
        assert after[: len(before[view])] == before[view], view
        assert without_time(after[len(before[view]) :]) == (
            expected_likes(entry, theirs, "en")
        ), view


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
    assert without_time(rows[1:]) == expected_likes(setup_integration, likes, "en")


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
    assert without_time(rows) == expected_likes(setup_integration, likes, "de")


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
    english = expected_likes(setup_integration, likes, "en")
    assert without_time(await activity(hass, hass_ws_client, setup_integration)) == (
        english
    )

    # As the settings page does; the test instance has no bootstrap listener that
    # reloads translations, so the integration's own one is what is under test.
    await hass.config.async_update(language="de")
    await hass.async_block_till_done()

    rows = await activity(hass, hass_ws_client, setup_integration)
    assert without_time(rows) == expected_likes(setup_integration, likes, "de")
