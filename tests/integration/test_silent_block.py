"""Silent like blocks: likes answered ok that the feeds show unliked.

Instagram answers each like `{"status": "ok"}` as usual and keeps none of them
(tests/sandbox/SOURCES.md, "Silent like blocks"); only the `has_liked` flag of a
later feed read tells. The integration must notice within five likes sent into the
block and then freeze liking as after `feedback_required`.
"""

from __future__ import annotations

from typing import Any

import pytest
from custom_components.ig_autoliker.const import DOMAIN, EVENT_ACTION_BLOCKED
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from tests.sandbox import World
from tests.sandbox.testworld import ALICE, PRIVATE_FOLLOWED, PUBLIC
from tests.sandbox.world import Like

from .conftest import FakeClock, run_cycle
from .test_controls import entity_id, target_pk
from .test_cycle import coordinator_of

HOUR = 3600.0
#: What a like (or the story view before it) costs on the wire.
LIKE_ENDPOINTS = (
    "media/*/like/",
    "story_interactions/send_story_like",
    "v2/media/seen/",
)
#: The like requests themselves (a story's view is not a second like).
LIKES = ("media/*/like/", "story_interactions/send_story_like")


def like_requests(world: World) -> list[Any]:
    """Requests that like or view something."""
    return [r for pattern in LIKE_ENDPOINTS for r in world.requests(pattern)]


def likes_sent(world: World, since: float) -> int:
    """Like requests Instagram received at or after `since`."""
    return sum(r.at >= since for pattern in LIKES for r in world.requests(pattern))


def sensor(hass: HomeAssistant, unique_id: str) -> str:
    state = hass.states.get(entity_id(hass, "sensor", unique_id))
    assert state is not None
    return state.state


def publish(world: World, owner: str, count: int) -> list[int]:
    """`count` new photos of `owner`, newest last; their pks."""
    return [
        world.add_post(owner, "photo", age=600 - 10 * index).pk
        for index in range(count)
    ]


def assert_totals_count_what_stuck(
    hass: HomeAssistant, world: World, account: str | None
) -> None:
    """Each target's "Posts liked" counts the likes Instagram kept, no others."""
    for name in (PUBLIC, PRIVATE_FOLLOWED):
        owner = world.user(name)
        assert owner is not None
        kept = [
            like
            for like in world.likes
            if like.owner_pk == owner.pk and like.kind != "story" and not like.silent
        ]
        posts_liked = f"{account}_{target_pk(world, name)}_posts_liked"
        assert sensor(hass, posts_liked) == str(len(kept))


def silent_notice(hass: HomeAssistant, entry: MockConfigEntry) -> Any:
    """The repair issue of the entry's silent block, or None."""
    return ir.async_get(hass).async_get_issue(
        DOMAIN, f"action_blocked_{entry.entry_id}_silent"
    )


async def block_mid_run(
    hass: HomeAssistant, entry: MockConfigEntry, world: World, clock: FakeClock
) -> tuple[list[Like], set[int]]:
    """
    A healthy cycle, then new posts and a silent block from half a minute into the
    next cycle, run until the integration notices.

    Returns:
        The dropped likes, and the pks of the posts published for the second cycle.

    """
    blocked_events = async_capture_events(hass, EVENT_ACTION_BLOCKED)
    await run_cycle(hass, entry)  # a healthy cycle: everything sticks
    assert world.likes
    assert all(not like.silent for like in world.likes)
    fresh = publish(world, PUBLIC, 6) + publish(world, PRIVATE_FOLLOWED, 10)
    clock.advance(HOUR)
    block = world.silent_block(ALICE.username, since=clock.now + 30)
    await run_cycle(hass, entry)
    if not blocked_events:
        # The cycle ran out of posts before a feed showed enough of them: the
        # next cycle's post feeds do.
        clock.advance(HOUR)
        await run_cycle(hass, entry)
    dropped = [like for like in world.likes if like.dropped]
    assert 3 <= len(dropped) <= 5  # seen three times, at most five likes wasted
    assert likes_sent(world, block.since) == len(dropped)
    assert len(blocked_events) == 1
    return dropped, set(fresh)


async def test_a_silent_block_is_caught_within_five_likes_and_shown(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    clock: FakeClock,
) -> None:
    account = setup_integration.unique_id
    coordinator = coordinator_of(setup_integration)
    events = async_capture_events(hass, EVENT_ACTION_BLOCKED)

    dropped, _fresh = await block_mid_run(hass, setup_integration, world, clock)

    (event,) = events
    until = coordinator.engine.policy.blocked_until
    assert until is not None
    assert event.data["kind"] == "silent"
    assert event.data["message"] == ""
    assert event.data["until"] == dt_util.utc_from_timestamp(until).isoformat()
    frozen_at = until - 12 * HOUR  # the same freeze as after feedback_required
    assert frozen_at >= dropped[-1].at
    assert likes_sent(world, frozen_at) == 0
    notice = silent_notice(hass, setup_integration)
    assert notice is not None
    assert notice.translation_key == "action_blocked_silent"
    assert notice.translation_placeholders["drops"] == "3"
    assert sensor(hass, f"{account}_rate_limit_state") == "blocked"
    alert = hass.states.get("event.alice_instagram_alert")
    assert alert is not None
    assert alert.attributes["event_type"] == "action_blocked"
    assert alert.attributes["kind"] == "silent"
    # A dropped like counts as nothing: not in the ledger, not in the totals.
    dropped_pks = {str(like.media_pk) for like in dropped}
    assert dropped_pks.isdisjoint(coordinator.engine.stored.liked_posts)
    assert_totals_count_what_stuck(hass, world, account)


async def test_no_like_until_the_freeze_ends_then_the_dropped_are_liked_again(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    clock: FakeClock,
) -> None:
    account = setup_integration.unique_id
    coordinator = coordinator_of(setup_integration)
    dropped, fresh = await block_mid_run(hass, setup_integration, world, clock)
    until = coordinator.engine.policy.blocked_until
    assert until is not None
    sent_before = len(world.likes)

    # Eleven hourly cycles into the freeze: not one like or story view goes out,
    # the dropped ones are not retried either.
    world.clear_log()
    for _ in range(11):
        clock.advance(HOUR)
        await run_cycle(hass, setup_integration)
        assert sensor(hass, f"{account}_rate_limit_state") == "blocked"
    assert like_requests(world) == []

    # Instagram lifts the block; after the freeze what was dropped is liked again.
    world.end_silent_block(ALICE.username)
    clock.advance(until + 1 - clock.now)
    await run_cycle(hass, setup_integration)
    kept = {like.media_pk for like in world.likes[sent_before:] if not like.silent}
    assert {like.media_pk for like in dropped} <= kept
    liked_now = {like.media_pk for like in world.likes if not like.silent}
    assert fresh <= liked_now
    assert sensor(hass, f"{account}_rate_limit_state") == "ok"
    assert silent_notice(hass, setup_integration) is None
    assert_totals_count_what_stuck(hass, world, account)


@pytest.mark.parametrize("targets", [[PUBLIC]])
async def test_a_like_taken_back_later_counts_as_dropped(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    clock: FakeClock,
) -> None:
    """Likes kept for ten minutes, then removed: the next cycle's feed tells."""
    account = setup_integration.unique_id
    coordinator = coordinator_of(setup_integration)
    await run_cycle(hass, setup_integration)
    clock.advance(HOUR)
    world.silent_block(ALICE.username, undo_after=600)
    publish(world, PUBLIC, 3)
    await run_cycle(hass, setup_integration)
    assert sensor(hass, f"{account}_rate_limit_state") == "ok"  # the feeds show them
    undone = [like for like in world.likes if like.undone_at is not None]
    assert len(undone) == 3

    clock.advance(HOUR)  # the likes are gone: the post feed shows them unliked
    await run_cycle(hass, setup_integration)

    assert coordinator.engine.policy.active_freezes()[0].kind == "silent"
    assert sensor(hass, f"{account}_rate_limit_state") == "blocked"
    assert {str(like.media_pk) for like in undone}.isdisjoint(
        coordinator.engine.stored.liked_posts
    )
