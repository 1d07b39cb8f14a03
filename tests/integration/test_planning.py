"""What the planner costs on the wire: quiet cycles, the tray, friendship lookups."""

from __future__ import annotations

import pytest
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from tests.sandbox import World
from tests.sandbox.testworld import ALICE, PUBLIC, QUIET

from .conftest import FakeClock, run_cycle
from .test_cycle import coordinator_of, liked_by_alice

FRIENDS = 15


@pytest.fixture
def targets(world: World) -> list[str]:
    """Fifteen followed accounts with a story and a post each, and one stranger."""
    names = [f"friend_{index}" for index in range(FRIENDS)]
    for name in names:
        world.add_target(name, followed_by=(ALICE.username,))
        world.add_story(name, age=3600)
        world.add_post(name, "photo", age=7200)
    return names


def feed_requests(world: World) -> dict[str, int]:
    return {
        "tray": world.count("feed/reels_tray/"),
        "stories": world.count("feed/user/*/story/"),
        "posts": world.count("feed/user/*/") - world.count("feed/user/*/story/"),
        "friendships": world.count("friendships/show/*/"),
        "all": len(world.requests()),
    }


async def test_a_quiet_cycle_costs_the_tray_and_one_post_feed_per_target(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    clock: FakeClock,
) -> None:
    await run_cycle(hass, setup_integration)
    assert len(liked_by_alice(world)) == 2 * FRIENDS
    clock.advance(3600)
    world.clear_log()

    await run_cycle(hass, setup_integration)

    # The tray shows nothing newer than what was liked: no story feed is fetched.
    assert feed_requests(world) == {
        "tray": 1,
        "stories": 0,
        "posts": FRIENDS,
        "friendships": 0,
        "all": 1 + FRIENDS,
    }


async def test_after_every_story_expired_a_quiet_cycle_costs_no_more(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    clock: FakeClock,
) -> None:
    await run_cycle(hass, setup_integration)
    clock.advance(25 * 3600)  # every story has expired: the tray is empty
    await run_cycle(hass, setup_integration)
    clock.advance(3600)
    world.clear_log()

    await run_cycle(hass, setup_integration)

    # Followed targets absent from the tray have no live story: not fetched.
    assert feed_requests(world) == {
        "tray": 1,
        "stories": 0,
        "posts": FRIENDS,
        "friendships": 0,
        "all": 1 + FRIENDS,
    }


async def test_a_new_story_costs_one_story_feed_and_is_liked(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    clock: FakeClock,
) -> None:
    await run_cycle(hass, setup_integration)
    clock.advance(3600)
    story = world.add_story("friend_7")
    world.clear_log()

    await run_cycle(hass, setup_integration)

    assert liked_by_alice(world)[-1] == story.pk
    assert world.count("feed/user/*/story/") == 1


@pytest.mark.parametrize("targets", [[QUIET, PUBLIC]])
async def test_a_target_never_in_the_tray_is_asked_about_once_then_polled(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    clock: FakeClock,
) -> None:
    await run_cycle(hass, setup_integration)
    quiet = world.user(QUIET)
    assert quiet is not None
    state = coordinator_of(setup_integration).stored.target(str(quiet.pk))
    assert state.followed is False  # Alice does not follow it: never in her tray
    assert world.count("friendships/show/*/") == 1
    clock.advance(3600)
    world.clear_log()

    await run_cycle(hass, setup_integration)

    assert world.count("friendships/show/*/") == 0
    assert world.count(f"feed/user/{quiet.pk}/story/") == 1


async def test_the_stories_of_several_tray_targets_come_in_one_batched_request(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    clock: FakeClock,
    targets: list[str],
) -> None:
    await run_cycle(hass, setup_integration)

    # Fifteen followed targets with a story: one feed/reels_media/ for all.
    [batch] = world.requests("feed/reels_media/")
    assert batch.method == "POST"
    assert batch.batch == FRIENDS
    assert world.count("feed/user/*/story/") == 0
    stories = set()
    for name in targets:
        user = world.user(name)
        assert user is not None
        stories |= {story.pk for story in world.stories_of(user.pk)}
    assert len(stories) == FRIENDS
    assert stories <= set(liked_by_alice(world))

    clock.advance(3600)
    fresh = [world.add_story(f"friend_{index}") for index in (2, 5, 11)]
    world.clear_log()
    await run_cycle(hass, setup_integration)

    # Only the three with a newer story in the tray are asked for, together.
    [batch] = world.requests("feed/reels_media/")
    assert batch.batch == len(fresh)
    assert world.count("feed/user/*/story/") == 0
    assert {story.pk for story in fresh} <= set(liked_by_alice(world))


async def test_a_quarter_hour_later_the_tray_alone_finds_and_likes_a_new_story(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    clock: FakeClock,
    targets: list[str],
) -> None:
    await run_cycle(hass, setup_integration)
    clock.advance(15 * 60)
    fresh = world.add_story("friend_4")
    world.clear_log()

    await run_cycle(hass, setup_integration)

    # One tray read and one story read (its feed: one target alone needs no
    # batch); the post feeds wait for the hour (one
    # may be read to see whether the last cycle's likes stuck, `silent.py`).
    assert feed_requests(world)["tray"] == 1
    assert feed_requests(world)["posts"] <= 1
    assert feed_requests(world)["stories"] == 1
    assert fresh.pk in liked_by_alice(world)
