"""What the engine remembers of an account: the liked ledger and per-target bookkeeping.

Plain data, JSON-safe through `as_dict()`/`parse()`. Parsing is forgiving: a part of
the wrong shape takes its default and is named, so the caller can say what a damaged
store lost and keep everything else. Stories are purged 24 h after their like; posts
are kept for good (spec section 8.1, CleanupService).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Final

from .clock import DAY, stored_seconds
from .models import MediaKind
from .outcomes import LikeOutcomes

#: Stories stay in the ledger this long after their like, seconds (spec 8.1: a
#: story lives 24 h, so nothing older can be met again).
STORY_RETENTION: Final = DAY
#: A like whose answer was lost is looked up in the feeds for this long, seconds;
#: a media not met again within a week (target off, post gone) is let go.
UNSURE_RETENTION: Final = 7 * DAY


@dataclass(slots=True)
class TargetState:
    """Bookkeeping of one target account.

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
            the target was added and are never liked (the baseline).
            None: not baselined yet (or a target from before baselining).
        stories_since: The same for stories.
        fair_seen: New media decided (liked in time, or past their deadline
            unliked), decayed (`fairness.py`), count.
        fair_liked: Our likes in time, decayed the same way, count.
        fair_at: Unix seconds both counters were decayed to, or None.
        fair_story_until: Unix seconds of the newest story a read showed.
        fair_post_until: Unix seconds of the newest post a read showed.
        fair_open: The media known and not decided yet: key (`fairness._key`)
            -> Unix seconds of its deadline.
        last_thumbnail: The preview URL of the last liked item on Instagram's CDN,
            as the feed gave it, or None. Stored so that the picture returns
            after a restart while Instagram's signature in its query holds (the
            CDN answers 403 once it expired); a secret of sorts, so it is never
            shown: not in a state, an attribute, a log line or diagnostics.

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
    fair_seen: float = 0.0
    fair_liked: float = 0.0
    fair_at: float | None = None
    fair_story_until: float | None = None
    fair_post_until: float | None = None
    fair_open: dict[str, float] = field(default_factory=dict)
    last_thumbnail: str | None = None

    @classmethod
    def from_dict(cls, pk: str, data: Any) -> TargetState:
        """Build from stored data, keeping every well-typed field only."""
        return cls.parse(pk, data)[0]

    @classmethod
    def parse(cls, pk: str, data: Any) -> tuple[TargetState, bool]:
        """Build from stored data, keeping every well-typed field only.

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


def _parse_followed(data: Any) -> tuple[dict[str, list[float]], bool]:
    """Parse follow mode's accounts; an entry not [3 numbers] is dropped.

    Returns:
        pk -> [since, last seen, last liked], and False when an entry was dropped.

    """
    if data is None:
        return {}, True
    if not isinstance(data, Mapping):
        return {}, False
    followed = {}
    for pk, times in data.items():
        parsed = [stored_seconds(t) for t in times] if isinstance(times, list) else []
        # since, last seen, last liked
        if len(parsed) == 3 and None not in parsed:  # noqa: PLR2004
            followed[str(pk)] = [float(t or 0.0) for t in parsed]
    return followed, len(followed) == len(data)


def _open_media(value: Any) -> bool:
    """Tell whether a stored `fair_open` is key -> Unix seconds."""
    return isinstance(value, Mapping) and all(
        isinstance(key, str)
        and isinstance(until, (int, float))
        and not isinstance(until, bool)
        for key, until in value.items()
    )


def _followed(value: Any) -> bool:
    return value is None or isinstance(value, bool)


#: Fields whose stored value has its own check.
_CHECKS: Final = {"fair_open": _open_media, "followed": _followed}


def _same_kind(value: Any, default: Any, name: str) -> bool:
    """Tell whether a stored value may replace a field's default."""
    if (check := _CHECKS.get(name)) is not None:
        return check(value)
    if isinstance(value, bool):
        return False
    if name in {
        "stories_liked",
        "posts_liked",
        "error_count",
        "fair_seen",
        "fair_liked",
    }:
        # The fair_* counts decay (fairness.py): fractions.
        kinds = (int, float) if name.startswith("fair_") else int
        return isinstance(value, kinds) and value >= 0
    if name == "latest_reel_media":
        return value is None or isinstance(value, int)
    if name in {"last_error", "last_thumbnail"}:
        return value is None or isinstance(value, str)
    return value is None or isinstance(value, (int, float)) or default is value


@dataclass(slots=True)
class StoredData:
    """Everything in the store file.

    Attributes:
        session: instagrapi's exported settings (cookies, device); a secret.
        liked_stories: Story pk -> Unix seconds of our like; purged 24 h after it.
        liked_posts: Recent posts: pk -> Unix seconds of our like (or of finding it
            liked, or of a cycle meeting it again in the history). Older ones live
            in the like history, kept for good (spec section 8.1).
        unsure_likes: Media pk -> Unix seconds a like was sent whose answer was lost
            (a timeout, or a hard kill: each like is written here before it is
            sent): Instagram may have acted. The next feed that shows the media
            tells; until then it is never sent again. Dropped after a week.
        found_liked: Media pk -> the ledger's Unix seconds of a media that came
            into the ledger without a like of ours: found liked on Instagram (by
            hand, another app) or brought back from the like history. Kept 24 h,
            so that restoring the limits counts our likes only (`own_likes`).
        targets: Target pk -> its bookkeeping.
        like_outcomes: Our recent likes and whether the feeds show them (silent
            like blocks, `outcomes.py`).
        limiter: The rate limiter's windows (`RateLimiter.as_dict()`).
        policy: Freezes, warm-up and adaptive pace (`SafetyPolicy.as_dict()`).
        auto_like: False while the user has paused everything.
        last_cycle: Unix seconds when the last cycle finished, or None.
        followed: Follow mode's accounts: pk -> [since, last seen, last liked]
            (Unix seconds; media up to `since` is their baseline, last liked 0.0
            for never). Stores from before follow mode have none.
        follow_pass: Unix seconds of follow mode's last read of the feeds, or None.

    """

    session: dict[str, Any] | None = None
    liked_stories: dict[str, float] = field(default_factory=dict)
    liked_posts: dict[str, float] = field(default_factory=dict)
    unsure_likes: dict[str, float] = field(default_factory=dict)
    found_liked: dict[str, float] = field(default_factory=dict)
    targets: dict[str, TargetState] = field(default_factory=dict)
    like_outcomes: LikeOutcomes = field(default_factory=LikeOutcomes)
    limiter: dict[str, Any] = field(default_factory=dict)
    policy: dict[str, Any] = field(default_factory=dict)
    auto_like: bool = True
    last_cycle: float | None = None
    followed: dict[str, list[float]] = field(default_factory=dict)
    follow_pass: float | None = None

    @classmethod
    def from_dict(cls, data: Any) -> StoredData:
        """Parse stored data; a malformed part is replaced by its default."""
        return cls.parse(data)[0]

    @classmethod
    def parse(cls, data: Any) -> tuple[StoredData, list[str]]:
        """Parse stored data, keeping every well-formed part.

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
        for name in ("liked_stories", "liked_posts", "unsure_likes", "found_liked"):
            timestamps, complete = parse_timestamps(data.get(name))
            setattr(stored, name, timestamps)
            if not complete:
                lost.append(name)
        if "found_liked" not in data:
            # Written before found_liked was: its limiter was written with its
            # ledger, so it holds every like of ours the ledger does.
            stored.found_liked = {**stored.liked_posts, **stored.liked_stories}
        targets = data.get("targets", {})
        complete = isinstance(targets, Mapping)
        for pk, value in targets.items() if complete else ():
            stored.targets[str(pk)], kept_all = TargetState.parse(str(pk), value)
            complete = complete and kept_all
        if not complete:
            lost.append("targets")
        stored.followed, complete = _parse_followed(data.get("followed"))
        lost += [] if complete else ["followed"]
        stored.follow_pass = stored_seconds(data.get("follow_pass"))
        stored.like_outcomes, complete = LikeOutcomes.parse(data.get("like_outcomes"))
        if not complete:
            lost.append("like_outcomes")
        return stored, lost

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON-safe form that the store writes.

        Its containers are copies: an executor thread encodes them while the event
        loop goes on changing the originals.
        """
        return {
            "session": self.session,
            "liked_stories": dict(self.liked_stories),
            "liked_posts": dict(self.liked_posts),
            "unsure_likes": dict(self.unsure_likes),
            "found_liked": dict(self.found_liked),
            "targets": {pk: asdict(state) for pk, state in self.targets.items()},
            "like_outcomes": self.like_outcomes.as_dict(),
            "limiter": self.limiter,
            "policy": self.policy,
            "auto_like": self.auto_like,
            "last_cycle": self.last_cycle,
            "followed": {pk: list(times) for pk, times in self.followed.items()},
            "follow_pass": self.follow_pass,
        }

    def purge_stories(self, now: float) -> int:
        """Forget stories liked more than 24 h ago (spec section 8.1: stories only).

        Unanswered likes older than `UNSURE_RETENTION` are let go as well, and
        the marks of `found_liked` after 24 h (no window is longer).

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
        for pk, sent_at in list(self.unsure_likes.items()):
            if now - sent_at >= UNSURE_RETENTION:
                del self.unsure_likes[pk]
        for pk, found_at in list(self.found_liked.items()):
            if now - found_at >= DAY:
                del self.found_liked[pk]
        return len(expired)

    def _ledger(self, kind: MediaKind) -> dict[str, float]:
        return self.liked_stories if kind is MediaKind.STORY else self.liked_posts

    def is_liked(self, kind: MediaKind, pk: str) -> bool:
        """Tell whether the ledger knows media `pk` of `kind` as liked."""
        return pk in self._ledger(kind)

    def remember(self, kind: MediaKind, pk: str, now: float) -> None:
        """Note media `pk` of `kind` as liked by us at `now`."""
        self._ledger(kind)[pk] = now
        self.unsure_likes.pop(pk, None)

    def remember_found(self, kind: MediaKind, pk: str, now: float) -> None:
        """Note media `pk` of `kind` as liked, not by us (`found_liked`), at `now`."""
        self._ledger(kind)[pk] = now
        self.found_liked[pk] = now

    def own_likes(self, now: float) -> tuple[list[float], list[float]]:
        """Return our likes of the last 24 h that this state knows, for the limits.

        Our likes are the ledger's stamps not marked `found_liked`, and the
        `unsure_likes` (sent; Instagram may have acted), which count as story
        views as well: their kind is not kept, and counting one view too many
        errs on the side of Instagram's limits.

        Args:
            now: Unix seconds.

        Returns:
            Unix seconds of (every like, every story view) after `now - 86400`;
            a media in the ledger and in `unsure_likes` counts once.

        """
        posts, stories = (
            [
                liked_at
                for pk, liked_at in ledger.items()
                if now - liked_at < DAY and self.found_liked.get(pk) != liked_at
            ]
            for ledger in (self.liked_posts, self.liked_stories)
        )
        stories += [
            sent_at
            for pk, sent_at in self.unsure_likes.items()
            if now - sent_at < DAY
            and pk not in self.liked_posts
            and pk not in self.liked_stories
        ]
        return posts + stories, stories

    def forget(self, kind: MediaKind, pk: str) -> None:
        """Drop media `pk` of `kind` from the ledger (its like did not stick)."""
        self._ledger(kind).pop(pk, None)

    def target(self, pk: str) -> TargetState:
        """Return the bookkeeping of a target, created on first use."""
        if (state := self.targets.get(pk)) is None:
            state = self.targets[pk] = TargetState(pk=pk)
        return state


def _is_number(value: Any) -> bool:
    return stored_seconds(value) is not None


#: Parts of the store checked by type alone; the others are parsed item by item.
_PLAIN_PARTS: dict[str, Callable[[Any], bool]] = {
    "session": lambda value: value is None or isinstance(value, dict),
    "limiter": lambda value: isinstance(value, dict),
    "policy": lambda value: isinstance(value, dict),
    "auto_like": lambda value: isinstance(value, bool),
    "last_cycle": lambda value: value is None or _is_number(value),
}


def parse_timestamps(data: Any) -> tuple[dict[str, float], bool]:
    """Keep the `{pk: unix seconds}` pairs of a stored mapping that are well-formed.

    Returns:
        The pairs, and False when anything was dropped (a missing part is fine).

    """
    if data is None:
        return {}, True
    if not isinstance(data, Mapping):
        return {}, False
    kept = {str(pk): float(value) for pk, value in data.items() if _is_number(value)}
    return kept, len(kept) == len(data)
