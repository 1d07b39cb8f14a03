"""Mid-cycle progress writes only what changed; everything once at the end."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

import pytest
from custom_components.ig_autoliker.const import CONF_ENABLED
from homeassistant.const import EVENT_STATE_CHANGED, EVENT_STATE_REPORTED
from homeassistant.core import Event, callback
from homeassistant.helpers import entity_registry as er

from tests.sandbox.testworld import PRIVATE_FOLLOWED, PUBLIC, QUIET

from .conftest import run_cycle

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from tests.sandbox import World


@pytest.mark.parametrize("targets", [[PUBLIC, PRIVATE_FOLLOWED, QUIET]])
async def test_progress_writes_only_the_visited_target_and_what_changed(
    hass: HomeAssistant, setup_integration: MockConfigEntry, world: World
) -> None:
    """A target not visited is not written; an unchanged account value only once."""
    quiet = next(
        sub for sub in setup_integration.subentries.values() if sub.title == QUIET
    )
    hass.config_entries.async_update_subentry(
        setup_integration, quiet, data={**quiet.data, CONF_ENABLED: False}
    )
    await hass.async_block_till_done()
    writes: Counter[str] = Counter()

    @callback
    def _written(event: Event) -> None:
        writes[event.data["entity_id"]] += 1

    hass.bus.async_listen(EVENT_STATE_CHANGED, _written)
    hass.bus.async_listen(
        EVENT_STATE_REPORTED, _written, event_filter=callback(lambda _data: True)
    )
    registry = er.async_get(hass)
    entities = er.async_entries_for_config_entry(registry, setup_integration.entry_id)
    quiet_entities = [
        e.entity_id for e in entities if e.config_subentry_id == quiet.subentry_id
    ]
    session_health = next(
        e.entity_id for e in entities if e.unique_id.endswith("_session_health")
    )

    await run_cycle(hass, setup_integration)

    assert world.likes  # the cycle did visit and like the two others
    assert len(quiet_entities) == 9
    assert [writes[entity] for entity in quiet_entities] == [0] * 9
    assert writes[session_health] == 1  # the refresh's one full update
    # The visited targets' likes did show mid-cycle.
    likes_today = next(
        e.entity_id for e in entities if e.unique_id.endswith("_likes_today")
    )
    assert writes[likes_today] >= 2
