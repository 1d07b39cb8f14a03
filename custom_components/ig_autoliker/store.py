"""
What the integration remembers between restarts, kept in a versioned `Store`.

One store file per config entry (`.storage/ig_autoliker.<entry_id>`) holds the
instagrapi session, the liked stories and posts, per-target bookkeeping and the
rate-limit windows (spec section 8.1). Loading is forgiving: Home Assistant's `Store`
already moves a file with broken JSON aside; a file with valid JSON of the wrong shape
loses only the malformed parts, never the rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Any

from homeassistant.helpers.storage import Store

from .const import DOMAIN, LOGGER, STORY_RETENTION

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

STORAGE_VERSION = 1
STORAGE_MINOR_VERSION = 1
#: Seconds a change may wait before it is written; stop and unload flush at once.
SAVE_DELAY = 10.0


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
        state = cls(pk=pk)
        if not isinstance(data, Mapping):
            return state
        for item in fields(cls):
            if item.name == "pk" or item.name not in data:
                continue
            value = data[item.name]
            default = getattr(state, item.name)
            if _same_kind(value, default, item.name):
                setattr(state, item.name, value)
        return state


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
        liked_posts: Post pk -> Unix seconds of our like (or of finding it liked);
            kept for good (spec section 8.1).
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
        """Parse stored data; a malformed part is logged and replaced by its default."""
        stored = cls()
        if not isinstance(data, Mapping):
            if data is not None:
                LOGGER.warning(
                    "Ignoring malformed store data of type %s", type(data).__name__
                )
            return stored
        if isinstance(session := data.get("session"), dict):
            stored.session = session
        stored.liked_stories = _timestamps(data.get("liked_stories"))
        stored.liked_posts = _timestamps(data.get("liked_posts"))
        if isinstance(targets := data.get("targets"), Mapping):
            stored.targets = {
                str(pk): TargetState.from_dict(str(pk), value)
                for pk, value in targets.items()
            }
        if isinstance(limiter := data.get("limiter"), dict):
            stored.limiter = limiter
        if isinstance(policy := data.get("policy"), dict):
            stored.policy = policy
        if isinstance(auto_like := data.get("auto_like"), bool):
            stored.auto_like = auto_like
        if isinstance(
            last_cycle := data.get("last_cycle"), (int, float)
        ) and not isinstance(last_cycle, bool):
            stored.last_cycle = float(last_cycle)
        return stored

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON-safe form that the store writes."""
        return {
            "session": self.session,
            "liked_stories": self.liked_stories,
            "liked_posts": self.liked_posts,
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


def _timestamps(data: Any) -> dict[str, float]:
    """Keep the `{pk: unix seconds}` pairs of a stored mapping that are well-formed."""
    if not isinstance(data, Mapping):
        return {}
    return {
        str(pk): float(value)
        for pk, value in data.items()
        if isinstance(value, (int, float)) and not isinstance(value, bool)
    }


class IgAutolikerStore(Store[dict[str, Any]]):
    """The versioned store of one config entry, with its migration hook."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Create the store for `entry_id` (file `.storage/ig_autoliker.<entry_id>`)."""
        super().__init__(
            hass,
            STORAGE_VERSION,
            f"{DOMAIN}.{entry_id}",
            minor_version=STORAGE_MINOR_VERSION,
            private=True,
            atomic_writes=True,
        )

    async def _async_migrate_func(
        self,
        old_major_version: int,
        old_minor_version: int,
        old_data: dict[str, Any],
    ) -> dict[str, Any]:
        """
        Migrate data written by an older version of the integration.

        Version 1.1 is the first, so there is nothing to convert yet; a newer major
        version never gets here (Home Assistant refuses it before migrating).
        """
        return old_data

    async def async_load_data(self) -> StoredData:
        """
        Load and parse the store; a missing or corrupt file gives empty state.

        Parsing runs in an executor job: a year of likes at the daily ceiling is
        ~290,000 posts, ~130 ms of work (see `scripts/benchmark`).
        """
        raw = await self.async_load()
        return await self.hass.async_add_executor_job(StoredData.from_dict, raw)
