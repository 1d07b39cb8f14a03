"""A like whose answer was lost is checked in a feed, never sent again blindly.

Instagram acts on a like, then its answer is lost (the client's read timeout): the
like landed, but the integration cannot know. Nothing may send it a second time, not
instagrapi's own retries, not libcurl, not the coordinator's network retry, not the
next cycle, not a restart of the integration. The emulator's request log names the
media of every like request (`RequestRecord.media_pk`), answered or not, so these
tests count what Instagram *received* per media, not only what it kept.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING
from unittest.mock import patch

import pytest
from custom_components.ig_autoliker.engine.ratelimit import Action

from tests.sandbox import Fault
from tests.sandbox.testworld import PUBLIC

from . import test_fault_matrix as matrix
from .conftest import run_cycle
from .test_cycle import coordinator_of, liked_by_alice, media_of
from .test_fault_matrix import TIMEOUT_DELAY, settle

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from tests.sandbox import World

    from .conftest import FakeClock

#: The like endpoint each kind of media is liked through.
LIKE_ENDPOINTS = {
    "post": "media/*/like/",
    "story": "story_interactions/send_story_like",
}
#: Like requests whose answer is lost, one after the other.
IN_A_ROW = 3
#: Cycles run after the faults, enough to like everything that is left.
CYCLES = IN_A_ROW + 3


#: The fault matrix's setup (a saved session, no login flow) and short read timeout.
setup_integration = matrix.setup_integration
short_client_timeout = matrix.short_client_timeout


@pytest.fixture
def targets() -> list[str]:
    """One public target: two stories (a third is added) and five posts."""
    return [PUBLIC]


def like_requests(world: World) -> Counter[int]:
    """Like requests Instagram received per media pk, answered or not."""
    return Counter(
        record.media_pk
        for pattern in LIKE_ENDPOINTS.values()
        for record in world.requests(pattern, "POST")
        if record.media_pk is not None
    )


def log_lines(world: World) -> str:
    """The emulator's request log, one line per request (for failure messages)."""
    return "\n".join(
        f"{r.at:.1f} {r.method} {r.endpoint} media={r.media_pk} "
        f"status={r.status} fault={r.fault}"
        for r in world.requests()
    )


async def restart(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Stop the integration (as Home Assistant does) and start it again."""
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    with patch("custom_components.ig_autoliker.async_call_later"):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()


def assert_each_sent_once(world: World) -> None:
    """Every media of the target received one like request and is liked once."""
    requests = like_requests(world)
    doubled = {pk: n for pk, n in requests.items() if n > 1}
    assert not doubled, f"like requests per media {doubled}\n{log_lines(world)}"
    liked = liked_by_alice(world)
    assert len(liked) == len(set(liked))
    assert set(liked) == media_of(world, PUBLIC)


def assert_recorded_once(entry: MockConfigEntry, world: World) -> None:
    """The store and the counters hold each like once, the lost answers too."""
    coordinator = coordinator_of(entry)
    stories = [pk for pk in liked_by_alice(world) if world.media(pk).kind == "story"]
    posts = [pk for pk in liked_by_alice(world) if pk not in stories]
    stored = coordinator.stored
    assert set(stored.liked_posts) == {str(pk) for pk in posts}
    assert set(stored.liked_stories) == {str(pk) for pk in stories}
    target = world.user(PUBLIC)
    assert target is not None
    state = stored.target(str(target.pk))
    assert (state.stories_liked, state.posts_liked) == (len(stories), len(posts))
    assert coordinator.engine.limiter.count(Action.LIKE, window=86400) == len(
        world.likes
    )


#: World seconds between a failed cycle and the next look at the feeds: the user
#: presses "Run cycle now", or a new target is checked, a minute later.
RECHECK_AFTER = 60.0


async def _run_with_lost_answers(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    world: World,
    clock: FakeClock,
    kind: str,
    *,
    restart_after_fault: bool,
    act_late: bool,
) -> None:
    """IN_A_ROW like answers of `kind` are lost, one a cycle; then the rest runs.

    After each cycle the feeds are looked at again a minute later (at once in real
    time: a late-acting server has not handled the like yet), then an hour later.
    """
    world.add_story(PUBLIC, age=1800)  # three stories, five posts
    rule = world.faults.add(
        LIKE_ENDPOINTS[kind],
        Fault.TIMEOUT,
        times=IN_A_ROW,
        delay=TIMEOUT_DELAY,
        act_late=act_late,
    )
    for _ in range(CYCLES):
        fired = rule.fired
        await run_cycle(hass, entry)
        if rule.fired > fired and restart_after_fault:
            await restart(hass, entry)
        clock.advance(RECHECK_AFTER)
        await run_cycle(hass, entry)
        await settle(hass, world)
        clock.advance(3601)
    assert rule.fired == IN_A_ROW


KINDS = pytest.mark.parametrize("kind", ["post", "story"])


@KINDS
async def test_a_like_whose_answer_was_lost_is_not_sent_again(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    clock: FakeClock,
    kind: str,
) -> None:
    """Three lost answers in a row, each looked at again soon: one request per media.

    Instagram acted on each like; the next feed shows it liked, so the like is
    recorded as ours once (store, counters, limits) and never sent again.
    """
    await _run_with_lost_answers(
        hass,
        setup_integration,
        world,
        clock,
        kind,
        restart_after_fault=False,
        act_late=False,
    )

    assert_each_sent_once(world)
    assert_recorded_once(setup_integration, world)


@KINDS
async def test_a_like_whose_answer_was_lost_is_not_sent_again_after_a_restart(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    clock: FakeClock,
    kind: str,
) -> None:
    """The integration restarts after each lost answer: still one request per media.

    The restart must not forget which likes were sent unanswered: the next feed
    shows them liked, and they count as ours (store, counters, limits) once.
    """
    await _run_with_lost_answers(
        hass,
        setup_integration,
        world,
        clock,
        kind,
        restart_after_fault=True,
        act_late=False,
    )

    assert_each_sent_once(world)
    assert_recorded_once(setup_integration, world)


@pytest.mark.parametrize(
    ("kind", "restart_after_fault"),
    [("post", False), ("story", False), ("post", True), ("story", True)],
    ids=["post", "story", "post-restart", "story-restart"],
)
async def test_a_like_instagram_handles_late_is_not_sent_again(  # noqa: PLR0917
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    clock: FakeClock,
    kind: str,
    restart_after_fault: bool,
) -> None:
    """A slow Instagram acts on the like after the client gave up.

    A feed fetched a minute after the lost answer does not show the like yet: that
    is no proof it will not land, so the like is not sent again until a feed
    fetched well after it (the next regular cycle) says it did not land.
    """
    await _run_with_lost_answers(
        hass,
        setup_integration,
        world,
        clock,
        kind,
        restart_after_fault=restart_after_fault,
        act_late=True,
    )

    assert_each_sent_once(world)
    assert_recorded_once(setup_integration, world)
