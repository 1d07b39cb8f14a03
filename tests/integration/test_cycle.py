"""The liking cycle, as Instagram sees it (the emulator's like log and request log)."""

from __future__ import annotations

import pytest
from custom_components.ig_autoliker.const import (
    CONF_LIKE_POSTS,
    CONF_LIKE_STORIES,
    EVENT_LIKED,
)
from custom_components.ig_autoliker.coordinator import IgAutolikerCoordinator
from custom_components.ig_autoliker.engine.state import STORY_RETENTION
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from tests.sandbox import World
from tests.sandbox.testworld import ALICE, PRIVATE_FOLLOWED, PUBLIC, QUIET

from .conftest import FakeClock, run_cycle


def liked_by_alice(world: World, username: str | None = None) -> list[int]:
    """Media pks Alice liked on Instagram (of one owner, or all), in order."""
    alice = world.user(ALICE.username)
    assert alice is not None
    owner = world.user(username) if username else None
    return [
        like.media_pk
        for like in world.likes
        if like.viewer_pk == alice.pk and (owner is None or like.owner_pk == owner.pk)
    ]


def media_of(world: World, username: str) -> set[int]:
    """Every live story and post of a user."""
    user = world.user(username)
    assert user is not None
    return {m.pk for m in world.stories_of(user.pk)} | {
        m.pk for m in world.posts_of(user.pk)
    }


def coordinator_of(entry: MockConfigEntry) -> IgAutolikerCoordinator:
    """The entry's coordinator."""
    return entry.runtime_data


async def test_cycle_likes_every_unliked_story_and_post_once(
    hass: HomeAssistant, setup_integration: MockConfigEntry, world: World
) -> None:
    events = async_capture_events(hass, EVENT_LIKED)

    await run_cycle(hass, setup_integration)

    assert set(liked_by_alice(world, PUBLIC)) == media_of(world, PUBLIC)
    assert set(liked_by_alice(world, PRIVATE_FOLLOWED)) == media_of(
        world, PRIVATE_FOLLOWED
    )
    assert len(liked_by_alice(world)) == len(set(liked_by_alice(world)))
    assert {event.data["kind"] for event in events} == {
        "story",
        "photo",
        "album",
        "reel",
    }
    assert len(events) == len(liked_by_alice(world))
    # Stories are liked through seen + send_story_like with media_id <pk>_<owner pk>.
    assert world.count("story_interactions/send_story_like") == 3
    assert world.count("v2/media/seen/") == 3


async def test_oldest_first_and_already_liked_items_are_skipped(
    hass: HomeAssistant, setup_integration: MockConfigEntry, world: World
) -> None:
    public = world.user(PUBLIC)
    assert public is not None
    # Oldest first while in time (a post's first 24 h), then the older ones.
    oldest_first = list(reversed(world.posts_of(public.pk)))
    day_ago = world.clock.now() - 24 * 3600
    expected = [p for p in oldest_first if p.taken_at > day_ago] + [
        p for p in oldest_first if p.taken_at <= day_ago
    ]
    liked_by_hand = world.add_post(PUBLIC, "photo", liked_by=(ALICE.username,))

    await run_cycle(hass, setup_integration)

    liked_posts = [
        pk for pk in liked_by_alice(world, PUBLIC) if world.media(pk).kind != "story"
    ]
    assert liked_posts == [post.pk for post in expected]
    assert liked_by_hand.pk not in liked_posts
    # Remembered as liked, so the next cycle does not even consider it.
    assert str(liked_by_hand.pk) in coordinator_of(setup_integration).stored.liked_posts


async def test_second_cycle_without_new_content_likes_nothing_within_budget(
    hass: HomeAssistant, setup_integration: MockConfigEntry, world: World
) -> None:
    await run_cycle(hass, setup_integration)
    likes = len(world.likes)
    world.clear_log()

    await run_cycle(hass, setup_integration)

    assert len(world.likes) == likes
    # Two targets x (stories + posts) + one shared reels-tray request at the most.
    assert len(world.requests()) <= 2 * 2 + 1
    assert world.count("accounts/login/") == 0
    assert world.count("graphql_www") == 0
    assert all(record.host != "www.instagram.com" for record in world.requests())


async def test_new_content_is_liked_in_the_next_cycle(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    clock: FakeClock,
) -> None:
    await run_cycle(hass, setup_integration)
    clock.advance(3600)
    story = world.add_story(PUBLIC)
    reel = world.add_post(PUBLIC, "reel")

    await run_cycle(hass, setup_integration)

    assert liked_by_alice(world)[-2:] == [story.pk, reel.pk]


async def test_stories_are_forgotten_24_hours_after_their_like_posts_are_kept(
    hass: HomeAssistant, setup_integration: MockConfigEntry, clock: FakeClock
) -> None:
    coordinator = coordinator_of(setup_integration)
    await run_cycle(hass, setup_integration)
    stories = dict(coordinator.stored.liked_stories)
    posts = dict(coordinator.stored.liked_posts)
    assert len(stories) == 3
    assert len(posts) == 6

    # Against the like times: a cycle's jittered pauses make its length vary.
    clock.now = min(stories.values()) + STORY_RETENTION - 1
    await run_cycle(hass, setup_integration)
    assert coordinator.stored.liked_stories == stories

    clock.now = max(clock.now, max(stories.values()) + STORY_RETENTION) + 1
    await run_cycle(hass, setup_integration)
    assert coordinator.stored.liked_stories == {}
    assert coordinator.stored.liked_posts == posts


@pytest.mark.parametrize("targets", [[QUIET]])
async def test_kind_switches_are_read_from_the_subentry(
    hass: HomeAssistant, setup_integration: MockConfigEntry, world: World
) -> None:
    subentry = next(iter(setup_integration.subentries.values()))
    hass.config_entries.async_update_subentry(
        setup_integration,
        subentry,
        data={**subentry.data, CONF_LIKE_STORIES: False, CONF_LIKE_POSTS: True},
    )
    await hass.async_block_till_done()
    world.add_story(QUIET)
    post = world.add_post(QUIET, "album")
    world.clear_log()

    await run_cycle(hass, setup_integration)

    assert liked_by_alice(world, QUIET) == [post.pk]
    assert world.count("feed/user/*/story/") == 0
