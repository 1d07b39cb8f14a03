"""
What the integration remembers between restarts, kept in a versioned `Store`.

One working store per config entry (`.storage/ig_autoliker.<entry_id>`) holds the
instagrapi session, the liked stories, the recently liked posts, per-target
bookkeeping and the rate-limit windows (spec section 8.1). Posts not met for
`RECENT_POSTS` move to the like history (`history.py`), so a save costs the same after
a year of likes as after a day. A change is written at most `SAVE_DELAY` seconds after
it happened, however many changes follow: a hard kill loses no confirmed like older
than that.

Loading is forgiving: Home Assistant's `Store` moves a file with broken JSON aside; a
file with valid JSON of the wrong shape loses only the malformed parts. What was lost
is said in one log line, and in a repair issue when it was the user's like history.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from homeassistant.core import CALLBACK_TYPE, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.storage import STORAGE_DIR, Store
from homeassistant.util import dt as dt_util

from .const import DOMAIN, LOGGER, STORY_RETENTION
from .engine.history import HistoryDamagedError, LikeHistory

if TYPE_CHECKING:
    from datetime import datetime

    from homeassistant.core import HomeAssistant

#: 2: older liked posts live in the like history. A major step, so that a version
#: from before refuses the store instead of forgetting the history's posts.
STORAGE_VERSION = 2
STORAGE_MINOR_VERSION = 1
#: Most seconds a change waits before it is written, whatever follows (issue 8:
#: a confirmed like reaches the disk within 30 s); stop and unload flush at once.
SAVE_DELAY = 10.0
#: Seconds a liked post stays in the working store after its like (or after a cycle
#: last met it in the history); a first page rarely holds older posts that change.
RECENT_POSTS = 7 * 24 * 3600.0
#: Seconds between two moves of old posts into the history.
ARCHIVE_INTERVAL = 3600.0
#: Parts whose loss costs the user their like history or totals (a repair issue).
HISTORY_PARTS = frozenset({"liked_posts", "liked_stories", "targets", "history"})


@dataclass(slots=True)
class TargetState:
    """
    Bookkeeping of one target account.

    Attributes:
        pk: The target's Instagram pk.
        last_story_check: Unix seconds of the last successful story fetch, or None.
        last_post_check: Unix seconds of the last successful post fetch, or None.
        last_like: Unix seconds of our last like of this target, or None.
        latest_reel_media: Unix seconds of the newest story already handled, from
            the reels tray or the story feed; lets a cycle skip unchanged targets.
        stories_liked: Stories liked in total (counts, never purged).
        posts_liked: Posts liked in total.
        error_count: Consecutive failed checks; 0 when the target is fine.
        last_error: Key of the last error ("not_found", "private", ...), or None.
        followed: True when the target's live stories show in the reels tray
            (followed, stories not muted); None until learned.
        followed_checked: Unix seconds when `followed` was learned, or None.
        posts_since: Unix seconds; posts published at or before it were there when
            the target was added and are never liked (the baseline, issue 10).
            None: not baselined yet (or a target from before baselining).
        stories_since: The same for stories.

    """

    pk: str
    last_story_check: float | None = None
    last_post_check: float | None = None
    last_like: float | None = None
    latest_reel_media: int | None = None
    stories_liked: int = 0
    posts_liked: int = 0
    error_count: int = 0
    last_error: str | None = None
    followed: bool | None = None
    followed_checked: float | None = None
    posts_since: float | None = None
    stories_since: float | None = None

    @classmethod
    def from_dict(cls, pk: str, data: Any) -> TargetState:
        """Build from stored data, keeping every well-typed field only."""
        return cls.parse(pk, data)[0]

    @classmethod
    def parse(cls, pk: str, data: Any) -> tuple[TargetState, bool]:
        """
        Build from stored data, keeping every well-typed field only.

        Returns:
            The state, and False when a stored field had to be dropped.

        """
        state = cls(pk=pk)
        if not isinstance(data, Mapping):
            return state, False
        complete = True
        for item in fields(cls):
            if item.name == "pk" or item.name not in data:
                continue
            value = data[item.name]
            default = getattr(state, item.name)
            if _same_kind(value, default, item.name):
                setattr(state, item.name, value)
            else:
                complete = False
        return state, complete


def _same_kind(value: Any, default: Any, name: str) -> bool:
    """Tell whether a stored value may replace a field's default."""
    if name == "followed":
        return value is None or isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if name in {"stories_liked", "posts_liked", "error_count"}:
        return isinstance(value, int) and value >= 0
    if name == "latest_reel_media":
        return value is None or isinstance(value, int)
    if name == "last_error":
        return value is None or isinstance(value, str)
    return value is None or isinstance(value, (int, float)) or default is value


@dataclass(slots=True)
class StoredData:
    """
    Everything in the store file.

    Attributes:
        session: instagrapi's exported settings (cookies, device); a secret.
        liked_stories: Story pk -> Unix seconds of our like; purged 24 h after it.
        liked_posts: Recent posts: pk -> Unix seconds of our like (or of finding it
            liked, or of a cycle meeting it again in the history). Older ones live
            in the like history, kept for good (spec section 8.1).
        targets: Target pk -> its bookkeeping.
        limiter: The rate limiter's windows (`RateLimiter.as_dict()`).
        policy: Freezes and warm-up (`SafetyPolicy.as_dict()`).
        auto_like: False while the user has paused everything.
        last_cycle: Unix seconds when the last cycle finished, or None.

    """

    session: dict[str, Any] | None = None
    liked_stories: dict[str, float] = field(default_factory=dict)
    liked_posts: dict[str, float] = field(default_factory=dict)
    targets: dict[str, TargetState] = field(default_factory=dict)
    limiter: dict[str, Any] = field(default_factory=dict)
    policy: dict[str, Any] = field(default_factory=dict)
    auto_like: bool = True
    last_cycle: float | None = None

    @classmethod
    def from_dict(cls, data: Any) -> StoredData:
        """Parse stored data; a malformed part is replaced by its default."""
        return cls.parse(data)[0]

    @classmethod
    def parse(cls, data: Any) -> tuple[StoredData, list[str]]:
        """
        Parse stored data, keeping every well-formed part.

        Returns:
            The data, and the names of the parts that were malformed (empty when
            all were fine); a malformed part takes its default.

        """
        stored = cls()
        if not isinstance(data, Mapping):
            return stored, [] if data is None else ["all"]
        lost: list[str] = []
        for name, valid in _PLAIN_PARTS.items():
            if name not in data:
                continue
            if valid(value := data[name]):
                setattr(stored, name, value)
            else:
                lost.append(name)
        if stored.last_cycle is not None:
            stored.last_cycle = float(stored.last_cycle)
        for name in ("liked_stories", "liked_posts"):
            timestamps, complete = _timestamps(data.get(name))
            setattr(stored, name, timestamps)
            if not complete:
                lost.append(name)
        targets = data.get("targets", {})
        complete = isinstance(targets, Mapping)
        for pk, value in targets.items() if complete else ():
            stored.targets[str(pk)], kept_all = TargetState.parse(str(pk), value)
            complete = complete and kept_all
        if not complete:
            lost.append("targets")
        return stored, lost

    def as_dict(self) -> dict[str, Any]:
        """
        Return the JSON-safe form that the store writes.

        Its containers are copies: an executor thread encodes them while the event
        loop goes on changing the originals.
        """
        return {
            "session": self.session,
            "liked_stories": dict(self.liked_stories),
            "liked_posts": dict(self.liked_posts),
            "targets": {pk: asdict(state) for pk, state in self.targets.items()},
            "limiter": self.limiter,
            "policy": self.policy,
            "auto_like": self.auto_like,
            "last_cycle": self.last_cycle,
        }

    def purge_stories(self, now: float) -> int:
        """
        Forget stories liked more than 24 h ago (spec section 8.1: stories only).

        Args:
            now: Unix seconds.

        Returns:
            How many stories were forgotten. Posts are never purged.

        """
        expired = [
            pk
            for pk, liked_at in self.liked_stories.items()
            if now - liked_at >= STORY_RETENTION
        ]
        for pk in expired:
            del self.liked_stories[pk]
        return len(expired)

    def target(self, pk: str) -> TargetState:
        """Return the bookkeeping of a target, created on first use."""
        if (state := self.targets.get(pk)) is None:
            state = self.targets[pk] = TargetState(pk=pk)
        return state


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


#: Parts of the store checked by type alone; the others are parsed item by item.
_PLAIN_PARTS: dict[str, Callable[[Any], bool]] = {
    "session": lambda value: value is None or isinstance(value, dict),
    "limiter": lambda value: isinstance(value, dict),
    "policy": lambda value: isinstance(value, dict),
    "auto_like": lambda value: isinstance(value, bool),
    "last_cycle": lambda value: value is None or _is_number(value),
}


def _timestamps(data: Any) -> tuple[dict[str, float], bool]:
    """
    Keep the `{pk: unix seconds}` pairs of a stored mapping that are well-formed.

    Returns:
        The pairs, and False when anything was dropped (a missing part is fine).

    """
    if data is None:
        return {}, True
    if not isinstance(data, Mapping):
        return {}, False
    kept = {str(pk): float(value) for pk, value in data.items() if _is_number(value)}
    return kept, len(kept) == len(data)


class IgAutolikerStore(Store[dict[str, Any]]):
    """
    The versioned working store of one config entry and its like history.

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
        """
        Migrate data written by an older version of the integration.

        1.x kept every liked post in the one file: all of them go into the like
        history first, then the caller (`Store`) saves the working store with only
        the recent ones. A crash in between leaves posts in both: none is lost.
        A newer major version never gets here (Home Assistant refuses it).
        """
        if old_major_version == 1 and isinstance(old_data, Mapping):
            raw = old_data.get("liked_posts")
            posts, _complete = _timestamps(raw)
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
        """
        Load and parse the working store; a missing or corrupt file gives empty state.

        The like history is not read: a cycle asks it only about posts the working
        store does not know (`async_recall_posts`). Malformed parts are kept in
        `lost` for `async_report_lost`.
        """
        raw = await self.async_load()
        stored, self.lost = await self.hass.async_add_executor_job(
            StoredData.parse, raw
        )
        if raw is None and await self.hass.async_add_executor_job(self._was_corrupt):
            self.lost = ["all"]
        return stored

    def _was_corrupt(self) -> bool:
        """Tell whether Home Assistant just moved our unreadable file aside."""
        path = Path(self.path)
        return any(path.parent.glob(f"{path.name}.corrupt.*"))

    @callback
    def async_report_lost(self, title: str, lost: list[str]) -> None:
        """
        Say in one log line what a damaged store lost; raise a repair issue for likes.

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
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            f"store_damaged_{self.entry_id}",
            is_fixable=False,
            is_persistent=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key="store_damaged",
            translation_placeholders={"username": title, "parts": ", ".join(lost)},
        )

    # -------------------------------------------------------------- history --

    async def async_recall_posts(
        self, stored: StoredData, pks: Iterable[str], now: float
    ) -> int:
        """
        Bring posts liked long ago back into the working store before a cycle likes.

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
            stored.liked_posts[pk] = now
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
        """
        Write within `SAVE_DELAY` seconds; later changes never push the write out.

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
        """Write now (old posts into the history first); cancels a pending write."""
        self.async_cancel_save()
        await self._async_archive(stored, self.clock())
        await self.async_save(stored.as_dict())

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
        await self.hass.async_add_executor_job(self.history.remove)
