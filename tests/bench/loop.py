"""
`scripts/benchmark --loop`: how long the integration holds Home Assistant's event loop.

A lag probe (a task that asks to wake every millisecond) records the longest stall
while the real coordinator, with every entity of N targets loaded, runs a cycle; and
while a store of P liked posts is set up and saved. Pauses are skipped and the clock
is faked, as in the tests; Instagram is a stand-in adapter that answers at once (the
figures are the integration's own loop cost, not the network's or instagrapi's).
Each figure is the median over `RUNS` runs, each run in a fresh Home Assistant. The
memory a store of P posts holds is traced (tracemalloc) in one more setup, less what
an entry without posts holds.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time
import tracemalloc
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self
from unittest.mock import patch

from custom_components.ig_autoliker.const import (
    CONF_ACTIVE_END,
    CONF_ACTIVE_START,
    CONF_BACKLOG_POSTS,
    CONF_LIKE_POSTS,
    CONF_LIKE_STORIES,
    CONF_MAX_LIKES_DAY,
    CONF_MAX_LIKES_HOUR,
    CONF_MAX_LIKES_TARGET_CYCLE,
    CONF_MAX_REQUESTS_HOUR,
    CONF_MAX_STORY_VIEWS_HOUR,
    CONF_TARGET_PK,
    CONF_WARMUP_DAYS,
    DOMAIN,
    SUBENTRY_TYPE_TARGET,
)
from custom_components.ig_autoliker.coordinator import IgAutolikerCoordinator
from custom_components.ig_autoliker.engine.history import LikeHistory
from custom_components.ig_autoliker.engine.models import (
    Account,
    MediaItem,
    MediaKind,
    TrayEntry,
)
from custom_components.ig_autoliker.store import (
    RECENT_POSTS,
    STORAGE_MINOR_VERSION,
    STORAGE_VERSION,
    StoredData,
)
from homeassistant import loader
from homeassistant.config_entries import ConfigSubentryData
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME
from homeassistant.helpers.storage import STORAGE_DIR
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_test_home_assistant,
)

RUNS = 3
TARGET_COUNTS = (10, 50, 100, 200)
POST_COUNTS = (10_000, 100_000, 300_000)
#: The spec's daily ceiling (section 8.2): how fast a history grows.
LIKES_PER_DAY = 800
START = 1_800_000_000.0
ACCOUNT_PK = "5500000001"


class LagProbe:
    """
    The longest time the event loop ran without letting a waiting task in (s).

    A task asks to wake every millisecond; between two wake-ups it reads the loop
    thread's CPU time (`time.thread_time`), not the wall clock: on a shared machine
    the wall clock also counts the time the OS gave the CPU to other processes,
    which is no stall of ours. `wall_longest` keeps the wall-clock figure too.
    """

    def __init__(self, period: float = 0.001) -> None:
        self.period = period
        self.longest = 0.0
        self.wall_longest = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            cpu, wall = time.thread_time(), time.perf_counter()
            await asyncio.sleep(self.period)
            self.longest = max(self.longest, time.thread_time() - cpu)
            self.wall_longest = max(
                self.wall_longest, time.perf_counter() - wall - self.period
            )

    def __enter__(self) -> Self:
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    def __exit__(self, *_exc: object) -> None:
        assert self._task is not None
        self._task.cancel()


class StandInApi:
    """Answers like Instagram at once: each target has one new story and post."""

    def __init__(self, *_args: Any, **_kwargs: Any) -> None:
        self.cycle = 0
        self.requests_sent = 0
        #: Media liked through this stand-in: feeds show them liked, as Instagram
        #: does (a like a feed shows unliked reads as a silent block).
        self.liked: set[str] = set()

    def login(self, _code: str | None = None) -> Account:
        return Account(pk=ACCOUNT_PK, username="bench", full_name="")

    def export_session(self) -> dict[str, Any]:
        return {"uuids": {"phone_id": "bench"}, "cookies": {}}

    def keep_alive(self) -> None:
        return

    def reels_tray(self) -> list[TrayEntry]:
        return []

    def in_tray_when_live(self, _user_pk: str) -> bool:
        return False

    def _item(self, owner: str, kind: MediaKind, index: int) -> MediaItem:
        pk = f"{owner}{kind is MediaKind.STORY:d}{index:06d}"
        return MediaItem(
            pk=pk,
            media_id=f"{pk}_{owner}",
            owner_pk=owner,
            kind=kind,
            taken_at=datetime.fromtimestamp(START - 60 - index, UTC),
            has_liked=index > 0 or pk in self.liked,
        )

    def user_stories(self, user_pk: str) -> list[MediaItem]:
        return [self._item(user_pk, MediaKind.STORY, 0)]

    def user_posts(self, user_pk: str, _amount: int = 12) -> list[MediaItem]:
        return [self._item(user_pk, MediaKind.PHOTO, i) for i in range(12)]

    def like_story(self, story: MediaItem) -> None:
        self.liked.add(story.pk)

    def like_post(self, post: MediaItem) -> None:
        self.liked.add(post.pk)


def _entry(targets: int) -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        title="bench",
        unique_id=ACCOUNT_PK,
        data={CONF_USERNAME: "bench", CONF_PASSWORD: "x"},
        options={
            CONF_MAX_REQUESTS_HOUR: 1000,
            CONF_MAX_LIKES_HOUR: 200,
            CONF_MAX_LIKES_DAY: 2000,
            CONF_MAX_STORY_VIEWS_HOUR: 1000,
            # The safety pacing off: the figures are about the loop, not the account.
            CONF_WARMUP_DAYS: 0,
            CONF_ACTIVE_START: 0,
            CONF_ACTIVE_END: 0,
            CONF_MAX_LIKES_TARGET_CYCLE: 50,
        },
        subentries_data=[
            ConfigSubentryData(
                data={
                    CONF_USERNAME: f"target{i}",
                    CONF_TARGET_PK: str(7_000_000 + i),
                    CONF_LIKE_STORIES: True,
                    CONF_LIKE_POSTS: True,
                    CONF_BACKLOG_POSTS: 12,
                },
                subentry_type=SUBENTRY_TYPE_TARGET,
                title=f"target{i}",
                unique_id=str(7_000_000 + i),
            )
            for i in range(targets)
        ],
    )


class Clock:
    """The coordinator's clock; its pauses move it on instead of waiting."""

    def __init__(self) -> None:
        self.now = START

    def time(self) -> float:
        return self.now

    def sleeper(self) -> Any:
        """The coordinator's `_sleep`: moves the clock on, yields once."""

        async def _sleep(_coordinator: object, seconds: float) -> None:
            self.now += seconds
            await asyncio.sleep(0)

        return _sleep


async def _run(
    targets: int,
    config_dir: str,
    write_store: Any = None,
    *,
    trace_memory: bool = False,
) -> dict[str, float]:
    """
    Set up an entry with `targets`, then run a cycle and saves; stalls in s.

    With `trace_memory`, tracemalloc follows the setup (which slows it: its stall
    is then no figure) and "memory" is what the set-up entry holds, bytes.
    """
    clock = Clock()
    with ExitStack() as stack:
        stack.enter_context(
            patch.object(IgAutolikerCoordinator, "_now", staticmethod(clock.time))
        )
        stack.enter_context(
            patch.object(IgAutolikerCoordinator, "_sleep", clock.sleeper())
        )
        stack.enter_context(
            patch("custom_components.ig_autoliker.executor.InstagramClient", StandInApi)
        )
        stack.enter_context(patch("custom_components.ig_autoliker.async_call_later"))
        async with async_test_home_assistant(config_dir=config_dir) as hass:
            hass.data.pop(loader.DATA_CUSTOM_COMPONENTS, None)
            entry = _entry(targets)
            entry.add_to_hass(hass)
            if write_store is not None:
                await hass.async_add_executor_job(write_store, hass, entry)
            await hass.async_block_till_done()
            if trace_memory:
                tracemalloc.start()
            with LagProbe() as setup:
                assert await hass.config_entries.async_setup(entry.entry_id)
                await hass.async_block_till_done()
            memory = 0.0
            if trace_memory:
                memory = float(tracemalloc.get_traced_memory()[0])
                tracemalloc.stop()
            coordinator: IgAutolikerCoordinator = entry.runtime_data
            with LagProbe() as save:
                for _ in range(5):
                    await coordinator.async_save()
            with LagProbe() as cycle:
                await coordinator.async_refresh()
                await hass.async_block_till_done()
            liked = sum(
                state.stories_liked + state.posts_liked
                for state in coordinator.stored.targets.values()
            )
            # Every target has a new story and a new post: all were liked.
            assert liked == 2 * targets, liked
            await hass.config_entries.async_unload(entry.entry_id)
            await hass.async_block_till_done()
    return {
        "setup": setup.longest,
        "save": save.longest,
        "cycle": cycle.longest,
        "cycle_wall": cycle.wall_longest,
        "memory": memory,
    }


def _store_writer(posts: int) -> Any:
    """Write a steady-state store of `posts` liked posts at 800 a day."""
    recent = min(posts, int(LIKES_PER_DAY * RECENT_POSTS / 86400) - 1)

    def _write(hass: Any, entry: MockConfigEntry) -> None:
        def liked_at(i: int) -> float:
            return START - (posts - i) * 86400 / LIKES_PER_DAY

        key = f"{DOMAIN}.{entry.entry_id}"
        folder = Path(hass.config.path(STORAGE_DIR))
        folder.mkdir(parents=True, exist_ok=True)
        pk = 3_400_000_000_000_000_000
        stored = StoredData(
            session=StandInApi().export_session(),
            liked_posts={
                str(pk + i): liked_at(i) for i in range(posts - recent, posts)
            },
        )
        document = {
            "version": STORAGE_VERSION,
            "minor_version": STORAGE_MINOR_VERSION,
            "key": key,
            "data": stored.as_dict(),
        }
        (folder / key).write_text(json.dumps(document))
        LikeHistory(folder / f"{key}.history.db").add(
            {str(pk + i): liked_at(i) for i in range(posts - recent)}
        )

    return _write


def _bytes_per_post(config_dir: str, posts: int) -> float:
    folder = Path(config_dir, STORAGE_DIR)
    files = [p for p in folder.glob(f"{DOMAIN}.*") if p.is_file()]
    return sum(p.stat().st_size for p in files) / posts


def _ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.1f}"


async def main() -> None:
    """Print one `loop:` line per target count and per store size."""
    lines: list[str] = []
    with tempfile.TemporaryDirectory() as config_dir:
        await _run(1, config_dir)  # warm-up: imports, translations, registries
    for targets in TARGET_COUNTS:
        stalls = []
        for _ in range(RUNS):
            with tempfile.TemporaryDirectory() as config_dir:
                stalls.append((await _run(targets, config_dir))["cycle"])
        lines.append(f"loop: targets={targets} cycle_max_stall_ms={_ms(stalls)}")
        print(lines[-1], file=sys.stderr)
    with tempfile.TemporaryDirectory() as config_dir:
        # What an entry holds without any liked post: subtracted below.
        baseline = (await _run(1, config_dir, trace_memory=True))["memory"]
    for posts in POST_COUNTS:
        saves, setups, sizes = [], [], []
        for _ in range(RUNS):
            with tempfile.TemporaryDirectory() as config_dir:
                result = await _run(1, config_dir, _store_writer(posts))
                saves.append(result["save"])
                setups.append(result["setup"])
                sizes.append(_bytes_per_post(config_dir, posts))
        with tempfile.TemporaryDirectory() as config_dir:
            traced = await _run(1, config_dir, _store_writer(posts), trace_memory=True)
        held = traced["memory"] - baseline
        print(
            f"loop-detail: liked_posts={posts} memory_held_kb={held / 1024:.0f} "
            f"memory_per_post_bytes={held / posts:.1f}",
            file=sys.stderr,
        )
        lines.append(
            f"loop: liked_posts={posts} save_max_stall_ms={_ms(saves)} "
            f"setup_max_stall_ms={_ms(setups)} "
            f"bytes_per_post={statistics.median(sizes):.0f}"
        )
        print(lines[-1], file=sys.stderr)
    print("\n".join(lines))


if __name__ == "__main__":
    asyncio.run(main())
