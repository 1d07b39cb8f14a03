"""The logbook, with Home Assistant's recorder: what its pages list for the account."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from custom_components.ig_autoliker.const import DOMAIN, EVENT_LIKED
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from .conftest import run_cycle
from .test_activity import capture
from .test_controls import entity_id

if TYPE_CHECKING:
    from homeassistant.components.recorder import Recorder
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from pytest_homeassistant_custom_component.typing import WebSocketGenerator


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_mock: Recorder, enable_custom_integrations: None
) -> None:
    """The recorder starts before Home Assistant (its fixture insists on it)."""


async def test_the_logbook_lists_the_likes_for_the_accounts_entities(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    setup_integration: MockConfigEntry,
) -> None:
    """The logbook page filtered by the account device asks for its entities."""
    assert await async_setup_component(hass, "logbook", {})
    events = capture(hass)
    await run_cycle(hass, setup_integration)
    await async_wait_recording_done(hass)
    last_like = entity_id(
        hass, "event", f"{setup_integration.unique_id}_last_like_event"
    )
    likes = [event for event in events if event.event_type == EVENT_LIKED]
    assert {event.data["entity_id"] for event in likes} == {last_like}

    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {
            "type": "logbook/get_events",
            "start_time": dt_util.utcnow().replace(year=2000).isoformat(),
            "entity_ids": [last_like],
        }
    )
    answer = await client.receive_json()
    assert answer["success"]
    rows = [row for row in answer["result"] if row.get("domain") == DOMAIN]
    assert {row["icon"] for row in rows} == {"mdi:heart-plus"}
    liked = [row["message"] for row in rows]
    assert liked == [
        f"liked {event.data['target']}'s {event.data['kind']}" for event in likes
    ]
