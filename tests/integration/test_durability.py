"""Every like reaches the disk in bounded time; a damaged store never locks out."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any
from unittest.mock import patch

import pytest
from custom_components.ig_autoliker.const import (
    CONF_MAX_LIKES_HOUR,
    DOMAIN,
)
from custom_components.ig_autoliker.coordinator import IgAutolikerCoordinator
from custom_components.ig_autoliker.engine.events import SessionHealth
from custom_components.ig_autoliker.engine.history import LikeHistory
from custom_components.ig_autoliker.engine.ratelimit import Action
from custom_components.ig_autoliker.options import options_of
from custom_components.ig_autoliker.store import SAVE_DELAY
from homeassistant.config_entries import ConfigEntryState
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers import storage
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from tests.sandbox import Fault
from tests.sandbox.testworld import PUBLIC, QUIET

from .conftest import SAFETY_OFF, FakeClock, run_cycle
from .test_cycle import coordinator_of, liked_by_alice
from .test_resilience import max_in_window

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from tests.sandbox import World

FIXTURE = Path(__file__).parent.parent / "fixtures" / "store_v1.json"


def _key(entry: MockConfigEntry) -> str:
    return f"{DOMAIN}.{entry.entry_id}"


async def _setup(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Set the entry up without its first cycle (the test runs cycles itself)."""
    if entry.state is ConfigEntryState.NOT_LOADED and entry.entry_id not in {
        e.entry_id for e in hass.config_entries.async_entries(DOMAIN)
    }:
        entry.add_to_hass(hass)
    with patch("custom_components.ig_autoliker.async_call_later"):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()


class Disk:
    """What is on disk for one entry: the store, its copy and the like history."""

    def __init__(
        self, hass: HomeAssistant, hass_storage: dict[str, Any], entry: MockConfigEntry
    ) -> None:
        self.storage = hass_storage
        self.keys = (_key(entry), f"{_key(entry)}.copy")
        self.history = Path(
            hass.config.path(storage.STORAGE_DIR, f"{_key(entry)}.history.db")
        )

    def freeze(self) -> tuple[list[Any], bytes | None]:
        """The files as a hard kill leaves them."""
        history = self.history.read_bytes() if self.history.exists() else None
        return [copy.deepcopy(self.storage.get(key)) for key in self.keys], history

    def restore(self, frozen: tuple[list[Any], bytes | None]) -> None:
        """Put the files back as they were at the kill."""
        files, history = frozen
        for key, working in zip(self.keys, files, strict=True):
            if working is None:
                self.storage.pop(key, None)
            else:
                self.storage[key] = working
        if history is None:
            self.history.unlink(missing_ok=True)
        else:
            self.history.write_bytes(history)


async def _real_load(store: storage.Store[Any]) -> Any:
    """Read the store's file from disk (`Store._async_load` without the mock)."""
    return await store._async_load_data()


async def _kill_and_restart(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    frozen: tuple[list[Any], bytes | None],
    disk: Disk,
) -> IgAutolikerCoordinator:
    """Forget everything written after `frozen` (no shutdown save), set up again."""
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    disk.restore(frozen)
    await _setup(hass, entry)
    return coordinator_of(entry)


@pytest.mark.parametrize("targets", [[QUIET]])
async def test_a_hard_kill_30_s_after_the_hourly_limit_keeps_every_like(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    world: World,
    clock: FakeClock,
    hass_storage: dict[str, Any],
) -> None:
    """Counters and limiter agree with Instagram after a kill; the hour stays full."""
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        config_entry,
        options=options_of({**SAFETY_OFF, CONF_MAX_LIKES_HOUR: 3}),
    )
    for age in range(5):
        world.add_post(QUIET, age=100.0 + age)
    await _setup(hass, config_entry)
    disk = Disk(hass, hass_storage, config_entry)
    await run_cycle(hass, config_entry)
    assert len(liked_by_alice(world)) == 3  # the hourly limit ends the cycle

    # 30 s later the power goes.
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=30))
    await hass.async_block_till_done()
    coordinator = await _kill_and_restart(hass, config_entry, disk.freeze(), disk)

    liked = liked_by_alice(world)
    assert coordinator.data.likes_today == len(liked) == 3
    assert coordinator.data.likes_this_hour == 3
    assert coordinator.engine.limiter.count(Action.LIKE, window=3600.0) == 3
    quiet = world.user(QUIET)
    assert quiet is not None
    assert coordinator.stored.targets[str(quiet.pk)].posts_liked == 3
    assert hass.states.get("sensor.alice_likes_today").state == "3"
    for _ in range(5):  # quarter-hour cycles: the hour's budget frees, then likes
        clock.advance(900.0)
        await run_cycle(hass, config_entry)

    assert len(liked_by_alice(world)) == 5
    assert max_in_window([like.at for like in world.likes], 3600) == 3


class LoopTime:
    """The event loop's clock, moved on by the cycle's (fake) pauses."""

    def __init__(self, hass: HomeAssistant) -> None:
        self.real = hass.loop.time
        self.offset = 0.0

    def time(self) -> float:
        return self.real() + self.offset


@pytest.mark.parametrize("targets", [[PUBLIC]])
async def test_a_like_is_on_disk_30_s_later_while_the_cycle_goes_on(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    clock: FakeClock,
    hass_storage: dict[str, Any],
) -> None:
    """Changes every few seconds never push the write out (they did: debounce)."""
    for age in range(30):
        world.add_post(PUBLIC, age=100.0 + age)
    disk = Disk(hass, hass_storage, setup_integration)
    loop_time = LoopTime(hass)
    frozen: list[tuple[tuple[list[Any], bytes | None], int]] = []

    async def _sleep(_self: IgAutolikerCoordinator, seconds: float) -> None:
        clock.advance(seconds)
        loop_time.offset += seconds
        for _ in range(5):  # let due timers and the writes they start run
            await asyncio.sleep(0)
        first = next(iter(world.likes), None)
        if not frozen and first is not None and clock.now - first.at >= 30:
            frozen.append((disk.freeze(), len(world.likes)))

    with (
        patch.object(hass.loop, "time", loop_time.time),
        patch.object(IgAutolikerCoordinator, "_sleep", _sleep),
    ):
        await run_cycle(hass, setup_integration)
    (kill_state, liked_at_kill), *_ = frozen
    assert liked_at_kill > 5  # the cycle was still liking when the power went

    coordinator = await _kill_and_restart(hass, setup_integration, kill_state, disk)

    likes_today = coordinator.data.likes_today
    # Every like confirmed SAVE_DELAY before the kill is back.
    on_disk = [
        like
        for like in world.likes[:liked_at_kill]
        if like.at <= world.likes[liked_at_kill - 1].at - SAVE_DELAY
    ]
    assert len(on_disk) <= likes_today <= liked_at_kill
    first = str(world.likes[0].media_pk)
    assert first in coordinator.stored.liked_posts | coordinator.stored.liked_stories


@pytest.mark.usefixtures("clock")
async def test_a_session_of_the_wrong_shape_leads_to_a_fresh_login(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    world: World,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Not a permanent setup error (InstagramClient was built outside the try)."""
    written = json.loads(FIXTURE.read_text())
    written["data"]["session"] = {"uuids": "not a mapping", "cookies": 5}
    hass_storage[_key(config_entry)] = {**written, "key": _key(config_entry)}
    caplog.set_level(logging.WARNING)

    await _setup(hass, config_entry)

    assert config_entry.state is ConfigEntryState.LOADED
    assert world.count("bloks/*") > 0  # a fresh password login
    coordinator = coordinator_of(config_entry)
    assert coordinator.engine.session.health is SessionHealth.HEALTHY
    assert coordinator.stored.session is not None
    posts = written["data"]["liked_posts"]  # the rest was kept
    assert (
        await hass.async_add_executor_job(coordinator.store.history.find, list(posts))
        == posts
    )
    damaged = [r for r in caplog.records if "was damaged" in r.getMessage()]
    assert [r.getMessage().split("lost: ")[1] for r in damaged] == [
        "session; kept everything else"
    ]
    # Only a session: nothing for the user to worry about.
    assert (
        ir.async_get(hass).async_get_issue(
            DOMAIN, f"store_damaged_{config_entry.entry_id}"
        )
        is None
    )


@pytest.mark.parametrize("targets", [[PUBLIC]])
@pytest.mark.usefixtures("hass_storage")
async def test_a_truncated_store_loses_only_itself_and_says_so(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    world: World,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The like history survives; one log line and a repair issue name the loss."""
    old = world.add_post(PUBLIC, age=400 * 86400.0)
    config_entry.add_to_hass(hass)
    path = Path(hass.config.path(storage.STORAGE_DIR, _key(config_entry)))
    history = path.with_name(f"{path.name}.history.db")
    # Liked a year ago, so in the history; then the working store was cut short.
    await hass.async_add_executor_job(
        LikeHistory(history).add, {str(old.pk): clock.now - 365 * 86400}
    )
    await hass.async_add_executor_job(
        path.write_text, '{"version": 2, "minor_version": 1, "key": "x", "data": {"s'
    )
    caplog.set_level(logging.WARNING)

    with patch.object(storage.Store, "_async_load", _real_load):
        await _setup(hass, config_entry)

    assert config_entry.state is ConfigEntryState.LOADED
    damaged = [r for r in caplog.records if "was damaged" in r.getMessage()]
    assert len(damaged) == 1
    assert "lost: all" in damaged[0].getMessage()
    issue = ir.async_get(hass).async_get_issue(
        DOMAIN, f"store_damaged_{config_entry.entry_id}"
    )
    assert issue is not None
    await run_cycle(hass, config_entry)
    assert old.pk not in liked_by_alice(world)  # the history was kept
    assert liked_by_alice(world) != []


@pytest.mark.parametrize("targets", [[PUBLIC]])
async def test_a_post_liked_a_year_ago_is_not_liked_again_after_migration(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    world: World,
    clock: FakeClock,
    hass_storage: dict[str, Any],
) -> None:
    """A pinned post reappears; Instagram says it is not liked (unliked by hand)."""
    pinned = world.add_post(PUBLIC, age=400 * 86400.0)
    written = json.loads(FIXTURE.read_text())
    written["data"]["session"] = None
    written["data"]["liked_posts"][str(pinned.pk)] = clock.now - 365 * 86400
    hass_storage[_key(config_entry)] = {**written, "key": _key(config_entry)}

    await _setup(hass, config_entry)
    coordinator = coordinator_of(config_entry)
    assert str(pinned.pk) not in coordinator.stored.liked_posts  # in the history
    await run_cycle(hass, config_entry)

    assert pinned.pk not in liked_by_alice(world)
    assert liked_by_alice(world) != []  # the cycle did like the new ones
    assert str(pinned.pk) in coordinator.stored.liked_posts  # met again: recent


@pytest.mark.parametrize("targets", [[QUIET]])
async def test_a_hard_kill_before_the_delayed_save_keeps_the_hour_full(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    world: World,
    clock: FakeClock,
    hass_storage: dict[str, Any],
) -> None:
    """No save timer ran; still no sliding hour gets more likes than its limit."""
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        config_entry,
        options=options_of({**SAFETY_OFF, CONF_MAX_LIKES_HOUR: 4}),
    )
    for age in range(4):
        world.add_story(QUIET, age=300.0 + age)
    for age in range(6):
        world.add_post(QUIET, age=100.0 + age)
    await _setup(hass, config_entry)
    disk = Disk(hass, hass_storage, config_entry)
    await run_cycle(hass, config_entry)
    assert len(liked_by_alice(world)) == 4  # the hourly limit ends the cycle

    # The power goes at once: the save SAVE_DELAY after the first change never ran.
    coordinator = await _kill_and_restart(hass, config_entry, disk.freeze(), disk)

    assert hass.states.get("sensor.alice_likes_today").state == "4"
    assert hass.states.get("sensor.alice_likes_this_hour").state == "4"
    assert coordinator.data.likes_today == coordinator.data.likes_this_hour == 4
    for _ in range(12):  # quarter-hour cycles in the same hour and the two after
        clock.advance(900.0)
        await run_cycle(hass, config_entry)

    liked = liked_by_alice(world)
    assert sorted(liked) == sorted(set(liked))  # nothing liked twice
    assert len(liked) == 10
    assert max_in_window([like.at for like in world.likes], 3600) == 4
    quiet = world.user(QUIET)
    assert quiet is not None
    state = coordinator.stored.targets[str(quiet.pk)]
    assert state.stories_liked + state.posts_liked == 10
    assert hass.states.get("sensor.alice_likes_today").state == "10"


@pytest.mark.parametrize("targets", [[QUIET]])
async def test_a_post_liked_by_hand_is_not_counted_after_a_restart(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    world: World,
    clock: FakeClock,
) -> None:
    """The ledger holds it (never liked again); the limits count our likes only."""
    world.add_post(QUIET, age=200.0, liked_by=("alice",))
    world.add_post(QUIET, age=100.0)
    await _setup(hass, config_entry)
    await run_cycle(hass, config_entry)
    assert len(liked_by_alice(world)) == 1

    assert await hass.config_entries.async_reload(config_entry.entry_id)
    await hass.async_block_till_done()

    coordinator = coordinator_of(config_entry)
    assert len(coordinator.stored.liked_posts) == 2
    assert hass.states.get("sensor.alice_likes_this_hour").state == "1"
    assert hass.states.get("sensor.alice_likes_today").state == "1"
    await run_cycle(hass, config_entry)
    assert len(liked_by_alice(world)) == 1  # nor liked by us


async def _liked_then_blocked(
    hass: HomeAssistant, entry: MockConfigEntry, world: World
) -> float:
    """Set up, like two posts, meet `feedback_required` on the third like.

    Returns:
        The end of the action block (Unix seconds).

    """
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, options=options_of(SAFETY_OFF))
    for age in range(4):
        world.add_post(QUIET, age=100.0 + age)
    world.faults.add("media/*/like/", Fault.FEEDBACK_REQUIRED, on_call=3)
    await _setup(hass, entry)
    await run_cycle(hass, entry)
    assert len(liked_by_alice(world)) == 2
    until = coordinator_of(entry).engine.policy.blocked_until
    assert until is not None
    return until


def _assert_still_blocked(
    hass: HomeAssistant, coordinator: IgAutolikerCoordinator, until: float
) -> None:
    assert coordinator.engine.policy.blocked_until == until
    assert hass.states.get("sensor.alice_rate_limit_state").state == "blocked"


@pytest.mark.parametrize("targets", [[QUIET]])
async def test_an_action_block_is_on_disk_at_once_and_outlives_a_hard_kill(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    world: World,
    clock: FakeClock,
    hass_storage: dict[str, Any],
) -> None:
    """The power goes right after the block, before the delayed save: no like."""
    until = await _liked_then_blocked(hass, config_entry, world)
    disk = Disk(hass, hass_storage, config_entry)

    coordinator = await _kill_and_restart(hass, config_entry, disk.freeze(), disk)

    _assert_still_blocked(hass, coordinator, until)
    # The refused like was on disk as sent: counted until a feed shows it unliked.
    assert coordinator.engine.limiter.count(Action.LIKE, window=3600.0) == 3
    clock.advance(3600.0)
    await run_cycle(hass, config_entry)
    assert len(liked_by_alice(world)) == 2  # nothing inside the block


@pytest.mark.parametrize("targets", [[QUIET]])
async def test_a_torn_store_restarts_from_its_copy_with_the_likes_and_the_block(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    world: World,
    clock: FakeClock,
    hass_storage: dict[str, Any],
) -> None:
    """A power cut left half the store file (storage that lied about a flush)."""
    until = await _liked_then_blocked(hass, config_entry, world)
    assert await hass.config_entries.async_unload(config_entry.entry_id)
    await hass.async_block_till_done()
    path = Path(hass.config.path(storage.STORAGE_DIR, _key(config_entry)))
    text = json.dumps(hass_storage.pop(_key(config_entry)))
    copies = {f"{path.name}.copy": hass_storage.pop(f"{_key(config_entry)}.copy", {})}
    await hass.async_add_executor_job(partial(path.parent.mkdir, exist_ok=True))
    await hass.async_add_executor_job(path.write_text, text[: len(text) // 2])
    for name, whole in copies.items():  # the copy, whole
        await hass.async_add_executor_job(
            path.with_name(name).write_text, json.dumps(whole)
        )

    with patch.object(storage.Store, "_async_load", _real_load):
        await _setup(hass, config_entry)

    coordinator = coordinator_of(config_entry)
    _assert_still_blocked(hass, coordinator, until)
    assert coordinator.engine.limiter.count(Action.LIKE, window=3600.0) == 2
    assert hass.states.get("sensor.alice_likes_today").state == "2"
    assert coordinator.store.lost == []  # nothing for a "store damaged" issue
    clock.advance(3600.0)
    await run_cycle(hass, config_entry)
    assert len(liked_by_alice(world)) == 2
