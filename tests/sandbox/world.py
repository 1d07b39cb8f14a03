"""The state of the emulated Instagram: users, media, sessions, likes and a request log.

Everything is guarded by one re-entrant lock, so tests may read and change the world
from their own thread while the sandbox thread serves requests. Times are Unix
seconds on `world.clock`, which starts at the real time and only moves when a test
calls `clock.advance()` / `clock.set()`.

Nothing secret is recorded: the request log keeps method, host, endpoint, a redacted
query and the viewer's pk, never bodies, cookies, passwords or authorization headers.
"""

from __future__ import annotations

import heapq
import itertools
import re
import secrets
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Literal

from .faults import Faults

if TYPE_CHECKING:
    from collections.abc import Callable

STORY_LIFETIME = 24 * 3600  # seconds a story stays visible

MediaKindName = Literal["story", "photo", "album", "reel"]
PostKindName = Literal["photo", "album", "reel"]
LoginFlow = Literal["caa", "legacy"]
ChallengeMethodName = Literal["email", "sms"]
TwoFactorMethodName = Literal["totp", "sms", "whatsapp"]
#: Where a media item reaches a viewer's home feed: a followed account's own post, an
#: ad (sponsored, `injected`) or a recommendation (suggested post / reel).
Placement = Literal["organic", "ad", "suggested"]
#: A unit placed in a viewer's feed/timeline/ (see payloads.py for each shape).
TimelineUnitName = Literal["ad", "suggested_post", "suggested_users"]
#: How a checkpoint is worded: `challenge_required` with a `challenge` object, or the
#: older `checkpoint_required` message with a `checkpoint_url` (see captures.py).
CheckpointForm = Literal["challenge", "checkpoint"]

#: Query keys whose values may appear in the request log; every other value is redacted.
_LOGGABLE_QUERY_KEYS = frozenset(
    {
        "edit",
        "reel",
        "live_vod",
        "max_id",
        "count",
        "min_timestamp",
        "ranked_content",
        "is_prefetch",
        "entry_point",
        "from_module",
        "is_app_start",
        "is_external_deeplink_profile_view",
        "page_size",
        "search_surface",
        "source",
    }
)
_NUMBER = re.compile(r"(?<![A-Za-z])\d+")


class Clock:
    """A settable clock (Unix seconds). Thread-safe.

    `call_at` runs an action once the clock reaches its time, in the thread that
    moves the clock, before that move returns: a simulation whose clock runs ahead
    of real time still sees the action happen at its world time.
    """

    def __init__(self, start: float | None = None) -> None:
        self._now = float(int(time.time()) if start is None else start)
        self._lock = threading.Lock()
        self._due: list[tuple[float, int, Callable[[], None]]] = []
        self._order = 0

    def now(self) -> float:
        """Current world time, seconds."""
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> float:
        """Move the clock forward by `seconds`; returns the new time."""
        if seconds < 0:
            msg = "the clock only moves forward"
            raise ValueError(msg)
        with self._lock:
            target = self._now + seconds
        self._move(target)
        return target

    def set(self, when: float) -> None:
        """Jump to an absolute time."""
        self._move(float(when))

    def call_at(self, when: float, action: Callable[[], None]) -> None:
        """Run `action()` when the clock first reaches `when` (world seconds).

        The action runs in the thread that moves the clock there; an action that
        must not run twice guards itself (its owner may run it first).
        """
        with self._lock:
            self._order += 1
            heapq.heappush(self._due, (when, self._order, action))

    def _move(self, target: float) -> None:
        """Go to `target`, stopping at each due action's time to run it there.

        An action sees the clock at its own time (what it stamps is when it was
        due), as the simulation publishes media at their own times on the way.
        """
        while True:
            with self._lock:
                if not self._due or self._due[0][0] > target:
                    self._now = target
                    return
                when, _, action = heapq.heappop(self._due)
                self._now = max(self._now, when)
            action()


@dataclass
class User:
    """An Instagram profile; with a password it is an account that can log in.

    Attributes:
        pk: Numeric user id.
        username: Lower-case username.
        full_name: Display name.
        is_private: Private profile.
        password: Login password, None for profiles nobody logs into here.
        email / phone_number: Contact points offered by challenges.
        login_flow: "caa" logs in through the Bloks/CAA flow; "legacy" makes the CAA
            answer carry a CAA_LOGIN_FALLBACK marker so the client uses accounts/login/.
        two_factor_code: When set, login needs this code (two-factor on).
        two_factor_method: "totp", "sms" or "whatsapp" (what the login response
            advertises; WhatsApp comes with SMS, as in the capture).
        two_factor_typed: The legacy two-factor answer carries
            `error_type: two_factor_required` (today's capture has none).
        challenge_code: When set, a checkpoint is pending and login answers
            challenge_required until this code is submitted.
        challenge_methods: Contact points the checkpoint offers.
        challenge_native: Checkpoints of this account are `native_flow: true`
            (confirm in the app, Instagram's default) rather than a code by
            email or SMS.
        suspended: The account is suspended: every login and request answers the
            `/accounts/suspended/` checkpoint.
        following: pks this user follows.
    """

    pk: int
    username: str
    full_name: str = ""
    is_private: bool = False
    password: str | None = None
    email: str | None = None
    phone_number: str | None = None
    login_flow: LoginFlow = "caa"
    two_factor_code: str | None = None
    two_factor_method: TwoFactorMethodName = "totp"
    two_factor_typed: bool = False
    challenge_code: str | None = None
    challenge_methods: tuple[ChallengeMethodName, ...] = ("email", "sms")
    challenge_native: bool = True
    suspended: bool = False
    following: set[int] = field(default_factory=set)


@dataclass
class Media:
    """A story or post.

    Attributes:
        pk: Media pk; `id` is `<pk>_<owner_pk>`.
        owner_pk: pk of the author.
        kind: story, photo, album or reel.
        taken_at: Unix seconds (world clock).
        media_type: Instagram's media_type (1 photo, 2 video, 8 carousel).
        carousel_count: Number of children of an album.
        liked_by: pks of the accounts that like it.
        deleted: Deleted media answer "has been deleted".
        placement: "organic" (the owner's own post), "ad" (a sponsored post the
            timeline injects) or "suggested" (a recommended post or reel).
        ad_id: The ad's id (ads only), as `injected.ad_id` / `ad_id` carry it.
    """

    pk: int
    owner_pk: int
    kind: MediaKindName
    taken_at: float
    media_type: int
    carousel_count: int = 0
    liked_by: set[int] = field(default_factory=set)
    deleted: bool = False
    placement: Placement = "organic"
    ad_id: str | None = None

    @property
    def id(self) -> str:
        """`<pk>_<owner_pk>`."""
        return f"{self.pk}_{self.owner_pk}"

    @property
    def expiring_at(self) -> float | None:
        """When a story disappears (None for posts)."""
        return self.taken_at + STORY_LIFETIME if self.kind == "story" else None

    @property
    def like_count(self) -> int:
        """Number of accounts that like it."""
        return len(self.liked_by)


@dataclass(frozen=True)
class TimelineInsert:
    """A unit a viewer's home feed shows besides the followed accounts' posts.

    Attributes:
        viewer_pk: Whose feed/timeline/ shows it.
        unit: "ad", "suggested_post" (a post or reel) or "suggested_users".
        position: Index among the feed items before the end-of-feed demarcator
            (0 = first item); None places it after the demarcator, where the app
            shows its recommendations once the followed posts are all seen.
        media_pk: The ad / suggested media (None for suggested users).
        user_pks: The suggested accounts (suggested users only).
        seq: Creation order (ties at one position keep it).
    """

    viewer_pk: int
    unit: TimelineUnitName
    position: int | None
    media_pk: int | None = None
    user_pks: tuple[int, ...] = ()
    seq: int = 0


@dataclass(frozen=True)
class Like:
    """One like request Instagram answered `{"status": "ok"}`.

    Attributes:
        dropped: A silent block answered it and did not keep it: no feed ever
            shows it liked.
        undone_at: A silent block kept it and removes it at this world time:
            feeds read before show it liked, feeds read from then on unliked.
    """

    viewer_pk: int
    media_pk: int
    owner_pk: int
    kind: MediaKindName
    at: float
    endpoint: str
    dropped: bool = False
    undone_at: float | None = None

    @property
    def silent(self) -> bool:
        """The answer was ok, yet the like did not last (dropped or undone)."""
        return self.dropped or self.undone_at is not None


@dataclass(frozen=True)
class SilentBlock:
    """A sustained silent like block of one account (`World.silent_block`).

    From `since` until `until` (world time, None: open-ended) every like the
    account sends is answered `{"status": "ok"}` like any other; with
    `undo_after` None it is not kept, else it is kept and removed that many
    seconds later. The block starts and ends without any answer changing:
    only the feeds tell.
    """

    viewer_pk: int
    since: float
    until: float | None = None
    undo_after: float | None = None

    def covers(self, viewer_pk: int, at: float) -> bool:
        """Whether a like the viewer sends at `at` falls under this block."""
        return (
            viewer_pk == self.viewer_pk
            and at >= self.since
            and (self.until is None or at < self.until)
        )


@dataclass(frozen=True)
class SilentLike:
    """How one like is silently blocked: dropped (`undo_after` None) or undone."""

    undo_after: float | None = None


@dataclass(frozen=True)
class Seen:
    """One story marked seen via v2/media/seen/."""

    viewer_pk: int
    media_pk: int
    owner_pk: int
    at: float


@dataclass
class Session:
    """A login session: sessionid cookie + bearer token carry the same sessionid."""

    sessionid: str
    pk: int
    created_at: float
    via: str
    revoked: bool = False


@dataclass(frozen=True)
class RequestRecord:
    """One request as the sandbox saw it. Holds no secret.

    Attributes:
        at: World time when it was answered (logged). wall: real time.time().
        arrived: World time when it arrived (before a TIMEOUT fault's delay: an
            answer held back in real time is logged at a later world time).
        method / host / path / endpoint: What was asked (path without query).
        query: Query parameters, values redacted except harmless paging keys.
        viewer_pk: pk of the valid session that sent it, else None.
        status: HTTP status answered (0 when the connection was reset).
        fault: Name of the injected fault, if any.
        batch: How many ids a batched request named (`feed/reels_media/`: the
            number of reel ids), else None.
        media_pk: The media a like/unlike request names (path or `media_id`),
            else None: counts like requests per media, answered or not.

    `route` is the endpoint with every number replaced by `{id}`
    (`friendships/{id}/following/`), to count requests per endpoint kind.
    """

    at: float
    wall: float
    method: str
    host: str
    path: str
    endpoint: str
    query: dict[str, str]
    viewer_pk: int | None
    status: int
    fault: str | None = None
    batch: int | None = None
    media_pk: int | None = None
    arrived: float | None = None

    @property
    def route(self) -> str:
        """The endpoint with its numbers (pks, media ids) replaced by `{id}`."""
        return route_of(self.endpoint)

    def as_dict(self) -> dict[str, object]:
        """JSON-safe view."""
        return {
            "at": self.at,
            "arrived": self.arrived,
            "method": self.method,
            "host": self.host,
            "path": self.path,
            "endpoint": self.endpoint,
            "route": self.route,
            "batch": self.batch,
            "query": dict(self.query),
            "viewer_pk": self.viewer_pk,
            "status": self.status,
            "fault": self.fault,
            "media_pk": self.media_pk,
        }


@dataclass
class Challenge:
    """A pending checkpoint of one account.

    Attributes:
        native: `native_flow: true`: passed by confirming in the app, not by a code.
        form: How Instagram words it (`challenge_required` or `checkpoint_required`).
        device: Android id of the device whose request met it; a confirmation in
            the app clears it for that device only.
        confirmed: The user confirmed "This was me" in the app (admin API).
    """

    pk: int
    nonce: str
    code: str
    methods: tuple[ChallengeMethodName, ...]
    chosen: ChallengeMethodName | None = None
    native: bool = False
    form: CheckpointForm = "challenge"
    device: str | None = None
    confirmed: bool = False

    @property
    def api_path(self) -> str:
        """`/challenge/<pk>/<nonce>/`, as the captures carry it."""
        return f"/challenge/{self.pk}/{self.nonce}/"


@dataclass(frozen=True)
class CodeSent:
    """A challenge code Instagram 'sent'."""

    username: str
    method: ChallengeMethodName
    at: float


def route_of(endpoint: str) -> str:
    """`friendships/5501000001/following/` -> `friendships/{id}/following/`."""
    return _NUMBER.sub("{id}", endpoint)


def redact_query(query: dict[str, str]) -> dict[str, str]:
    """Keep harmless paging values; replace everything else (device ids...) by '***'."""
    return {
        key: (value if key in _LOGGABLE_QUERY_KEYS else "***")
        for key, value in query.items()
    }


def mask_email(email: str) -> str:
    """`demo@example.com` -> `d**o@e******.com`, as Instagram shows it."""
    local, _, domain = email.partition("@")
    host, _, tld = domain.rpartition(".")
    masked_local = (
        local[0] + "*" * max(len(local) - 2, 1) + local[-1] if len(local) > 1 else local
    )
    masked_host = host[0] + "*" * max(len(host) - 1, 1) if host else ""
    return f"{masked_local}@{masked_host}.{tld}"


def mask_phone(phone: str) -> str:
    """`+15551234567` -> `+1 ***-***-**67`."""
    return f"{phone[:2]} ***-***-**{phone[-2:]}"


class World:
    """The whole emulated Instagram. Thread-safe; see module docstring."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock or Clock()
        self.faults = Faults()
        self._lock = threading.RLock()
        self._users: dict[int, User] = {}
        self._by_name: dict[str, int] = {}
        self._media: dict[int, Media] = {}
        self._sessions: dict[str, Session] = {}
        self._likes: list[Like] = []
        #: (viewer pk, media pk) -> world time a silently undone like disappears.
        self._undo_at: dict[tuple[int, int], float] = {}
        self._silent_blocks: list[SilentBlock] = []
        self._seen: list[Seen] = []
        self._requests: list[RequestRecord] = []
        self._challenges: dict[int, Challenge] = {}
        self._codes_sent: list[CodeSent] = []
        # Login-flow state handed out to clients (opaque tokens -> username/pk).
        self.caa_aacs: set[str] = set()
        self.attestation_nonces: set[str] = set()
        self.two_step_contexts: dict[str, int] = {}
        self.two_factor_identifiers: dict[str, int] = {}
        #: Likes per viewer and sliding hour before a 429 (None: no limit).
        self.like_limit_per_hour: int | None = None
        #: The unknown-username answer carries `error_type: invalid_user` (the 2024
        #: capture); today's answer has none (captures.invalid_user).
        self.invalid_user_typed = False
        #: Most reel ids one feed/reels_media/ request may name; more answer
        #: 400 "Too many reels requested" (None: no limit). 20 is the limit users
        #: measured (ohld/igbot#950, mgp25/Instagram-API#2704; SOURCES.md).
        self.reels_media_limit: int | None = 20
        #: Items per feed/timeline/ page (the end-of-feed demarcator counts).
        self.timeline_page_size = 10
        #: Most users per friendships/{pk}/following/ page (a smaller `count`
        #: wins); instagrapi asks for 200.
        self.following_page_size = 200
        self._follow_seq: dict[tuple[int, int], int] = {}
        self._timeline: list[TimelineInsert] = []
        self._seq = itertools.count(1)
        self._user_ids = itertools.count(5_501_000_001, 7919)
        self._media_ids = itertools.count(3_400_000_000_000_000_000, 1_000_003)

    # ----------------------------------------------------------------- users
    def add_account(
        self,
        username: str,
        password: str,
        *,
        pk: int | None = None,
        full_name: str = "",
        is_private: bool = False,
        email: str | None = None,
        phone_number: str | None = None,
        login_flow: LoginFlow = "caa",
        two_factor_code: str | None = None,
        two_factor_method: TwoFactorMethodName = "totp",
        two_factor_typed: bool = False,
        challenge_code: str | None = None,
        challenge_methods: tuple[ChallengeMethodName, ...] = ("email", "sms"),
        challenge_native: bool = True,
        suspended: bool = False,
    ) -> User:
        """Add an account that can log in; `challenge_code` opens a checkpoint."""
        user = User(
            pk=pk or self._next_user_pk(),
            username=username.lower(),
            full_name=full_name,
            is_private=is_private,
            password=password,
            email=email if email is not None else f"{username.lower()}@example.com",
            phone_number=phone_number
            if phone_number is not None
            else "+15550100" + str(len(self._users)).zfill(3),
            login_flow=login_flow,
            two_factor_code=two_factor_code,
            two_factor_method=two_factor_method,
            two_factor_typed=two_factor_typed,
            challenge_code=challenge_code,
            challenge_methods=challenge_methods,
            challenge_native=challenge_native,
            suspended=suspended,
        )
        self._store_user(user)
        if challenge_code is not None:
            self.start_challenge(user.username, challenge_code)
        return user

    def add_target(
        self,
        username: str,
        *,
        pk: int | None = None,
        full_name: str = "",
        is_private: bool = False,
        followed_by: tuple[str, ...] = (),
    ) -> User:
        """Add a profile (no login); `followed_by` lists usernames that follow it."""
        user = User(
            pk=pk or self._next_user_pk(),
            username=username.lower(),
            full_name=full_name,
            is_private=is_private,
        )
        self._store_user(user)
        for viewer in followed_by:
            self.follow(viewer, user.username)
        return user

    def _next_user_pk(self) -> int:
        with self._lock:
            return next(self._user_ids)

    def _store_user(self, user: User) -> None:
        with self._lock:
            if user.username in self._by_name:
                msg = f"username {user.username!r} exists"
                raise ValueError(msg)
            self._users[user.pk] = user
            self._by_name[user.username] = user.pk

    def follow(self, viewer: str, target: str) -> None:
        """`viewer` follows `target` (usernames)."""
        with self._lock:
            follower, followed = self._need(viewer), self._need(target)
            if followed.pk not in follower.following:
                self._follow_seq[follower.pk, followed.pk] = next(self._seq)
            follower.following.add(followed.pk)

    def unfollow(self, viewer: str, target: str) -> None:
        """`viewer` stops following `target`."""
        with self._lock:
            follower, followed = self._need(viewer), self._need(target)
            follower.following.discard(followed.pk)
            self._follow_seq.pop((follower.pk, followed.pk), None)

    def following_of(self, username: str) -> list[User]:
        """The accounts `username` follows, most recently followed first.

        That is the order of friendships/{pk}/following/ (Instagram lists the
        newest follows first).
        """
        with self._lock:
            follower = self._need(username)
            pks = sorted(
                follower.following,
                key=lambda pk: self._follow_seq.get((follower.pk, pk), 0),
                reverse=True,
            )
            return [self._users[pk] for pk in pks if pk in self._users]

    def add_followed_targets(
        self,
        viewer: str,
        count: int,
        *,
        prefix: str = "followed",
        stories: int = 0,
        posts: int = 0,
        is_private: bool = False,
    ) -> list[User]:
        """Add `count` profiles `viewer` follows (`<prefix>_0001`...), in that order.

        Each gets `stories` live stories (photo, minutes apart) and `posts` photos
        (hours apart), for "everyone you follow" runs.
        """
        users = []
        for index in range(1, count + 1):
            user = self.add_target(
                f"{prefix}_{index:04d}",
                full_name=f"{prefix.title()} {index}",
                is_private=is_private,
                followed_by=(viewer,),
            )
            for story in range(stories):
                self.add_story(user.username, age=600.0 * (story + 1))
            for post in range(posts):
                self.add_post(user.username, "photo", age=3600.0 * (post + 1))
            users.append(user)
        return users

    def user(self, username: str) -> User | None:
        """The user with this username (case-insensitive), or None."""
        with self._lock:
            pk = self._by_name.get(username.lower())
            return None if pk is None else self._users[pk]

    def users(self) -> list[User]:
        """Every user, in creation order."""
        with self._lock:
            return list(self._users.values())

    def user_by_pk(self, pk: int) -> User | None:
        """The user with this pk, or None."""
        with self._lock:
            return self._users.get(pk)

    def find_login(self, contact_point: str) -> User | None:
        """The account a login identifier (username or email) names."""
        with self._lock:
            user = self.user(contact_point.strip())
            if user is not None:
                return user
            for candidate in self._users.values():
                if (
                    candidate.email
                    and candidate.email.lower() == contact_point.strip().lower()
                ):
                    return candidate
            return None

    def _need(self, username: str) -> User:
        user = self.user(username)
        if user is None:
            msg = f"no user {username!r}"
            raise KeyError(msg)
        return user

    def can_view(self, viewer_pk: int | None, owner: User) -> bool:
        """Whether the viewer may see the owner's media (public, followed or self)."""
        with self._lock:
            if not owner.is_private or viewer_pk == owner.pk:
                return True
            viewer = self._users.get(viewer_pk) if viewer_pk is not None else None
            return viewer is not None and owner.pk in viewer.following

    # ----------------------------------------------------------------- media
    def add_story(
        self,
        username: str,
        *,
        media_type: int = 1,
        age: float = 0.0,
        liked_by: tuple[str, ...] = (),
    ) -> Media:
        """Post a story `age` seconds ago (world clock). media_type 1 photo, 2 video."""
        return self._add_media(
            username, "story", media_type=media_type, age=age, liked_by=liked_by
        )

    def add_post(
        self,
        username: str,
        kind: PostKindName = "photo",
        *,
        age: float = 0.0,
        carousel_count: int = 3,
        liked_by: tuple[str, ...] = (),
    ) -> Media:
        """Publish a photo, album (`carousel_count` children) or reel `age` s ago."""
        media_type = {"photo": 1, "album": 8, "reel": 2}[kind]
        return self._add_media(
            username,
            kind,
            media_type=media_type,
            age=age,
            liked_by=liked_by,
            carousel_count=carousel_count if kind == "album" else 0,
        )

    def _add_media(
        self,
        username: str,
        kind: MediaKindName,
        *,
        media_type: int,
        age: float,
        liked_by: tuple[str, ...],
        carousel_count: int = 0,
        placement: Placement = "organic",
        ad_id: str | None = None,
    ) -> Media:
        with self._lock:
            owner = self._need(username)
            media = Media(
                pk=next(self._media_ids),
                owner_pk=owner.pk,
                kind=kind,
                taken_at=float(int(self.clock.now() - age)),
                media_type=media_type,
                carousel_count=carousel_count,
                liked_by={self._need(name).pk for name in liked_by},
                placement=placement,
                ad_id=ad_id,
            )
            self._media[media.pk] = media
            return media

    # -------------------------------------------------------------- timeline
    def add_timeline_ad(
        self,
        viewer: str,
        advertiser: str,
        *,
        position: int | None = 2,
        kind: PostKindName = "photo",
        age: float = 0.0,
    ) -> Media:
        """Inject a sponsored post of `advertiser` into `viewer`'s feed/timeline/.

        The advertiser profile is created (not followed) when missing. The ad is
        a media of its own (`placement="ad"`, an `ad_id`); liking it is
        possible, as in the app, and is recorded like any like.
        """
        with self._lock:
            owner = self.user(advertiser) or self.add_target(advertiser)
            media = self._add_media(
                owner.username,
                kind,
                media_type={"photo": 1, "album": 8, "reel": 2}[kind],
                age=age,
                liked_by=(),
                carousel_count=3 if kind == "album" else 0,
                placement="ad",
                ad_id=str(23850000000000000 + next(self._seq)),
            )
            self._insert(viewer, "ad", position, media_pk=media.pk)
            return media

    def add_suggested_post(
        self,
        viewer: str,
        owner: str,
        *,
        kind: PostKindName = "photo",
        position: int | None = None,
        age: float = 0.0,
    ) -> Media:
        """Recommend a post (`kind="reel"`: a reel) of `owner` in `viewer`'s feed.

        The owner profile is created (not followed) when missing. `position`
        None puts it after the end-of-feed demarcator, where the app shows its
        recommendations.
        """
        with self._lock:
            found = self.user(owner) or self.add_target(owner)
            media = self._add_media(
                found.username,
                kind,
                media_type={"photo": 1, "album": 8, "reel": 2}[kind],
                age=age,
                liked_by=(),
                carousel_count=3 if kind == "album" else 0,
                placement="suggested",
            )
            self._insert(viewer, "suggested_post", position, media_pk=media.pk)
            return media

    def add_suggested_users(
        self, viewer: str, usernames: tuple[str, ...], *, position: int | None = 4
    ) -> None:
        """Show a "Suggested for you" accounts unit in `viewer`'s feed.

        Missing profiles are created (not followed).
        """
        with self._lock:
            pks = tuple(
                (self.user(name) or self.add_target(name)).pk for name in usernames
            )
            self._insert(viewer, "suggested_users", position, user_pks=pks)

    def _insert(
        self,
        viewer: str,
        unit: TimelineUnitName,
        position: int | None,
        *,
        media_pk: int | None = None,
        user_pks: tuple[int, ...] = (),
    ) -> None:
        if position is not None and position < 0:
            msg = "position counts from 0"
            raise ValueError(msg)
        self._timeline.append(
            TimelineInsert(
                viewer_pk=self._need(viewer).pk,
                unit=unit,
                position=position,
                media_pk=media_pk,
                user_pks=user_pks,
                seq=next(self._seq),
            )
        )

    def timeline_inserts(self, viewer_pk: int) -> list[TimelineInsert]:
        """The ads and suggestions placed in the viewer's feed, in placement order."""
        with self._lock:
            return [i for i in self._timeline if i.viewer_pk == viewer_pk]

    def organic_timeline(self, viewer_pk: int) -> list[Media]:
        """Posts of the accounts the viewer follows, newest first (no ads, no recs)."""
        with self._lock:
            viewer = self._users.get(viewer_pk)
            following = set() if viewer is None else set(viewer.following)
            items = [
                m
                for m in self._media.values()
                if m.owner_pk in following
                and m.kind != "story"
                and m.placement == "organic"
                and not m.deleted
            ]
        return sorted(items, key=lambda m: (m.taken_at, m.pk), reverse=True)

    def delete_media(self, pk: int) -> None:
        """Delete a story or post (later likes answer 'has been deleted')."""
        with self._lock:
            self._media[pk].deleted = True

    def media(self, pk: int) -> Media | None:
        """A media by pk (deleted ones too), or None."""
        with self._lock:
            self._settle()
            return self._media.get(pk)

    def stories_of(self, owner_pk: int) -> list[Media]:
        """Live (unexpired, undeleted) stories of a user, oldest first."""
        now = self.clock.now()
        with self._lock:
            self._settle()
            items = [
                m
                for m in self._media.values()
                if m.owner_pk == owner_pk
                and m.kind == "story"
                and not m.deleted
                and m.taken_at + STORY_LIFETIME > now
            ]
        return sorted(items, key=lambda m: (m.taken_at, m.pk))

    def posts_of(self, owner_pk: int) -> list[Media]:
        """Posts of a user, newest first."""
        with self._lock:
            self._settle()
            items = [
                m
                for m in self._media.values()
                if m.owner_pk == owner_pk and m.kind != "story" and not m.deleted
            ]
        return sorted(items, key=lambda m: (m.taken_at, m.pk), reverse=True)

    def is_live(self, media: Media) -> bool:
        """Not deleted and, for a story, not expired."""
        expiring = media.expiring_at
        return not media.deleted and (expiring is None or expiring > self.clock.now())

    def record_like(
        self,
        viewer_pk: int,
        media: Media,
        endpoint: str,
        *,
        silent: SilentLike | None = None,
    ) -> Like:
        """Count a like (has_liked/like_count change once; every call is recorded).

        Args:
            viewer_pk: Who likes.
            media: What.
            endpoint: The request's endpoint (for the record).
            silent: How a silent block treats this like (None: the world's own
                `silent_block` decides): `SilentLike(undo_after=None)` answers
                and keeps nothing, `SilentLike(undo_after=s)` keeps it for `s`
                world seconds.
        """
        with self._lock:
            self._settle()
            now = self.clock.now()
            if silent is None:
                silent = self.silent_mode(viewer_pk, now)
            key = (viewer_pk, media.pk)
            dropped = False
            undone_at: float | None = None
            if silent is None:
                media.liked_by.add(viewer_pk)
                self._undo_at.pop(key, None)
            elif silent.undo_after is None:
                dropped = True  # answered ok, stored nowhere
            elif viewer_pk not in media.liked_by or key in self._undo_at:
                # A new like is kept for a while; a like that already stood stays.
                undone_at = now + silent.undo_after
                media.liked_by.add(viewer_pk)
                self._undo_at[key] = undone_at
            like = Like(
                viewer_pk,
                media.pk,
                media.owner_pk,
                media.kind,
                now,
                endpoint,
                dropped=dropped,
                undone_at=undone_at,
            )
            self._likes.append(like)
            self._settle()  # an undo_after of 0 takes effect at once
            return like

    def record_unlike(self, viewer_pk: int, media: Media) -> None:
        """Withdraw a like."""
        with self._lock:
            media.liked_by.discard(viewer_pk)
            self._undo_at.pop((viewer_pk, media.pk), None)

    def has_liked(self, viewer_pk: int, media_pk: int) -> bool:
        """Whether the media shows as liked by the viewer now (the feeds' truth)."""
        with self._lock:
            self._settle()
            media = self._media.get(media_pk)
            return media is not None and viewer_pk in media.liked_by

    def _settle(self) -> None:
        """Remove the silently undone likes whose time has come."""
        if not self._undo_at:
            return
        now = self.clock.now()
        with self._lock:
            for key, when in list(self._undo_at.items()):
                if when <= now:
                    del self._undo_at[key]
                    media = self._media.get(key[1])
                    if media is not None:
                        media.liked_by.discard(key[0])

    # --------------------------------------------------------- silent blocks
    def silent_block(
        self,
        username: str,
        *,
        since: float | None = None,
        until: float | None = None,
        undo_after: float | None = None,
    ) -> SilentBlock:
        """Silently block the account's likes from `since` (None: now) to `until`.

        Every like the account sends in that window is answered
        `{"status": "ok"}` as usual but is not kept (`undo_after` None) or is
        removed `undo_after` world seconds later; the feeds show the truth.
        `until` None keeps the block until `end_silent_block`.
        """
        with self._lock:
            block = SilentBlock(
                viewer_pk=self._need(username).pk,
                since=self.clock.now() if since is None else float(since),
                until=None if until is None else float(until),
                undo_after=undo_after,
            )
            self._silent_blocks.append(block)
            return block

    def end_silent_block(self, username: str, at: float | None = None) -> int:
        """End the account's open-ended silent blocks at `at` (None: now).

        Returns how many blocks were ended.
        """
        with self._lock:
            pk = self._need(username).pk
            when = self.clock.now() if at is None else float(at)
            ended = 0
            for index, block in enumerate(self._silent_blocks):
                if block.viewer_pk == pk and (
                    block.until is None or block.until > when
                ):
                    self._silent_blocks[index] = SilentBlock(
                        block.viewer_pk, block.since, when, block.undo_after
                    )
                    ended += 1
            return ended

    @property
    def silent_blocks(self) -> list[SilentBlock]:
        """Every silent block set, in order."""
        with self._lock:
            return list(self._silent_blocks)

    def silent_mode(self, viewer_pk: int, at: float) -> SilentLike | None:
        """How a like the viewer sends at `at` is treated (None: kept normally)."""
        with self._lock:
            for block in self._silent_blocks:
                if block.covers(viewer_pk, at):
                    return SilentLike(undo_after=block.undo_after)
            return None

    def record_seen(self, viewer_pk: int, media: Media) -> None:
        """Mark a story seen by the viewer."""
        with self._lock:
            self._seen.append(
                Seen(viewer_pk, media.pk, media.owner_pk, self.clock.now())
            )

    def likes_in_last_hour(self, viewer_pk: int) -> int:
        """Likes the viewer sent in the last hour of world time."""
        now = self.clock.now()
        with self._lock:
            return sum(
                1
                for like in self._likes
                if like.viewer_pk == viewer_pk and now - like.at < 3600
            )

    @property
    def likes(self) -> list[Like]:
        """Every accepted like request, in order."""
        with self._lock:
            return list(self._likes)

    @property
    def seen(self) -> list[Seen]:
        """Every story-seen mark, in order."""
        with self._lock:
            return list(self._seen)

    # -------------------------------------------------------------- sessions
    def open_session(self, user: User, via: str) -> Session:
        """Issue a new session for a successful login."""
        sessionid = (
            f"{user.pk}%3A{secrets.token_urlsafe(18)}%3A27%3A{secrets.token_hex(16)}"
        )
        session = Session(
            sessionid=sessionid, pk=user.pk, created_at=self.clock.now(), via=via
        )
        with self._lock:
            self._sessions[sessionid] = session
        return session

    def restore_session(self, username: str, sessionid: str) -> Session:
        """Accept a session a client saved against an earlier world (test speed-up).

        Instagram keeps a session for months; a test that only needs a logged-in
        client can bring one and skip the login flow.
        """
        user = self._need(username)
        session = Session(
            sessionid=sessionid, pk=user.pk, created_at=self.clock.now(), via="restored"
        )
        with self._lock:
            self._sessions[sessionid] = session
        return session

    def session(self, sessionid: str | None) -> Session | None:
        """The live (not revoked) session with this id, or None."""
        if not sessionid:
            return None
        with self._lock:
            found = self._sessions.get(sessionid)
            return found if found is not None and not found.revoked else None

    def revoke_sessions(self, username: str) -> int:
        """Revoke every session of the account; returns how many were live."""
        with self._lock:
            pk = self._need(username).pk
            live = [s for s in self._sessions.values() if s.pk == pk and not s.revoked]
            for found in live:
                found.revoked = True
            return len(live)

    def revoke_session(self, sessionid: str) -> None:
        """Revoke one session."""
        with self._lock:
            self._sessions[sessionid].revoked = True

    def sessions_of(self, username: str) -> list[Session]:
        """All sessions (live and revoked) ever issued to the account."""
        with self._lock:
            pk = self._need(username).pk
            return [s for s in self._sessions.values() if s.pk == pk]

    @property
    def logins(self) -> list[Session]:
        """Every session issued, i.e. every successful login, in order."""
        with self._lock:
            return list(self._sessions.values())

    # ------------------------------------------------------------ challenges
    def start_challenge(
        self,
        username: str,
        code: str | None = None,
        *,
        native: bool | None = None,
        form: CheckpointForm = "challenge",
        device: str | None = None,
    ) -> Challenge:
        """Open a checkpoint: logins and the account's requests answer it until passed.

        Args:
            username: The account.
            code: The security code of a code checkpoint.
            native: `native_flow` (None: the account's `challenge_native`).
            form: `challenge_required` or `checkpoint_required` wording.
            device: Android id of the device that met it (None: the next one).
        """
        with self._lock:
            user = self._need(username)
            existing = self._challenges.get(user.pk)
            if existing is not None:
                return existing
            user.challenge_code = code or user.challenge_code or "123456"
            challenge = Challenge(
                pk=user.pk,
                nonce=secrets.token_urlsafe(8).replace("-", "x").replace("_", "y"),
                code=user.challenge_code,
                methods=user.challenge_methods,
                native=user.challenge_native if native is None else native,
                form=form,
                device=device,
            )
            self._challenges[user.pk] = challenge
            return challenge

    def challenge_for(self, pk: int) -> Challenge | None:
        """The pending checkpoint of the account, if any."""
        with self._lock:
            return self._challenges.get(pk)

    def confirm_challenge(self, username: str) -> bool:
        """The user taps "This was me" in the app: a native checkpoint is passed.

        The next request from the device that met it goes through (and clears it);
        other devices still meet it. Returns False when no native one is pending.
        """
        with self._lock:
            challenge = self._challenges.get(self._need(username).pk)
            if challenge is None or not challenge.native:
                return False
            challenge.confirmed = True
            return True

    def blocking_challenge(self, pk: int, device: str | None) -> Challenge | None:
        """The checkpoint a request of the account from `device` meets, if any."""
        with self._lock:
            challenge = self._challenges.get(pk)
            if challenge is None:
                return None
            if challenge.device is None:
                challenge.device = device
            if (
                challenge.confirmed
                and device is not None
                and device == challenge.device
            ):
                self.clear_challenge(pk)
                return None
            return challenge

    def clear_challenge(self, pk: int) -> None:
        """The checkpoint was passed."""
        with self._lock:
            self._challenges.pop(pk, None)
            user = self._users.get(pk)
            if user is not None:
                user.challenge_code = None

    def record_code_sent(self, user: User, method: ChallengeMethodName) -> None:
        """Remember that a challenge code went out by email or sms."""
        with self._lock:
            self._codes_sent.append(CodeSent(user.username, method, self.clock.now()))

    @property
    def codes_sent(self) -> list[CodeSent]:
        """Challenge codes sent, in order."""
        with self._lock:
            return list(self._codes_sent)

    # ----------------------------------------------------------- request log
    def record_request(self, record: RequestRecord) -> None:
        """Append to the request log (the sandbox does this)."""
        with self._lock:
            self._requests.append(record)

    def requests(
        self, pattern: str | None = None, method: str | None = None
    ) -> list[RequestRecord]:
        """Logged requests whose endpoint matches the fnmatch pattern (None: all)."""
        with self._lock:
            records = list(self._requests)
        return [
            r
            for r in records
            if (pattern is None or fnmatchcase(r.endpoint, pattern))
            and (method is None or r.method == method.upper())
        ]

    def count(self, pattern: str, method: str | None = None) -> int:
        """How many logged requests match the endpoint pattern (and method)."""
        return len(self.requests(pattern, method))

    def request_counts(self) -> dict[str, int]:
        """Requests per endpoint."""
        return dict(Counter(r.endpoint for r in self.requests()))

    def route_counts(self) -> dict[str, int]:
        """Requests per route (numbers as `{id}`): `{"feed/user/{id}/story/": 40}`."""
        return dict(Counter(r.route for r in self.requests()))

    def count_route(self, route: str, method: str | None = None) -> int:
        """How many logged requests have this route (`friendships/{id}/following/`)."""
        return sum(
            1 for r in self.requests(method=method) if fnmatchcase(r.route, route)
        )

    def login_attempts(self) -> int:
        """Credential submissions: CAA send_login_request plus accounts/login/."""
        return self.count(CAA_LOGIN_ENDPOINT) + self.count("accounts/login/")

    def clear_log(self) -> None:
        """Forget the request log (likes, sessions and media stay)."""
        with self._lock:
            self._requests.clear()

    # ----------------------------------------------------------------- admin
    def _challenge_state(self, pk: int) -> dict[str, object] | None:
        challenge = self._challenges.get(pk)
        if challenge is None:
            return None
        return {
            "native": challenge.native,
            "form": challenge.form,
            "confirmed": challenge.confirmed,
        }

    def set_suspended(self, username: str, *, suspended: bool = True) -> None:
        """Suspend (or reinstate) an account."""
        with self._lock:
            self._need(username).suspended = suspended

    def snapshot(self) -> dict[str, object]:
        """JSON-safe summary for GET /__sandbox/state."""
        with self._lock:
            return {
                "now": self.clock.now(),
                "likes": [
                    {
                        "viewer_pk": like.viewer_pk,
                        "media_pk": str(like.media_pk),
                        "owner_pk": like.owner_pk,
                        "kind": like.kind,
                        "at": like.at,
                        "endpoint": like.endpoint,
                        "dropped": like.dropped,
                        "undone_at": like.undone_at,
                    }
                    for like in self._likes
                ],
                "seen": [
                    {"viewer_pk": s.viewer_pk, "media_pk": str(s.media_pk), "at": s.at}
                    for s in self._seen
                ],
                "request_counts": self.request_counts(),
                "route_counts": self.route_counts(),
                "requests_total": len(self._requests),
                "login_count": len(self._sessions),
                "login_attempts": self.login_attempts(),
                "codes_sent": [
                    {"username": c.username, "method": c.method, "at": c.at}
                    for c in self._codes_sent
                ],
                "users": [
                    {
                        "pk": u.pk,
                        "username": u.username,
                        "is_private": u.is_private,
                        "account": u.password is not None,
                        "suspended": u.suspended,
                        "challenge": self._challenge_state(u.pk),
                    }
                    for u in self._users.values()
                ],
                "faults": [rule.as_dict() for rule in self.faults.rules],
                "silent_blocks": [
                    {
                        "viewer_pk": block.viewer_pk,
                        "since": block.since,
                        "until": block.until,
                        "undo_after": block.undo_after,
                    }
                    for block in self._silent_blocks
                ],
            }


CAA_LOGIN_ENDPOINT = (
    "bloks/async_action/com.bloks.www.bloks.caa.login.async.send_login_request/"
)
