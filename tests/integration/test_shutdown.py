"""Stop, unload and the edges around them: nothing lost, nothing left running."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from unittest.mock import patch

import pytest
from custom_components.ig_autoliker.const import DOMAIN
from custom_components.ig_autoliker.engine.events import SessionHealth
from custom_components.ig_autoliker.engine.ratelimit import Action, Limits, RateLimiter
from custom_components.ig_autoliker.store import StoredData
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from tests.sandbox import Fault, World
from tests.sandbox.testworld import PRIVATE_FOLLOWED, PUBLIC

from .conftest import FakeClock, run_cycle
from .test_cycle import coordinator_of, liked_by_alice

if TYPE_CHECKING:
    from homeassistant.core import Event, EventStateChangedData, HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from tests.sandbox.faults import FaultRule


async def wait_for_call(rule: FaultRule) -> None:
    """Wait (real time) until the emulator received the request the rule delays."""
    for _ in range(200):
        if rule.calls:
            return
        await asyncio.sleep(0.02)
    pytest.fail("the request never reached the emulator")


async def test_stop_while_a_like_is_in_flight_records_it_once(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    clock: FakeClock,
    hass_storage: dict[str, Any],
) -> None:
    """Home Assistant cancels the executor future first; the like still counts."""
    slow_like = world.faults.add("media/*/like/", Fault.TIMEOUT, delay=0.5)
    coordinator_of(setup_integration).async_start_cycle()  # a background task
    await wait_for_call(slow_like)

    await hass.async_stop()

    stored = StoredData.from_dict(
        hass_storage[f"{DOMAIN}.{setup_integration.entry_id}"]["data"]
    )
    liked = liked_by_alice(world)
    posts = [pk for pk in liked if world.media(pk).kind != "story"]
    assert len(posts) == 1  # the one in flight, nothing after it
    assert str(posts[0]) in stored.liked_posts
    public = world.user(PUBLIC)
    assert public is not None
    assert stored.targets[str(public.pk)].posts_liked == 1
    limiter = RateLimiter.from_dict(stored.limiter, Limits(), clock=clock.time)
    assert limiter.count(Action.LIKE, window=86400) == len(liked)
    assert {*stored.liked_stories, *stored.liked_posts} == {str(pk) for pk in liked}


async def test_unload_after_the_stop_event_logs_no_traceback(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
    await hass.async_block_till_done()

    assert await hass.config_entries.async_unload(setup_integration.entry_id)
    await hass.async_block_till_done()

    assert "Unable to remove unknown job listener" not in caplog.text
    assert setup_integration.state is ConfigEntryState.NOT_LOADED


async def test_stop_cancels_a_keep_alive_relogin(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A relogin under way at stop ends with the call in flight; no try follows."""
    world.faults.add("accounts/current_user/", Fault.LOGIN_REQUIRED)
    slow = world.faults.add("bloks/*", Fault.TIMEOUT, delay=0.3)
    refused = world.faults.add("bloks/*", Fault.HTTP_503, times=None)
    clock.advance(31 * 60)
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=6))
    await wait_for_call(slow)

    await hass.async_stop()

    assert refused.fired <= 1  # the try in flight ended; no second try began
    assert "Relogin try 2" not in caplog.text
    assert "still running" not in caplog.text


async def test_first_cycle_timer_while_reauth_is_pending_raises_nothing(
    hass: HomeAssistant, config_entry: MockConfigEntry, world: World, clock: FakeClock
) -> None:
    config_entry.add_to_hass(hass)
    with patch("custom_components.ig_autoliker.async_call_later") as first_cycle:
        assert await hass.config_entries.async_setup(config_entry.entry_id)
        await hass.async_block_till_done()
    coordinator = coordinator_of(config_entry)
    coordinator.engine.session.health = SessionHealth.REAUTH_REQUIRED
    world.clear_log()

    first_cycle.call_args.args[2](None)  # the timer fires
    await hass.async_block_till_done()

    assert world.requests() == []


@pytest.mark.parametrize("targets", [[PUBLIC, PRIVATE_FOLLOWED]])
async def test_a_target_removed_mid_cycle_gets_no_further_request(
    hass: HomeAssistant, setup_integration: MockConfigEntry, world: World
) -> None:
    coordinator = coordinator_of(setup_integration)
    public = world.user(PUBLIC)
    friend = world.user(PRIVATE_FOLLOWED)
    assert public is not None
    assert friend is not None
    original_record = coordinator.engine.media.record_like
    removed_at: list[int] = []

    def record_then_remove(*args: object) -> None:
        original_record(*args)  # type: ignore[arg-type]
        if not removed_at:
            removed_at.append(len(world.requests()))
            for subentry in list(setup_integration.subentries.values()):
                hass.config_entries.async_remove_subentry(
                    setup_integration, subentry.subentry_id
                )

    coordinator.engine.media.record_like = record_then_remove  # type: ignore[method-assign]
    await run_cycle(hass, setup_integration)

    later = world.requests()[removed_at[0] :]
    assert not [r for r in later if r.endpoint.startswith("feed/user/")]
    assert not [r for r in later if "like" in r.endpoint]
    assert len(liked_by_alice(world)) == 1


@pytest.mark.parametrize("targets", [[PUBLIC]])
async def test_a_target_removed_while_its_like_is_in_flight_leaves_no_state(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """
    The user removes a target while Instagram answers a like of its media.

    Its sensors leave with it at once: the like recorded afterwards (counted on the
    account) writes no state for them, which would have no snapshot to show.
    """
    coordinator = coordinator_of(setup_integration)
    sensors = [
        entry.entity_id
        for entry in er.async_entries_for_config_entry(
            er.async_get(hass), setup_integration.entry_id
        )
        if entry.config_subentry_id is not None and entry.domain == "sensor"
    ]
    assert len(sensors) == 4
    original_record = coordinator.engine.media.record_like
    gone: list[str | None] = []
    written: list[Event[EventStateChangedData]] = []

    def remove_then_record(*args: object) -> None:
        if not gone:
            for subentry in list(setup_integration.subentries.values()):
                hass.config_entries.async_remove_subentry(
                    setup_integration, subentry.subentry_id
                )
            gone.extend(entity for entity in sensors if hass.states.get(entity) is None)
            async_track_state_change_event(hass, sensors, written.append)
        original_record(*args)  # type: ignore[arg-type]

    coordinator.engine.media.record_like = remove_then_record  # type: ignore[method-assign]
    await run_cycle(hass, setup_integration)

    assert gone == sensors
    assert written == []
    assert len(liked_by_alice(world)) == 1
    likes_today = hass.states.get(f"sensor.{setup_integration.title}_likes_today")
    assert likes_today is not None
    assert likes_today.state == "1"
    assert not [r for r in caplog.records if r.levelname in {"ERROR", "CRITICAL"}]


def issues_of(hass: HomeAssistant, entry: MockConfigEntry) -> set[str]:
    """The ids of the repair issues this integration shows for `entry`."""
    return {
        issue_id
        for (domain, issue_id) in ir.async_get(hass).issues
        if domain == DOMAIN and entry.entry_id in issue_id
    }


@pytest.mark.parametrize(
    ("endpoint", "fault", "issue"),
    [
        ("feed/user/*", Fault.CHALLENGE_REQUIRED, "challenge_required"),
        ("feed/user/*/", Fault.ACCOUNT_SUSPENDED, "account_suspended"),
        ("media/*/like/", Fault.FEEDBACK_REQUIRED, "action_blocked"),
    ],
)
async def test_removing_the_entry_deletes_every_repair_issue_it_raised(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    *,
    endpoint: str,
    fault: Fault,
    issue: str,
) -> None:
    """A challenge, a suspension or an action block: none outlives the entry."""
    world.faults.add(endpoint, fault)
    await run_cycle(hass, setup_integration)
    raised = issues_of(hass, setup_integration)
    assert any(issue_id.startswith(issue) for issue_id in raised), raised

    await hass.config_entries.async_remove(setup_integration.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert issues_of(hass, setup_integration) == set()
