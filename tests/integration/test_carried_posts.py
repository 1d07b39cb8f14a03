"""A post a cycle fetched but could not like is liked later without a new poll."""

from __future__ import annotations

import pytest
from custom_components.ig_autoliker.const import (
    CONF_CYCLE_INTERVAL,
    CONF_MAX_LIKES_HOUR,
)
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from tests.sandbox import World
from tests.sandbox.testworld import ALICE

from .conftest import SAFETY_OFF, FakeClock, run_cycle
from .test_cycle import liked_by_alice

NAMES = ("poster_a", "poster_b", "poster_c")


@pytest.fixture
def targets(world: World) -> list[str]:
    """Three followed accounts with one post each (two hours old), no story."""
    for name in NAMES:
        world.add_target(name, followed_by=(ALICE.username,))
        world.add_post(name, "photo", age=7200)
    return list(NAMES)


@pytest.fixture
def entry_options() -> dict[str, int]:
    """Two likes an hour; post feeds read every four hours."""
    return {**SAFETY_OFF, CONF_MAX_LIKES_HOUR: 2, CONF_CYCLE_INTERVAL: 240}


async def test_a_post_left_by_the_like_limit_is_liked_an_hour_later_unpolled(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    clock: FakeClock,
) -> None:
    await run_cycle(hass, setup_integration)
    # The hour's two likes went to two of the three posts.
    assert len(liked_by_alice(world)) == 2
    [left] = [name for name in NAMES if not liked_by_alice(world, name)]
    owner = world.user(left)
    assert owner is not None

    clock.advance(61 * 60)
    world.clear_log()
    await run_cycle(hass, setup_integration)

    # The like window has room again; the post feeds are not due for three
    # hours: the post fetched an hour ago is liked, its feed is not read again.
    assert len(liked_by_alice(world, left)) == 1
    assert len(liked_by_alice(world)) == 3
    assert world.count(f"feed/user/{owner.pk}/") == 0
