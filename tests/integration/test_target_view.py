"""The per-target view: "Like now" on the target's device and "Last checked"."""

from __future__ import annotations

from datetime import datetime

import pytest
from custom_components.ig_autoliker.const import (
    CONF_ACTIVE_END,
    CONF_ACTIVE_START,
    EVENT_LIKED,
)
from homeassistant.components.button import DOMAIN as BUTTON_DOMAIN
from homeassistant.components.button import SERVICE_PRESS
from homeassistant.const import ATTR_ENTITY_ID, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from tests.sandbox import World
from tests.sandbox.payloads import shortcode
from tests.sandbox.testworld import PRIVATE_FOLLOWED, PUBLIC

from .conftest import SAFETY_OFF, FakeClock, run_cycle
from .test_controls import _switch, entity_id, target_pk
from .test_cycle import liked_by_alice
from .test_safety import (
    berlin,
    time_zone,  # noqa: F401 - autouse: Berlin, as at night
)


@pytest.fixture
def enabled_entities(world: World) -> list[tuple[str, str]]:
    """ "Last checked" of public_star, enabled as a user does (off by default)."""
    return [("sensor", f"{target_pk(world, PUBLIC)}_last_checked")]


async def press(hass: HomeAssistant, button: str) -> None:
    """Press a button as the frontend does and wait for what it started."""
    await hass.services.async_call(
        BUTTON_DOMAIN, SERVICE_PRESS, {ATTR_ENTITY_ID: button}, blocking=True
    )
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_like_now_checks_only_its_target_and_shows_when(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    clock: FakeClock,
) -> None:
    """A new post of public_star is liked at the press; no other feed is asked."""
    account, pk = setup_integration.unique_id, target_pk(world, PUBLIC)
    await run_cycle(hass, setup_integration)
    checked = entity_id(hass, "sensor", f"{account}_{pk}_last_checked")
    first = hass.states.get(checked)
    assert first is not None
    assert first.state != STATE_UNKNOWN
    liked = len(liked_by_alice(world, PUBLIC))
    world.add_post(PUBLIC, "photo")
    world.clear_log()
    clock.advance(120)  # two minutes after the cycle: no cycle is due

    await press(hass, entity_id(hass, "button", f"{account}_{pk}_like_now"))

    assert len(liked_by_alice(world, PUBLIC)) == liked + 1
    friend = target_pk(world, PRIVATE_FOLLOWED)
    assert not [r for r in world.requests() if friend in r.endpoint]
    state = hass.states.get(checked)
    assert state is not None
    assert datetime.fromisoformat(state.state).timestamp() == pytest.approx(
        clock.now, abs=30
    )
    assert state.state != first.state
    button = hass.states.get(entity_id(hass, "button", f"{account}_{pk}_like_now"))
    assert button is not None
    assert button.state != STATE_UNKNOWN  # the press is recorded


async def test_last_checked_is_off_by_default(
    hass: HomeAssistant, setup_integration: MockConfigEntry, world: World
) -> None:
    """Bookkeeping that changes at every check: enabled by the user, not by us."""
    account = setup_integration.unique_id
    unique_id = f"{account}_{target_pk(world, PRIVATE_FOLLOWED)}_last_checked"
    entry = er.async_get(hass).async_get(entity_id(hass, "sensor", unique_id))
    assert entry is not None
    assert entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION


async def test_like_now_refuses_a_switched_off_target(
    hass: HomeAssistant, setup_integration: MockConfigEntry, world: World
) -> None:
    account, pk = setup_integration.unique_id, target_pk(world, PUBLIC)
    await _switch(hass, entity_id(hass, "switch", f"{account}_{pk}_enabled"), on=False)
    world.clear_log()
    button = entity_id(hass, "button", f"{account}_{pk}_like_now")

    with pytest.raises(ServiceValidationError) as refused:
        await press(hass, button)

    assert refused.value.translation_key == "like_now_switched_off"
    assert PUBLIC in str(refused.value)
    assert world.requests() == []
    assert hass.states.get(button).state == STATE_UNKNOWN  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "entry_options", [{**SAFETY_OFF, CONF_ACTIVE_START: 8, CONF_ACTIVE_END: 23}]
)
@pytest.mark.parametrize("clock_start", [berlin(2026, 12, 1, 3)])
async def test_like_now_at_night_says_when_liking_resumes(
    hass: HomeAssistant, setup_integration: MockConfigEntry, world: World
) -> None:
    """The one gate refuses at 03:00, as for "Run cycle now", with the morning."""
    account, pk = setup_integration.unique_id, target_pk(world, PUBLIC)
    world.clear_log()
    button = entity_id(hass, "button", f"{account}_{pk}_like_now")

    with pytest.raises(ServiceValidationError) as refused:
        await press(hass, button)

    assert refused.value.translation_key == "cycle_sleeping"
    assert "2026-12-01 08:00" in str(refused.value)
    assert world.requests() == []
    assert hass.states.get(button).state == STATE_UNKNOWN  # type: ignore[union-attr]


async def test_last_liked_media_lists_the_latest_likes_with_links(
    hass: HomeAssistant, setup_integration: MockConfigEntry, world: World
) -> None:
    """Stories link to /stories/<name>/<pk>/, posts to /p/<code>/; the event too."""
    account, pk = setup_integration.unique_id, target_pk(world, PUBLIC)
    events = async_capture_events(hass, EVENT_LIKED)
    await run_cycle(hass, setup_integration)

    state = hass.states.get(entity_id(hass, "image", f"{account}_{pk}_last_media"))
    assert state is not None
    recent = state.attributes["recent_likes"]
    assert len(recent) == len(liked_by_alice(world, PUBLIC)) > 0
    assert recent[0]["at"] == state.state  # newest first: the last like
    urls = {like["url"] for like in recent}
    for media in world.stories_of(int(pk)):
        assert f"https://www.instagram.com/stories/{PUBLIC}/{media.pk}/" in urls
    for media in world.posts_of(int(pk)):
        assert f"https://www.instagram.com/p/{shortcode(media.pk)}/" in urls
    assert {
        event.data["url"] for event in events if event.data["target"] == PUBLIC
    } == (urls)


async def test_last_liked_media_keeps_the_ten_latest(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    clock: FakeClock,
) -> None:
    """A busy target: the attribute stays at ten entries, the newest first."""
    account, pk = setup_integration.unique_id, target_pk(world, PUBLIC)
    for _ in range(12):
        world.add_story(PUBLIC, age=60)
    for _ in range(4):
        await run_cycle(hass, setup_integration)
        clock.advance(3600)

    state = hass.states.get(entity_id(hass, "image", f"{account}_{pk}_last_media"))
    assert state is not None
    assert len(liked_by_alice(world, PUBLIC)) > 10
    recent = state.attributes["recent_likes"]
    assert len(recent) == 10
    assert [like["at"] for like in recent] == sorted(
        (like["at"] for like in recent), reverse=True
    )
