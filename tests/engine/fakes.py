"""
A fake Instagram, a fake clock and an inline job runner for engine tests.

`FakeClient` offers the methods of `InstagramClient` the engine calls, with the same
signatures and return types (engine/models.py), over a small in-memory world of
accounts. It behaves as the adapter does: stories oldest first, posts newest first,
a like sets the media's `has_liked`, the reels tray lists followed accounts with live
stories. Every call that reaches Instagram is logged (`FakeClient.log`) with the fake
time it was sent at; `export_session` sends nothing and is not logged. A test scripts
a fault with `FakeClient.fail`: the next call of that method raises it, after taking
effect when `landed` (an answer lost on the way back).
"""

from __future__ import annotations

import json
import random
from collections import defaultdict, deque
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, cast

from custom_components.ig_autoliker.engine.clock import HOUR
from custom_components.ig_autoliker.engine.engine import Engine, restore_limits
from custom_components.ig_autoliker.engine.exceptions import TargetNotFound
from custom_components.ig_autoliker.engine.models import (
    Account,
    FeedPost,
    MediaItem,
    MediaKind,
    Target,
    TargetUser,
    TrayEntry,
)
from custom_components.ig_autoliker.engine.ratelimit import Limits, RateLimiter
from custom_components.ig_autoliker.engine.safety import SafetyPolicy, SafetySettings
from custom_components.ig_autoliker.engine.state import StoredData

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from datetime import tzinfo

    from custom_components.ig_autoliker.engine.client import InstagramClient
    from custom_components.ig_autoliker.engine.events import EngineEvent

#: Where every fake clock starts: Tuesday 2026-01-06 12:00 UTC (never the wall clock).
START: Final = datetime(2026, 1, 6, 12, tzinfo=UTC).timestamp()
#: The logged-in account.
ME: Final = Account(pk="1000", username="me", full_name="Me")
#: Stories per `reels_media` call the fake accepts (Instagram's refusal, SOURCES.md).
REELS_MEDIA_LIMIT: Final = 20
#: Posts per page of the fake home feed.
TIMELINE_PAGE: Final = 10
#: Methods whose calls are likes.
LIKES: Final = frozenset({"like_story", "like_post"})
#: Safety settings of most tests: liking at any hour, no warm-up, a generous
#: per-target cap, so that only what a test sets limits it.
ANY_HOUR: Final = SafetySettings(
    warmup_days=0, active_start=0, active_end=24, max_likes_per_target_cycle=20
)


class FakeTime:
    """The engine's clock and sleep: `sleep` moves the clock, nothing waits."""

    def __init__(self, start: float = START) -> None:
        self.now = start
        #: Every wait the engine asked for, seconds.
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += max(seconds, 0.0)


class InlineJobs:
    """The engine's `JobRunner`: runs each call at once, on the caller's thread."""

    async def run[T](
        self,
        func: Callable[..., T],
        *args: Any,
        on_done: Callable[[T], None] | None = None,
    ) -> T:
        result = func(*args)
        if on_done is not None:
            on_done(result)
        return result

    async def wait(self) -> None:
        return None


@dataclass(frozen=True, slots=True)
class Call:
    """One call that reached the fake Instagram."""

    at: float
    method: str
    arg: str | None
    error: str | None = None  # the exception's class name when the call failed


@dataclass(frozen=True, slots=True)
class Fault:
    error: Exception
    landed: bool


@dataclass(slots=True)
class FakeAccount:
    """An Instagram account of the fake world."""

    user: TargetUser
    stories: list[MediaItem] = field(default_factory=list)
    posts: list[MediaItem] = field(default_factory=list)
    followed: bool = True


def story(pk: str, owner: str, taken_at: float) -> MediaItem:
    """A story of `owner` posted at `taken_at` (Unix seconds)."""
    return MediaItem(
        pk=pk,
        media_id=f"{pk}_{owner}",
        owner_pk=owner,
        kind=MediaKind.STORY,
        taken_at=datetime.fromtimestamp(taken_at, UTC),
        has_liked=False,
        thumbnail_url=f"https://cdn.example/{pk}.jpg",
    )


def post(pk: str, owner: str, taken_at: float) -> MediaItem:
    """A photo of `owner` posted at `taken_at` (Unix seconds)."""
    return MediaItem(
        pk=pk,
        media_id=f"{pk}_{owner}",
        owner_pk=owner,
        kind=MediaKind.PHOTO,
        taken_at=datetime.fromtimestamp(taken_at, UTC),
        has_liked=False,
        code=f"C{pk}",
        thumbnail_url=f"https://cdn.example/{pk}.jpg",
    )


class FakeClient:
    """The methods of `InstagramClient` the engine calls, over an in-memory world."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self.accounts: dict[str, FakeAccount] = {}
        #: What reached Instagram, in order.
        self.log: list[Call] = []
        #: HTTP requests sent, as `LoginFlow.requests_sent` counts them.
        self.requests_sent = 0
        self.session: dict[str, Any] = {"cookies": {"sessionid": "fake"}}
        #: False during a silent like block: likes are answered ok and not kept.
        self.keep_likes = True
        self._faults: dict[str, deque[Fault]] = defaultdict(deque)

    # -- scripting -----------------------------------------------------------------

    def add(
        self,
        pk: str,
        username: str,
        *,
        stories: Iterable[float] = (),
        posts: Iterable[float] = (),
        followed: bool = True,
    ) -> FakeAccount:
        """Add an account with stories and posts posted at the given Unix seconds."""
        account = FakeAccount(
            TargetUser(pk=pk, username=username, full_name="", is_private=False),
            [story(f"{pk}{n:02}1", pk, at) for n, at in enumerate(stories)],
            [post(f"{pk}{n:02}2", pk, at) for n, at in enumerate(posts)],
            followed,
        )
        self.accounts[pk] = account
        return account

    def fail(self, method: str, error: Exception, *, landed: bool = False) -> None:
        """Make the next call of `method` raise `error` (after its effect if landed)."""
        self._faults[method].append(Fault(error, landed))

    def calls(self, *methods: str) -> list[Call]:
        """The logged calls of `methods` (all when none is named)."""
        return [c for c in self.log if not methods or c.method in methods]

    def likes(self) -> list[str]:
        """Media pks of every like request sent, answered or not, in order."""
        return [c.arg for c in self.log if c.method in LIKES and c.arg is not None]

    def liked_on_instagram(self) -> set[str]:
        """Media pks that Instagram shows liked by the account."""
        return {
            item.pk
            for account in self.accounts.values()
            for item in (*account.stories, *account.posts)
            if item.has_liked
        }

    # -- the client's methods ------------------------------------------------------

    def _send[T](
        self, method: str, arg: str | None, effect: Callable[[], T], cost: int = 1
    ) -> T:
        self.requests_sent += cost
        queue = self._faults.get(method)
        fault = queue.popleft() if queue else None
        if fault is not None and not fault.landed:
            self.log.append(
                Call(self._clock(), method, arg, type(fault.error).__name__)
            )
            raise fault.error
        result = effect()
        if fault is not None:
            self.log.append(
                Call(self._clock(), method, arg, type(fault.error).__name__)
            )
            raise fault.error
        self.log.append(Call(self._clock(), method, arg))
        return result

    def _account(self, pk: str) -> FakeAccount:
        if (account := self.accounts.get(pk)) is None:
            raise TargetNotFound(pk)
        return account

    def resolve_username(self, username: str) -> TargetUser:
        def resolve() -> TargetUser:
            for account in self.accounts.values():
                if account.user.username == username:
                    return account.user
            raise TargetNotFound(username)

        return self._send("resolve_username", username, resolve)

    def in_tray_when_live(self, user_pk: str) -> bool:
        return self._send(
            "in_tray_when_live", user_pk, lambda: self._account(user_pk).followed
        )

    def reels_tray(self) -> list[TrayEntry]:
        def tray() -> list[TrayEntry]:
            return [
                TrayEntry(
                    pk,
                    max(int(s.taken_at.timestamp()) for s in account.stories),
                    account.user.username,
                )
                for pk, account in self.accounts.items()
                if account.followed and account.stories
            ]

        return self._send("reels_tray", None, tray)

    def user_stories(self, user_pk: str) -> list[MediaItem]:
        def stories() -> list[MediaItem]:
            items = self._account(user_pk).stories
            return sorted(items, key=lambda item: item.taken_at)

        return self._send("user_stories", user_pk, stories)

    def user_posts(self, user_pk: str, amount: int = 12) -> list[MediaItem]:
        def posts() -> list[MediaItem]:
            items = self._account(user_pk).posts
            return sorted(items, key=lambda item: item.taken_at, reverse=True)[:amount]

        return self._send("user_posts", user_pk, posts)

    def reels_media(self, user_pks: Sequence[str]) -> dict[str, list[MediaItem]]:
        """Stories of the followed accounts named; one request (logged: pks joined)."""

        def reels() -> dict[str, list[MediaItem]]:
            if len(user_pks) > REELS_MEDIA_LIMIT:
                msg = "Too many reels requested"
                raise ValueError(msg)
            return {
                pk: sorted(account.stories, key=lambda item: item.taken_at)
                for pk in user_pks
                if (account := self.accounts.get(pk)) and account.followed
                if account.stories
            }

        return self._send("reels_media", ",".join(user_pks), reels)

    def timeline(self, max_id: str | None = None) -> tuple[list[FeedPost], str | None]:
        """The followed accounts' posts newest first, `TIMELINE_PAGE` a page.

        As `InstagramClient.timeline` returns it: ads and suggestions are already
        left out (the emulator's integration test covers that filtering).
        """

        def page() -> tuple[list[FeedPost], str | None]:
            posts = sorted(
                (
                    FeedPost(item, account.user.username)
                    for account in self.accounts.values()
                    if account.followed
                    for item in account.posts
                ),
                key=lambda post: post.item.taken_at,
                reverse=True,
            )
            offset = int(max_id or 0)
            end = offset + TIMELINE_PAGE
            return posts[offset:end], str(end) if end < len(posts) else None

        return self._send("timeline", max_id, page)

    def _set_liked(self, item: MediaItem) -> None:
        account = self._account(item.owner_pk)
        feed = account.stories if item.kind is MediaKind.STORY else account.posts
        for index, known in enumerate(feed):
            if known.pk == item.pk:
                if self.keep_likes:
                    feed[index] = replace(known, has_liked=True)
                return
        raise TargetNotFound(item.pk)

    def like_story(self, story: MediaItem) -> None:
        # Marks the story seen, then likes it: two requests (client.py).
        self._send("like_story", story.pk, lambda: self._set_liked(story), cost=2)

    def like_post(self, post: MediaItem) -> None:
        self._send("like_post", post.pk, lambda: self._set_liked(post))

    def keep_alive(self) -> None:
        self._send("keep_alive", None, lambda: None)

    def login(self, verification_code: str | None = None) -> Account:  # noqa: ARG002
        return self._send("login", None, lambda: ME)

    def relogin(self) -> Account:
        return self._send("relogin", None, lambda: ME)

    def export_session(self) -> dict[str, Any]:
        return dict(self.session)  # sends no request


@dataclass(frozen=True, slots=True)
class Write:
    """One write of the account state: what it held, after how many client calls."""

    calls: int
    data: dict[str, Any]


@dataclass
class Rig:
    """An engine wired to the fakes, and what it reported and wrote."""

    engine: Engine
    client: FakeClient
    time: FakeTime
    targets: list[Target]
    events: list[EngineEvent]
    #: Every write the engine waited for (`persist`), oldest first.
    disk: list[Write] = field(default_factory=list)

    def on_disk_at(self, call: Call) -> StoredData:
        """What a hard kill right after Instagram received `call` leaves on disk."""
        index = self.client.log.index(call)
        data = next(w.data for w in reversed(self.disk) if w.calls <= index)
        return StoredData.from_dict(data)

    def of[E](self, kind: type[E]) -> list[E]:
        """The events of one kind, in order."""
        return [event for event in self.events if isinstance(event, kind)]

    async def next_cycle(self) -> bool | None:
        """Move the clock to the next scheduled cycle and run it."""
        self.time.now = max(self.time.now, self.engine.next_cycle_at)
        return await self.engine.async_cycle()


async def _recall_nothing(pks: Iterable[str], now: float) -> int:
    """No like history: nothing liked long ago."""
    return 0


def make_rig(
    time: FakeTime,
    client: FakeClient,
    targets: list[Target],
    *,
    limits: Limits | None = None,
    settings: SafetySettings = ANY_HOUR,
    tz: tzinfo = UTC,
    interval: float = HOUR,
    stored: StoredData | None = None,
    restore: bool = False,
    seed: int = 7,
    story_check: float | None = None,
) -> Rig:
    """
    Build an engine as the coordinator does, with seeded jitter.

    Cycles come every `interval` (each reads every feed due) unless `story_check`
    asks for tray reads in between.

    With `restore`, the limiter and the policy come from `stored` through
    `restore_limits`, as after a restart (its jitter is not seeded).
    """
    stored = stored or StoredData()
    limits = limits or Limits()
    if restore:
        limiter, policy = restore_limits(stored, limits, settings, clock=time, tz=tz)
    else:
        limiter = RateLimiter(limits, time, random.Random(seed))  # noqa: S311
        policy = SafetyPolicy(settings, time, tz)
    events: list[EngineEvent] = []
    disk: list[Write] = []

    async def persist() -> None:
        saved = json.loads(json.dumps(engine.state_to_save().as_dict()))
        disk.append(Write(len(client.log), saved))

    engine = Engine(
        cast("InstagramClient", client),
        stored,
        limiter,
        policy,
        targets=lambda: targets,
        clock=time,
        sleep=time.sleep,
        jobs=InlineJobs(),
        recall_posts=_recall_nothing,
        persist=persist,
        listener=events.append,
        interval=interval,
        rng=random.Random(seed),  # noqa: S311 - jitter, not cryptography
        story_check=interval if story_check is None else story_check,
    )
    return Rig(engine, client, time, targets, events, disk)
