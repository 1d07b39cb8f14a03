"""Account safety against the emulator: freezes, warm-up, active hours, pacing."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any
from unittest.mock import patch
from zoneinfo import ZoneInfo

import pytest
from custom_components.ig_autoliker.const import (
    CONF_ACTIVE_END,
    CONF_ACTIVE_START,
    CONF_BACKLOG_POSTS,
    CONF_LIKE_CURRENT_STORIES,
    CONF_LIKE_POSTS,
    CONF_LIKE_STORIES,
    CONF_MAX_LIKES_TARGET_CYCLE,
    CONF_WARMUP_DAYS,
    DOMAIN,
    EVENT_ACTION_BLOCKED,
    SERVICE_RUN_CYCLE,
    SUBENTRY_TYPE_TARGET,
)
from custom_components.ig_autoliker.engine.exceptions import Refused
from custom_components.ig_autoliker.engine.ratelimit import Limits
from homeassistant.components.button import DOMAIN as BUTTON_DOMAIN
from homeassistant.components.button import SERVICE_PRESS
from homeassistant.config_entries import SOURCE_USER, ConfigSubentry
from homeassistant.const import ATTR_ENTITY_ID, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.translation import async_get_translations
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from tests.sandbox import Fault, World
from tests.sandbox.testworld import ALICE, PRIVATE_FOLLOWED, PUBLIC, QUIET

from .conftest import SAFETY_OFF, FakeClock, run_cycle, target_subentry
from .test_controls import entity_id
from .test_cycle import coordinator_of, liked_by_alice, media_of

BERLIN = ZoneInfo("Europe/Berlin")
HOUR = 3600.0
#: Instagram's wording of a dated action block (instagrapi's
#: `examples/handle_exception.py`; body shape as in tests/sandbox/SOURCES.md).
DATED_MESSAGE = (
    "Based on previous use of this feature, your account has been temporarily "
    "blocked from taking this action. This block will expire on 2026-12-05."
)
DATED_BODY = json.dumps(
    {
        "message": "feedback_required",
        "spam": True,
        "feedback_title": "Action Blocked",
        "feedback_message": DATED_MESSAGE,
        "feedback_url": "repute/report_problem/instagram_like_add/",
        "feedback_appeal_label": "Tell us",
        "feedback_ignore_label": "OK",
        "feedback_action": "report_problem",
        "status": "fail",
    }
).encode()
LIKE_ENDPOINTS = (
    "media/*/like/",
    "story_interactions/send_story_like",
    "v2/media/seen/",
)


def berlin(  # noqa: PLR0917 - a date and a time
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> float:
    return datetime(year, month, day, hour, minute, second, tzinfo=BERLIN).timestamp()


def like_requests(world: World) -> int:
    """Requests that like or view something (what a freeze must stop)."""
    return sum(world.count(pattern) for pattern in LIKE_ENDPOINTS)


def issue(hass: HomeAssistant, entry: MockConfigEntry, kind: str) -> Any:
    return ir.async_get(hass).async_get_issue(
        DOMAIN, f"action_blocked_{entry.entry_id}_{kind}"
    )


@pytest.fixture(autouse=True)
async def time_zone(hass: HomeAssistant) -> None:
    """Active hours and stated dates are local: Berlin for every test here."""
    await hass.config.async_set_time_zone("Europe/Berlin")


@pytest.fixture
def clock_start() -> float:
    """A Tuesday 10:00 in Berlin, inside the default active hours."""
    return berlin(2026, 12, 1, 10)


# -- freezes -----------------------------------------------------------------------


async def test_feedback_required_freezes_likes_until_it_ends(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    clock: FakeClock,
) -> None:
    events = async_capture_events(hass, EVENT_ACTION_BLOCKED)
    world.faults.add("media/*/like/", Fault.FEEDBACK_REQUIRED)
    await run_cycle(hass, setup_integration)
    coordinator = coordinator_of(setup_integration)
    blocked_at = world.requests("media/*/like/")[-1].at
    until = coordinator.engine.policy.blocked_until
    assert until == pytest.approx(blocked_at + 12 * HOUR, abs=1)
    assert coordinator.data.rate_limit_state == "blocked"
    assert coordinator.data.blocked_until == dt_util.utc_from_timestamp(until)
    (event,) = events
    # device_id: the account device, so the logbook shows it in its Activity.
    assert event.data["device_id"] is not None
    assert {k: v for k, v in event.data.items() if k != "device_id"} == {
        "config_entry_id": setup_integration.entry_id,
        "entity_id": "event.alice_instagram_alert",  # the alert event entity
        "username": ALICE.username,
        "kind": "feedback_required",
        "until": dt_util.utc_from_timestamp(until).isoformat(),
        "message": (
            "We restrict certain activity to protect our community. "
            "Tell us if you think we made a mistake."
        ),
    }
    notice = issue(hass, setup_integration, "feedback_required")
    assert notice is not None
    assert not notice.is_fixable
    assert notice.translation_key == "action_blocked_feedback_required"
    local_until = dt_util.as_local(dt_util.utc_from_timestamp(until))
    assert notice.translation_placeholders["until"] == local_until.strftime(
        "%Y-%m-%d %H:%M"
    )
    assert local_until.hour == 22
    state = hass.states.get("sensor.alice_rate_limit_state")
    assert state is not None
    assert state.state == "blocked"

    # Twelve hourly cycles into the block: not one like or story view "to test".
    world.clear_log()
    likes = len(world.likes)
    for _ in range(11):
        clock.advance(HOUR)
        await run_cycle(hass, setup_integration)
        assert coordinator.data.rate_limit_state == "blocked"
    assert like_requests(world) == 0
    assert len(world.likes) == likes

    clock.now = until + 1
    await run_cycle(hass, setup_integration)
    assert len(world.likes) > likes
    assert coordinator.data.rate_limit_state == "ok"
    assert coordinator.data.blocked_until is None
    assert issue(hass, setup_integration, "feedback_required") is None


async def test_a_repeated_feedback_required_doubles_the_freeze(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    clock: FakeClock,
) -> None:
    world.faults.add("media/*/like/", Fault.FEEDBACK_REQUIRED, times=None)
    coordinator = coordinator_of(setup_integration)
    lengths = []
    for _ in range(3):
        await run_cycle(hass, setup_integration)
        until = coordinator.engine.policy.blocked_until
        assert until is not None
        lengths.append(round((until - world.requests("media/*/like/")[-1].at) / HOUR))
        clock.now = until + 1
    assert lengths == [12, 24, 48]
    # One attempt per block, never a loop into it.
    assert world.count("media/*/like/") == 3


async def test_a_dated_feedback_required_lasts_until_instagrams_date(
    hass: HomeAssistant, setup_integration: MockConfigEntry, world: World
) -> None:
    world.faults.add("media/*/like/", Fault.RAW, status=400, body=DATED_BODY)
    await run_cycle(hass, setup_integration)
    freeze = coordinator_of(setup_integration).engine.policy.active_freezes()[0]
    assert freeze.message == DATED_MESSAGE
    assert freeze.until == berlin(2026, 12, 6)  # the whole 5th, local time


async def test_please_wait_freezes_every_request_for_an_hour(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    clock: FakeClock,
) -> None:
    world.faults.add("media/*/like/", Fault.PLEASE_WAIT)
    await run_cycle(hass, setup_integration)
    coordinator = coordinator_of(setup_integration)
    assert coordinator.data.rate_limit_state == "blocked"
    notice = issue(hass, setup_integration, "please_wait")
    assert notice is not None
    assert notice.translation_placeholders["message"] == (
        "Please wait a few minutes before you try again."
    )
    world.clear_log()
    clock.advance(40 * 60)
    await run_cycle(hass, setup_integration)
    await coordinator.async_keep_alive()  # idle for 40 min, yet not one request
    with pytest.raises(Refused) as refused:
        await coordinator.engine.async_resolve_target("someone")
    assert refused.value.reason == "frozen"
    assert refused.value.until == coordinator.engine.policy.blocked_until
    assert world.requests() == []

    clock.advance(21 * 60)
    likes = len(world.likes)
    await run_cycle(hass, setup_integration)
    assert len(world.likes) > likes
    assert issue(hass, setup_integration, "please_wait") is None


async def test_a_freeze_survives_a_restart(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    clock: FakeClock,
) -> None:
    world.faults.add("media/*/like/", Fault.FEEDBACK_REQUIRED)
    await run_cycle(hass, setup_integration)
    until = coordinator_of(setup_integration).engine.policy.blocked_until
    await hass.config_entries.async_unload(setup_integration.entry_id)
    ir.async_delete_issue(
        hass, DOMAIN, f"action_blocked_{setup_integration.entry_id}_feedback_required"
    )
    with patch("custom_components.ig_autoliker.async_call_later"):
        assert await hass.config_entries.async_setup(setup_integration.entry_id)
        await hass.async_block_till_done()
    coordinator = coordinator_of(setup_integration)
    assert coordinator.engine.policy.blocked_until == until
    assert coordinator.data.rate_limit_state == "blocked"
    assert issue(hass, setup_integration, "feedback_required") is not None
    world.clear_log()
    clock.advance(HOUR)
    await run_cycle(hass, setup_integration)
    assert like_requests(world) == 0


# -- warm-up -----------------------------------------------------------------------


@pytest.mark.parametrize("entry_options", [{**SAFETY_OFF, CONF_WARMUP_DAYS: 7}])
async def test_a_new_account_warms_up_and_so_does_one_after_a_freeze(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    clock: FakeClock,
) -> None:
    coordinator = coordinator_of(setup_integration)
    coordinator.engine.limiter.update_limits(
        Limits(max_likes_per_hour=8, max_likes_per_day=160)
    )
    await run_cycle(hass, setup_integration)
    assert len(world.likes) == 2  # 25 % of 8
    state = hass.states.get("sensor.alice_effective_likes_per_hour_limit")
    assert state is not None
    assert state.state == "2"
    assert coordinator.data.effective_likes_per_day == 40

    clock.advance(3.5 * 86400)  # half way: 62.5 %
    await run_cycle(hass, setup_integration)
    assert coordinator.data.effective_likes_per_hour == 5
    assert len(world.likes) == 7

    world.add_post(PUBLIC, "photo")
    world.faults.add("media/*/like/", Fault.FEEDBACK_REQUIRED)
    await hass.async_block_till_done()
    clock.advance(HOUR)
    await run_cycle(hass, setup_integration)
    assert coordinator.data.effective_likes_per_hour == 2  # back to 25 %
    clock.advance(5 * 86400)  # the freeze is long over; no like since
    before = len(world.likes)
    await run_cycle(hass, setup_integration)  # the first like starts the ramp
    assert coordinator.engine.policy.warmup_until == pytest.approx(
        world.likes[before].at + 7 * 86400, abs=1
    )


# -- active hours ------------------------------------------------------------------


@pytest.mark.parametrize(
    "entry_options", [{**SAFETY_OFF, CONF_ACTIVE_START: 8, CONF_ACTIVE_END: 23}]
)
@pytest.mark.parametrize("clock_start", [berlin(2026, 12, 1, 3)])
async def test_no_cycle_outside_the_active_hours(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    clock: FakeClock,
) -> None:
    coordinator = coordinator_of(setup_integration)
    world.clear_log()
    await run_cycle(hass, setup_integration)
    assert world.requests() == []
    assert coordinator.data.rate_limit_state == "sleeping"
    # The next cycle waits for the morning: 08:00 plus up to 10 % of the interval.
    assert coordinator.update_interval is not None
    start = clock.now + coordinator.update_interval.total_seconds()
    assert berlin(2026, 12, 1, 8) <= start <= berlin(2026, 12, 1, 8, 6)
    clock.advance(HOUR)
    await coordinator.async_keep_alive()
    assert world.requests() == []

    clock.now = start
    await run_cycle(hass, setup_integration)
    assert set(liked_by_alice(world)) == media_of(world, PUBLIC) | media_of(
        world, PRIVATE_FOLLOWED
    )


@pytest.mark.parametrize(
    "entry_options", [{**SAFETY_OFF, CONF_ACTIVE_START: 8, CONF_ACTIVE_END: 23}]
)
@pytest.mark.parametrize("clock_start", [berlin(2026, 12, 1, 3)])
async def test_run_cycle_now_at_night_says_when_liking_resumes(
    hass: HomeAssistant, setup_integration: MockConfigEntry, world: World
) -> None:
    """The button at 03:00 is refused with the reason and the morning's start."""
    world.clear_log()
    button = entity_id(hass, "button", f"{setup_integration.unique_id}_run_cycle")

    with pytest.raises(ServiceValidationError) as pressed:
        await hass.services.async_call(
            BUTTON_DOMAIN, SERVICE_PRESS, {ATTR_ENTITY_ID: button}, blocking=True
        )
    with pytest.raises(ServiceValidationError) as action:
        await hass.services.async_call(DOMAIN, SERVICE_RUN_CYCLE, {}, blocking=True)
    await hass.async_block_till_done(wait_background_tasks=True)

    for refused in (pressed.value, action.value):
        assert refused.translation_key == "cycle_sleeping"
        assert refused.translation_placeholders is not None
        assert refused.translation_placeholders["until"] == "2026-12-01 08:00"
        assert "2026-12-01 08:00" in str(refused)
        assert setup_integration.title in str(refused)
    assert world.requests() == []


@pytest.mark.parametrize(
    "entry_options", [{**SAFETY_OFF, CONF_ACTIVE_START: 8, CONF_ACTIVE_END: 23}]
)
@pytest.mark.parametrize("clock_start", [berlin(2026, 12, 1, 3)])
async def test_the_morning_shows_at_once_and_checks_a_target_added_at_night(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    clock: FakeClock,
) -> None:
    """At 08:00 the state leaves "sleeping" and the new target is checked, no cycle."""
    entry = setup_integration
    state = entity_id(hass, "sensor", f"{entry.unique_id}_rate_limit_state")
    assert hass.states.get(state).state == "sleeping"  # type: ignore[union-attr]
    world.clear_log()
    data = target_subentry(world, QUIET)
    hass.config_entries.async_add_subentry(
        entry,
        ConfigSubentry(
            data=data["data"],
            subentry_type=SUBENTRY_TYPE_TARGET,
            title=QUIET,
            unique_id=data["unique_id"],
        ),
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert world.requests() == []  # nothing at night

    morning = berlin(2026, 12, 1, 8)
    waited = morning - clock.now
    clock.now = morning
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=waited + 1))
    await hass.async_block_till_done(wait_background_tasks=True)

    assert hass.states.get(state).state != "sleeping"  # type: ignore[union-attr]
    quiet = f"feed/user/{data['unique_id']}/"
    assert world.requests(quiet), [r.endpoint for r in world.requests()]
    assert coordinator_of(entry).engine.unchecked == set()


@pytest.mark.parametrize(
    "entry_options", [{**SAFETY_OFF, CONF_ACTIVE_START: 8, CONF_ACTIVE_END: 23}]
)
@pytest.mark.parametrize(
    ("clock_start", "page"),
    [
        (berlin(2026, 12, 1, 7, 56), "checked_at_start"),
        (berlin(2026, 12, 1, 9), None),  # checked within seconds: HA's own page
    ],
)
async def test_the_add_target_page_says_when_a_night_target_is_checked(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    clock: FakeClock,
    page: str | None,
) -> None:
    """Added at 07:56 (active 08-23): the page names 08:00, in both languages."""
    result = await hass.config_entries.subentries.async_init(
        (setup_integration.entry_id, SUBENTRY_TYPE_TARGET),
        context={"source": SOURCE_USER},
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"next_step_id": "one"}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {CONF_USERNAME: QUIET, CONF_LIKE_STORIES: True, CONF_LIKE_POSTS: True},
    )
    await hass.async_block_till_done(wait_background_tasks=True)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result.get("description") == page
    if page is None:
        return
    placeholders = result["description_placeholders"]
    assert placeholders == {"username": QUIET, "start": "2026-12-01 08:00"}
    shown = {}
    for language in ("en", "de"):
        strings = await async_get_translations(
            hass, language, "config_subentries", {DOMAIN}
        )
        key = f"component.{DOMAIN}.config_subentries.target.create_entry.{page}"
        shown[language] = strings[key].format(**placeholders)
    assert shown["en"] == (
        f"{QUIET} is checked when the active hours begin, at 2026-12-01 08:00. "
        "Until then nothing is sent to Instagram."
    )
    assert shown["de"].startswith(f"{QUIET} wird zu Beginn der aktiven Zeit geprüft")

    world.clear_log()
    morning = berlin(2026, 12, 1, 8)
    waited = morning - clock.now
    clock.now = morning
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=waited + 1))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert world.requests(f"feed/user/{world.user(QUIET).pk}/")  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "entry_options", [{**SAFETY_OFF, CONF_ACTIVE_START: 8, CONF_ACTIVE_END: 23}]
)
@pytest.mark.parametrize("clock_start", [berlin(2026, 12, 1, 22, 58, 30)])
async def test_liking_stops_when_the_active_hours_end_mid_cycle(
    hass: HomeAssistant, setup_integration: MockConfigEntry, world: World
) -> None:
    for _ in range(30):  # more than 90 s of likes
        world.add_story(PUBLIC, age=HOUR)
    await run_cycle(hass, setup_integration)
    assert world.likes  # the cycle started before 23:00 ...
    assert max(like.at for like in world.likes) < berlin(2026, 12, 1, 23)
    assert len(world.likes) < len(media_of(world, PUBLIC))  # ... and stopped there


async def test_cycle_starts_are_jittered(
    hass: HomeAssistant, setup_integration: MockConfigEntry, clock: FakeClock
) -> None:
    coordinator = coordinator_of(setup_integration)
    intervals = set()
    for _ in range(6):
        started = clock.now
        await run_cycle(hass, setup_integration)
        intervals.add(coordinator.engine.next_cycle_at - started)
        # Home Assistant's timer counts from the cycle's end.
        assert coordinator.update_interval is not None
        assert coordinator.update_interval.total_seconds() == pytest.approx(
            coordinator.engine.next_cycle_at - clock.now
        )
        clock.now = coordinator.engine.next_cycle_at
    assert len(intervals) == 6
    # Every quarter hour (a tray read each), jittered by +-10 %.
    quarter = HOUR / 4
    assert all(0.9 * quarter <= seconds <= 1.1 * quarter for seconds in intervals)


# -- pacing and backlog ------------------------------------------------------------


@pytest.mark.parametrize(
    "entry_options", [{**SAFETY_OFF, CONF_MAX_LIKES_TARGET_CYCLE: 3}]
)
async def test_at_most_k_likes_per_target_and_cycle(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    clock: FakeClock,
) -> None:
    per_cycle = []
    for _ in range(3):
        before = len(liked_by_alice(world, PUBLIC))
        await run_cycle(hass, setup_integration)
        per_cycle.append(len(liked_by_alice(world, PUBLIC)) - before)
        clock.advance(HOUR)
    assert per_cycle == [3, 3, 1]  # 2 stories + 5 posts, never a burst
    assert set(liked_by_alice(world, PUBLIC)) == media_of(world, PUBLIC)


@pytest.fixture
def newcomer(world: World) -> str:
    """A followed account with 12 posts of the last 12 days and one story."""
    world.add_target("newcomer", followed_by=(ALICE.username,))
    for day in range(12, 0, -1):
        world.add_post("newcomer", "photo", age=day * 86400)
    world.add_story("newcomer", age=HOUR)
    return "newcomer"


async def add_target(
    hass: HomeAssistant, entry: MockConfigEntry, username: str, **choices: Any
) -> None:
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_TYPE_TARGET), context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"next_step_id": "one"}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {
            CONF_USERNAME: username,
            CONF_LIKE_STORIES: True,
            CONF_LIKE_POSTS: True,
            **choices,
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done(wait_background_tasks=True)  # its first check


@pytest.mark.parametrize("targets", [[]])
async def test_a_new_targets_old_posts_are_baselined_not_liked(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    clock: FakeClock,
    newcomer: str,
) -> None:
    await add_target(hass, setup_integration, newcomer)
    subentry = next(iter(setup_integration.subentries.values()))
    assert subentry.data[CONF_BACKLOG_POSTS] == 0
    assert subentry.data[CONF_LIKE_CURRENT_STORIES] is True
    clock.advance(HOUR)
    await run_cycle(hass, setup_integration)
    user = world.user(newcomer)
    assert user is not None
    story = world.stories_of(user.pk)[0]
    assert liked_by_alice(world, newcomer) == [story.pk]  # 0 of its 12 old posts

    clock.advance(HOUR)
    fresh = world.add_post(newcomer, "photo")
    await run_cycle(hass, setup_integration)
    assert liked_by_alice(world, newcomer) == [story.pk, fresh.pk]


@pytest.mark.parametrize("targets", [[]])
@pytest.mark.parametrize(
    "entry_options", [{**SAFETY_OFF, CONF_MAX_LIKES_TARGET_CYCLE: 3}]
)
async def test_a_chosen_backlog_is_liked_newest_first_spread_over_cycles(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    clock: FakeClock,
    newcomer: str,
) -> None:
    await add_target(  # its first check likes the first few at once
        hass,
        setup_integration,
        newcomer,
        **{CONF_BACKLOG_POSTS: 5, CONF_LIKE_CURRENT_STORIES: False},
    )
    user = world.user(newcomer)
    assert user is not None
    newest = sorted(world.posts_of(user.pk), key=lambda post: -post.taken_at)[:5]
    counts = [len(liked_by_alice(world, newcomer))]
    clock.advance(HOUR)
    for _ in range(2):
        before = len(liked_by_alice(world, newcomer))
        await run_cycle(hass, setup_integration)
        counts.append(len(liked_by_alice(world, newcomer)) - before)
        clock.advance(HOUR)
    assert counts == [3, 2, 0]
    assert set(liked_by_alice(world, newcomer)) == {post.pk for post in newest}
