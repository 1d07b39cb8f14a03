"""Limits, restarts, stops and Instagram's errors (spec QS-01, QS-02, QS-04, 8.5)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from custom_components.ig_autoliker.const import DOMAIN, EVENT_CHALLENGE_REQUIRED
from custom_components.ig_autoliker.engine.events import SessionHealth
from custom_components.ig_autoliker.engine.ratelimit import Action, Limits
from custom_components.ig_autoliker.store import StoredData
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from tests.sandbox import Fault, World
from tests.sandbox.testworld import (
    ALICE,
    PRIVATE_FOLLOWED,
    PRIVATE_STRANGER,
    PUBLIC,
    QUIET,
)

from .conftest import FakeClock, flow_sources, run_cycle
from .test_cycle import coordinator_of, liked_by_alice, media_of


def max_in_window(times: list[float], window: float) -> int:
    """The most events found in any `window` seconds."""
    times = sorted(times)
    return max(
        (
            sum(1 for other in times[i:] if other - start < window)
            for i, start in enumerate(times)
        ),
        default=0,
    )


@pytest.mark.parametrize("targets", [[QUIET]])
async def test_qs01_hundred_new_items_stay_within_every_limit(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    clock: FakeClock,
) -> None:
    """QS-01: 100 new stories, 40 likes/hour: liked over three cycles, no 429.

    The emulator throttles like Instagram (429 past 45 likes an hour), so a cycle that
    ignored the limit would draw 429s.
    """
    world.like_limit_per_hour = 45
    for _ in range(100):
        world.add_story(QUIET)
    cycles = 0
    while len(liked_by_alice(world, QUIET)) < 100 and cycles < 5:
        await run_cycle(hass, setup_integration)
        cycles += 1
        clock.advance(3600)

    assert cycles == 3
    assert set(liked_by_alice(world, QUIET)) == media_of(world, QUIET)
    like_times = [like.at for like in world.likes]
    assert max_in_window(like_times, 3600) <= 40
    assert max_in_window([r.at for r in world.requests()], 3600) <= 150
    assert all(record.status != 429 for record in world.requests())


async def test_qs02_restart_reuses_the_session(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    hass_storage: dict[str, Any],
) -> None:
    """QS-02: set up again from the saved store: zero login requests."""
    logins = world.count("accounts/login/") + world.count("bloks/*")
    assert logins > 0  # the very first setup logged in
    await run_cycle(hass, setup_integration)
    assert await hass.config_entries.async_unload(setup_integration.entry_id)
    stored = StoredData.from_dict(
        hass_storage[f"{DOMAIN}.{setup_integration.entry_id}"]["data"]
    )
    assert stored.session is not None
    world.clear_log()

    assert await hass.config_entries.async_setup(setup_integration.entry_id)
    await hass.async_block_till_done()
    await run_cycle(hass, setup_integration)

    assert world.count("accounts/login/") == 0
    assert world.count("bloks/*") == 0
    assert world.count("accounts/current_user/") == 1
    # Nothing liked twice across the restart.
    assert len(liked_by_alice(world)) == len(set(liked_by_alice(world)))


async def test_qs04_unload_during_a_like_keeps_the_confirmed_like(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    hass_storage: dict[str, Any],
) -> None:
    """QS-04: the like in flight completes and is stored; the store loads again."""
    slow_like = world.faults.add("media/*/like/", Fault.TIMEOUT, delay=0.5)
    cycle = hass.async_create_task(coordinator_of(setup_integration).async_refresh())
    for _ in range(200):
        if slow_like.calls:
            break
        await asyncio.sleep(0.02)
    assert slow_like.calls == 1

    assert await hass.config_entries.async_unload(setup_integration.entry_id)
    await asyncio.wait([cycle])

    liked_posts = [
        pk for pk in liked_by_alice(world) if world.media(pk).kind != "story"
    ]
    assert len(liked_posts) == 1  # the one in flight, nothing after it
    stored = StoredData.from_dict(
        hass_storage[f"{DOMAIN}.{setup_integration.entry_id}"]["data"]
    )
    assert str(liked_posts[0]) in stored.liked_posts
    assert stored.session is not None
    # An interrupted cycle is not a finished one: after a restart the rest goes on.
    assert stored.last_cycle is None
    assert set(stored.liked_stories) == {
        str(pk) for pk in liked_by_alice(world) if world.media(pk).kind == "story"
    }


async def test_runtime_challenge_stops_everything_and_alerts(
    hass: HomeAssistant, setup_integration: MockConfigEntry, world: World
) -> None:
    events = async_capture_events(hass, EVENT_CHALLENGE_REQUIRED)
    world.faults.add("feed/user/*/", Fault.CHALLENGE_REQUIRED)

    await run_cycle(hass, setup_integration)

    coordinator = coordinator_of(setup_integration)
    assert coordinator.engine.session.health is SessionHealth.CHALLENGE_REQUIRED
    assert coordinator.data.challenge_required
    assert [event.data["username"] for event in events] == [setup_integration.title]
    issue = ir.async_get(hass).async_get_issue(
        DOMAIN, f"challenge_required_{setup_integration.entry_id}"
    )
    assert issue is not None
    assert issue.is_fixable
    assert flow_sources(hass) == [SOURCE_REAUTH]

    world.clear_log()
    await run_cycle(hass, setup_integration)
    await coordinator.async_keep_alive()
    assert world.requests() == []


async def test_login_required_relogs_in_and_goes_on(
    hass: HomeAssistant, setup_integration: MockConfigEntry, world: World
) -> None:
    world.faults.add("feed/user/*/story/", Fault.LOGIN_REQUIRED)

    await run_cycle(hass, setup_integration)

    assert (
        coordinator_of(setup_integration).engine.session.health is SessionHealth.HEALTHY
    )
    assert set(liked_by_alice(world, PUBLIC)) == media_of(world, PUBLIC)


async def test_every_request_instagram_receives_counts_against_the_budget(
    hass: HomeAssistant, setup_integration: MockConfigEntry, world: World
) -> None:
    """A fresh login (about 9 requests) and a relogin count as what they send."""
    coordinator = coordinator_of(setup_integration)
    assert world.login_attempts() == 1  # the entry had no saved session
    assert coordinator.engine.limiter.count(Action.REQUEST) == len(world.requests())

    world.revoke_sessions(ALICE.username)  # the next request meets login_required
    await run_cycle(hass, setup_integration)

    assert world.login_attempts() == 2
    assert coordinator.engine.limiter.count(Action.REQUEST) == len(world.requests())
    assert set(liked_by_alice(world, PUBLIC)) == media_of(world, PUBLIC)


async def test_a_relogin_waits_for_request_budget(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    clock: FakeClock,
) -> None:
    coordinator = coordinator_of(setup_integration)
    limit = coordinator.engine.limiter.limits.max_requests_per_hour
    coordinator.engine.limiter.record(Action.REQUEST, limit - 5 - len(world.requests()))
    world.revoke_sessions(ALICE.username)

    await run_cycle(hass, setup_integration)

    # The first request met login_required; a fresh login would pass the limit.
    assert world.login_attempts() == 1
    assert coordinator.engine.limiter.count(Action.REQUEST) <= limit
    assert liked_by_alice(world, PUBLIC) == []

    clock.advance(3600)
    await run_cycle(hass, setup_integration)
    assert world.login_attempts() == 2
    assert set(liked_by_alice(world, PUBLIC)) == media_of(world, PUBLIC)


async def test_network_errors_are_retried_then_fail_the_update(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    clock: FakeClock,
) -> None:
    flaky = world.faults.add("feed/reels_tray/", Fault.HTTP_503, times=2)
    await run_cycle(hass, setup_integration)
    assert flaky.fired == 2
    assert coordinator_of(setup_integration).last_update_success

    world.faults.add("feed/user/*/", Fault.HTTP_502, times=None)
    await run_cycle(hass, setup_integration)
    coordinator = coordinator_of(setup_integration)
    assert not coordinator.last_update_success
    assert coordinator.last_exception is not None
    assert coordinator.last_exception.translation_key == "cannot_connect"


async def test_throttling_starts_a_backoff_that_skips_requests(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    clock: FakeClock,
) -> None:
    """HTTP 429 backs off (spec 8.5); blocks freeze instead (test_safety.py)."""
    world.faults.add("media/*/like/", Fault.HTTP_429)
    await run_cycle(hass, setup_integration)
    coordinator = coordinator_of(setup_integration)
    assert coordinator.data.rate_limit_state == "backoff"
    assert coordinator.data.backoff_until is not None
    likes = len(world.likes)

    world.clear_log()
    await run_cycle(hass, setup_integration)
    assert world.requests() == []

    clock.advance(61)
    await run_cycle(hass, setup_integration)
    assert len(world.likes) > likes
    assert coordinator.data.rate_limit_state == "ok"


@pytest.mark.parametrize("targets", [[PRIVATE_STRANGER, PUBLIC]])
async def test_a_private_target_is_marked_and_the_others_go_on(
    hass: HomeAssistant, setup_integration: MockConfigEntry, world: World
) -> None:
    await run_cycle(hass, setup_integration)

    stranger = world.user(PRIVATE_STRANGER)
    assert stranger is not None
    coordinator = coordinator_of(setup_integration)
    assert coordinator.data.targets[str(stranger.pk)].error == "private"
    assert coordinator.stored.targets[str(stranger.pk)].error_count == 1
    assert set(liked_by_alice(world, PUBLIC)) == media_of(world, PUBLIC)
    assert liked_by_alice(world, PRIVATE_STRANGER) == []


async def test_wrong_password_at_setup_asks_for_reauth(
    hass: HomeAssistant, config_entry: MockConfigEntry, world: World, clock: FakeClock
) -> None:
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        config_entry, data={**config_entry.data, "password": "wrong"}
    )
    assert not await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert config_entry.state is ConfigEntryState.SETUP_ERROR
    assert flow_sources(hass) == [SOURCE_REAUTH]


async def test_unreachable_instagram_at_setup_retries(
    hass: HomeAssistant, config_entry: MockConfigEntry, world: World, clock: FakeClock
) -> None:
    world.faults.add("*", Fault.HTTP_503, times=None)
    config_entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.SETUP_RETRY


async def test_stories_left_at_a_limit_are_liked_later_even_with_the_tray(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    clock: FakeClock,
) -> None:
    """Two story targets use the reels tray; a limit mid-target must not hide more."""
    coordinator = coordinator_of(setup_integration)
    coordinator.engine.limiter.update_limits(Limits(max_likes_per_hour=1))
    stories = {story.pk for story in world.stories_of(world.user(PUBLIC).pk)}
    assert len(stories) == 2
    world.clear_log()  # the login flow at setup fetched the tray too

    await run_cycle(hass, setup_integration)
    assert world.count("feed/reels_tray/") == 1
    assert len(set(liked_by_alice(world, PUBLIC)) & stories) == 1

    # One like an hour: the story the limit left waits while the posts fetched
    # with it, closer to the end of their first 24 h, go first (carried over
    # from cycle to cycle); the tray hides neither story meanwhile.
    hours = 0
    while set(liked_by_alice(world, PUBLIC)) & stories != stories:
        assert hours < 6, "the story the limit left was never liked"
        clock.advance(3600)
        hours += 1
        await run_cycle(hass, setup_integration)
    assert {s.pk for s in world.stories_of(world.user(PRIVATE_FOLLOWED).pk)} <= set(
        liked_by_alice(world, PRIVATE_FOLLOWED)
    )
