"""What the integration remembers between restarts, kept in a versioned `Store`.

One working store per config entry (`.storage/ig_autoliker.<entry_id>`) holds the
instagrapi session, the liked stories, the recently liked posts, per-target
bookkeeping and the rate-limit windows (spec section 8.1). Posts not met for
`RECENT_POSTS` move to the like history (`history.py`), so a save costs the same after
a year of likes as after a day. A change is written at most `SAVE_DELAY` seconds after
it happened, however many changes follow; a like is written before it is sent (the
engine's `persist`, `async_save_data`), so a hard kill loses none: the restored limits
count it, and the next feed tells whether it landed.

Every write goes to two files, one after the other: the working store and its copy
(`.storage/ig_autoliker.<entry_id>.copy`), each written atomically and numbered. The
working store is the only record of the day's likes (the limits count them) and of a
running freeze; Home Assistant's atomic write leaves the old file when a process dies
mid-write, but storage that acknowledges a flush it has not done (SD cards, some USB
disks) can leave the new name holding a prefix of the text after a power cut. Such a
cut interrupts one of the two writes, so the other file holds the last state, or the
one before it while the like it announced was not sent yet. Loading takes the newer
readable file.

Loading is forgiving: Home Assistant's `Store` moves a file with broken JSON aside; a
file with valid JSON of the wrong shape loses only the malformed parts. What was lost
is said in one log line, and in a repair issue when it was the user's like history.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from homeassistant.core import CALLBACK_TYPE, callback
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.storage import STORAGE_DIR, Store
from homeassistant.util import dt as dt_util

from . import issues
from .const import DOMAIN, LOGGER
from .engine.history import HistoryDamagedError, LikeHistory
from .engine.state import StoredData, TargetState, parse_timestamps

__all__ = ["IgAutolikerStore", "StoredData", "TargetState"]

if TYPE_CHECKING:
    from datetime import datetime

    from homeassistant.core import HomeAssistant

#: 2: older liked posts live in the like history. A major step, so that a version
#: from before refuses the store instead of forgetting the history's posts.
STORAGE_VERSION = 2
STORAGE_MINOR_VERSION = 1
#: Most seconds a change waits before it is written, whatever follows, so that a
#: confirmed like reaches the disk well within 30 s (spec QS-04: no like is lost
#: to a restart); stop and unload flush at once.
SAVE_DELAY = 10.0
#: Seconds a liked post stays in the working store after its like (or after a cycle
#: last met it in the history); a first page rarely holds older posts that change.
RECENT_POSTS = 7 * 24 * 3600.0
#: Seconds between two moves of old posts into the history.
ARCHIVE_INTERVAL = 3600.0
#: The key of each save's number: loading takes the newer of the two files.
GENERATION = "generation"
#: Parts whose loss costs the user their like history or totals (a repair issue).
HISTORY_PARTS = frozenset({"liked_posts", "liked_stories", "targets", "history"})


class IgAutolikerStore(Store[dict[str, Any]]):
    """The versioned working store of one config entry and its like history.

    Args:
        hass: Home Assistant.
        entry_id: The config entry; names the files.

    Attributes:
        history: The like history (older liked posts).
        clock: Unix seconds; the coordinator sets its own (frozen in tests).
        lost: The parts the last load found malformed (see `StoredData.parse`).

    """

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Create the store for `entry_id` (file `.storage/ig_autoliker.<entry_id>`)."""
        super().__init__(
            hass,
            STORAGE_VERSION,
            f"{DOMAIN}.{entry_id}",
            minor_version=STORAGE_MINOR_VERSION,
            private=True,
            atomic_writes=True,
            # The working store is small, but encoding it need not hold the loop.
            serialize_in_event_loop=False,
        )
        self.entry_id = entry_id
        #: The second file every write goes to (see the module docstring).
        self.copy: Store[dict[str, Any]] = Store(
            hass,
            STORAGE_VERSION,
            f"{self.key}.copy",
            minor_version=STORAGE_MINOR_VERSION,
            private=True,
            atomic_writes=True,
            serialize_in_event_loop=False,
        )
        self._generation = 0
        self._pair_lock = asyncio.Lock()
        self.history = LikeHistory(
            Path(hass.config.path(STORAGE_DIR, f"{self.key}.history.db"))
        )
        self.clock: Callable[[], float] = lambda: dt_util.utcnow().timestamp()
        self.lost: list[str] = []
        self._save_timer: CALLBACK_TYPE | None = None
        self._prepare: Callable[[], StoredData] | None = None
        self._archived_at: float | None = None

    # ------------------------------------------------------------- loading --

    async def _async_migrate_func(
        self,
        old_major_version: int,
        old_minor_version: int,
        old_data: dict[str, Any],
    ) -> dict[str, Any]:
        """Migrate data written by an older version of the integration.

        1.x kept every liked post in the one file: all of them go into the like
        history first, then the caller (`Store`) saves the working store with only
        the recent ones. A crash in between leaves posts in both: none is lost.
        A newer major version never gets here (Home Assistant refuses it).
        """
        if old_major_version == 1 and isinstance(old_data, Mapping):
            raw = old_data.get("liked_posts")
            posts, _complete = parse_timestamps(raw)
            if posts and await self._async_add_history(posts):
                now = self.clock()
                assert isinstance(raw, Mapping)  # noqa: S101 - posts came from it
                old_data = {
                    **old_data,
                    # Malformed entries stay, so the load reports them.
                    "liked_posts": {
                        pk: value
                        for pk, value in raw.items()
                        if pk not in posts or now - posts[pk] < RECENT_POSTS
                    },
                }
        return old_data

    async def async_load_data(self) -> StoredData:
        """Load and parse the newer readable file of the store and its copy.

        A missing or corrupt pair gives empty state. The like history is not read:
        a cycle asks it only about posts the working store does not know
        (`async_recall_posts`). Malformed parts are kept in `lost` for
        `async_report_lost`.

        Raises:
            UnsupportedStorageVersionError: A newer version wrote either file.

        """
        raw = await self.async_load()
        corrupt = raw is None and await self.hass.async_add_executor_job(
            self._was_corrupt
        )
        copy = await self.copy.async_load()
        if copy is not None and (not isinstance(raw, Mapping) or _newer(copy, raw)):
            if corrupt:
                LOGGER.warning(
                    "The saved state of %s was damaged; restored from its copy",
                    self._title,
                )
            raw, corrupt = copy, False
        self._generation = max(_generation(raw), _generation(copy))
        stored, self.lost = await self.hass.async_add_executor_job(
            StoredData.parse, raw
        )
        if corrupt:
            self.lost = ["all"]
        return stored

    def _was_corrupt(self) -> bool:
        """Tell whether Home Assistant just moved our unreadable file aside."""
        path = Path(self.path)
        return any(path.parent.glob(f"{path.name}.corrupt.*"))

    @callback
    def async_report_lost(self, title: str, lost: list[str]) -> None:
        """Log in one line what a damaged store lost; raise a repair issue for likes.

        Args:
            title: The account, as the user knows it.
            lost: Names of the lost parts ("all", "session", "liked_posts", ...).

        """
        if not lost:
            return
        LOGGER.warning(
            "The saved state of %s was damaged; lost: %s; kept everything else",
            title,
            ", ".join(lost),
        )
        if HISTORY_PARTS.isdisjoint(lost) and "all" not in lost:
            return  # A session or a window: a login or a quiet hour restores it.
        issues.async_store_damaged(self.hass, self.entry_id, title, lost)

    # -------------------------------------------------------------- history --

    async def async_recall_posts(
        self, stored: StoredData, pks: Iterable[str], now: float
    ) -> int:
        """Bring posts liked long ago back into the working store before a cycle likes.

        Asks the history only about pks the working store does not know (one
        executor job); a post found there counts as met `now`, so it stays recent.

        Returns:
            How many posts were found in the history.

        """
        unknown = [pk for pk in pks if pk not in stored.liked_posts]
        if not unknown:
            return 0
        try:
            found = await self.hass.async_add_executor_job(self.history.find, unknown)
        except HistoryDamagedError:
            self.async_report_lost(self._title, ["history"])
            return 0
        for pk in found:
            # Not a like of now: the limits restored after a restart leave it out.
            stored.liked_posts[pk] = stored.found_liked[pk] = now
        return len(found)

    @property
    def _title(self) -> str:
        entry = self.hass.config_entries.async_get_entry(self.entry_id)
        return self.entry_id if entry is None else entry.title

    async def _async_add_history(self, posts: dict[str, float]) -> bool:
        """Add posts to the history; a damaged file is reported and started anew."""
        for attempt in range(2):
            try:
                await self.hass.async_add_executor_job(self.history.add, posts)
            except HistoryDamagedError:
                if not attempt:
                    self.async_report_lost(self._title, ["history"])
                continue
            except sqlite3.Error as err:
                # Locked or disk full: keep the posts in the working store for now.
                LOGGER.warning("Cannot write the like history: %s", err)
                return False
            return True
        return False

    async def _async_archive(self, stored: StoredData, now: float) -> None:
        """Move posts not met for `RECENT_POSTS` into the history (at most hourly)."""
        if self._archived_at is not None and now - self._archived_at < ARCHIVE_INTERVAL:
            return
        self._archived_at = now
        old = {
            pk: liked_at
            for pk, liked_at in stored.liked_posts.items()
            if now - liked_at >= RECENT_POSTS
        }
        if old and await self._async_add_history(old):
            for pk, liked_at in old.items():
                # Met again while the history was written: keep it recent.
                if stored.liked_posts.get(pk) == liked_at:
                    del stored.liked_posts[pk]

    # --------------------------------------------------------------- saving --

    @callback
    def async_schedule_save(self, prepare: Callable[[], StoredData]) -> None:
        """Write within `SAVE_DELAY` seconds; later changes never push the write out.

        Home Assistant's `async_delay_save` restarts its delay on every change, so
        a busy cycle would live only in memory; this timer starts at the first
        change and the write takes the state as it is then.

        Args:
            prepare: Returns the data to write (called on the event loop).

        """
        self._prepare = prepare
        if self._save_timer is None:
            self._save_timer = async_call_later(
                self.hass, SAVE_DELAY, self._async_save_due
            )

    async def _async_save_due(self, _now: datetime) -> None:
        self._save_timer = None
        if (prepare := self._prepare) is not None:
            await self.async_save_data(prepare())

    async def async_save_data(self, stored: StoredData) -> None:
        """Write now (old posts into the history first); cancels a pending write.

        The store, then its copy, with the next number: returns once both are on
        disk, so a like announced in them may go out (see the module docstring).
        """
        self.async_cancel_save()
        await self._async_archive(stored, self.clock())
        async with self._pair_lock:
            self._generation += 1
            data = {**stored.as_dict(), GENERATION: self._generation}
            await self.async_save(data)
            await self.copy.async_save(data)

    @callback
    def async_cancel_save(self) -> None:
        """Drop a pending timed write (the caller writes itself, or unloads)."""
        self._prepare = None
        if self._save_timer is not None:
            self._save_timer()
            self._save_timer = None

    async def async_remove(self) -> None:
        """Delete the working store and the like history (the entry was removed)."""
        self.async_cancel_save()
        await super().async_remove()
        await self.copy.async_remove()
        await self.hass.async_add_executor_job(self.history.remove)


def _generation(raw: Any) -> int:
    """Return the number of a loaded save (0 without one: none, or an old one)."""
    number = raw.get(GENERATION) if isinstance(raw, Mapping) else None
    return number if isinstance(number, int) and not isinstance(number, bool) else 0


def _newer(copy: Any, raw: Any) -> bool:
    """Tell whether the copy is newer than the readable working store.

    A working store without a number was written by a version before the copy
    (a downgrade and back): it wins over any copy, which is older than it.
    """
    return (
        isinstance(raw, Mapping)
        and GENERATION in raw
        and _generation(copy) > _generation(raw)
    )
