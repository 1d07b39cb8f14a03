"""InstagramClient: one Instagram account over instagrapi, blocking; feeds and likes.

With `feeds.py` (the home feed, batched stories, the following list, and how
answers become our models), this is the only code that imports instagrapi
(`classify.py` and `login.py` recognise its exceptions by class name).
`InstagramClient` builds instagrapi's `Client`; the login steps and the call
plumbing it inherits are in `login.py`, the mapping of failures onto our errors in
`classify.py`.

Every method performs network I/O and MUST run in an executor job
(`hass.async_add_executor_job`). The client never sleeps: instagrapi's own per-request
sleep and its urllib3 retries are switched off, because pacing, retries and backoff
belong to the caller and `ratelimit.py`, which wait on the event loop.

Only the private API (instagrapi's `*_v1` paths) is used, never the public web GraphQL.
Each method documents how many HTTP requests it sends, so the caller can account
for them against the hourly request budget (spec section 8.2). instagrapi's parsed
`Story` drops `has_liked`, so it is read from the raw item; `story_like()` marks the
story seen first (`/api/v2/media/seen/`), then sends
`story_interactions/send_story_like` with `<pk>_<owner pk>`; `media/{pk}/like/` takes
the bare pk (instagrapi's `mixins/story.py` and `mixins/media.py`).

Routing is plain configuration: `proxy` (an HTTP(S) proxy URL, as instagrapi users set
for their own reasons) and `verify` (a CA bundle path, or True for the system store).
Tests point both at the local emulator; there is no emulator-specific code here.
With the defaults (`proxy=None`, `verify=True`) instagrapi's requests sessions honour
the standard environment (`HTTPS_PROXY`, `NO_PROXY`, `REQUESTS_CA_BUNDLE`).

Secrets (password, cookies, sessionid, the authorization header, device ids) never
appear in a log line or an exception message: messages carry Instagram's own error
text or a fixed description, and instagrapi's own (chatty) loggers are silenced.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

from instagrapi import Client
from instagrapi import config as ig_config
from instagrapi import exceptions as ig
from instagrapi.extractors import extract_media_v1, extract_story_v1, extract_user_v1

from .classify import instagram_message
from .exceptions import (
    InstagramError,
    SessionExpired,
    TargetNotFound,
    TargetPrivate,
)
from .feeds import DIGITS, KIND_BY_MEDIA_TYPE, USERNAME, FeedReads, media_item
from .models import MediaItem, MediaKind, TargetUser, TrayEntry

if TYPE_CHECKING:
    from collections.abc import Callable

#: Seconds instagrapi waits for a response before the request counts as failed.
DEFAULT_TIMEOUT = 20.0
#: Seconds a pooled connection may stay idle and still be reused. libcurl's default
#: (118 s) outlives the idle timeout of common HTTP/2 front ends (nginx 75 s, hypercorn
#: 5 s); a fresh TLS handshake costs no API request.
MAX_IDLE_REUSE = 20

# instagrapi logs URLs (with device ids in the query), response bodies (with session
# tokens) and usernames; none of that may reach Home Assistant's log.
_SILENT = logging.getLogger(f"{__name__}.instagrapi")
_SILENT.addHandler(logging.NullHandler())
_SILENT.propagate = False
_SILENT.disabled = True

_MEDIA_ID = re.compile(r"(\d{1,25})_(\d{1,25})")


@dataclass(frozen=True, slots=True)
class ConnectionOptions:
    """How the client reaches Instagram.

    Attributes:
        proxy: HTTP(S) proxy URL, or None for a direct connection.
        verify: CA bundle path, or True for the default trust store.
        timeout: Read timeout per request, seconds.
        max_idle_reuse: A pooled connection idle longer than this (whole seconds)
            is not reused: servers close idle connections, and libcurl's HTTP/2
            reuse of one the server closed fails the request instead of reconnecting.

    """

    proxy: str | None = None
    verify: str | bool = True
    timeout: float = DEFAULT_TIMEOUT
    max_idle_reuse: int = MAX_IDLE_REUSE


def _refuse_interactive(*_args: Any) -> NoReturn:
    """Refuse instagrapi's input()-based code/password prompts: never block a thread."""
    msg = "Instagram asks for interactive verification"
    raise ig.ChallengeRequired(msg)


def _limit_connection_reuse(client: Any, max_idle: int) -> None:
    """Let instagrapi's curl transport reuse a pooled connection only while fresh."""
    from curl_cffi import CurlOpt  # noqa: PLC0415  (instagrapi's own dependency)

    curl_session = getattr(client.private.get_adapter("https://"), "client", None)
    options = getattr(curl_session, "curl_options", None)
    if isinstance(options, dict):  # the "requests" fallback transport has no pool
        options[CurlOpt.MAXAGE_CONN] = max_idle


def _pin_request_defaults(
    session: Any,
    timeout: float,
    verify: str | bool,  # noqa: FBT001
    on_request: Callable[[], None],
) -> None:
    """Give every request of a requests.Session a timeout and, if explicit, a CA bundle.

    instagrapi passes neither. `on_request` is called once per request sent (what a
    login costs is known only afterwards). A per-request `verify` is needed because
    requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE override `Session.verify`
    (psf/requests#3829); with `verify=True` nothing is pinned, so the environment's
    bundle applies.
    """
    original = session.request

    @functools.wraps(original)
    def request(*args: Any, **kwargs: Any) -> Any:
        on_request()
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = timeout
        if verify is not True and kwargs.get("verify") is None:
            kwargs["verify"] = verify
        return original(*args, **kwargs)

    session.request = request


def _new_client(
    username: str,
    password: str,
    session: dict[str, Any] | None,
    options: ConnectionOptions,
    on_request: Callable[[], None],
) -> Any:
    """Build instagrapi's Client for one account; sends no request.

    Raises:
        SessionExpired: `session` cannot be loaded (malformed).

    """
    client = Client(
        delay_range=None,
        logger=_SILENT,
        request_timeout=0,
        session_retry_total=0,
        with_challenge_flow=False,
    )
    if session:
        try:
            client.set_settings(session)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            msg = "The saved session cannot be loaded"
            raise SessionExpired(msg) from exc
    client.private_request_logger = _SILENT
    client.public_request_logger = _SILENT
    client.challenge_code_handler = _refuse_interactive
    client.change_password_handler = _refuse_interactive
    client.username = username
    client.password = password
    _apply_options(client, options)
    _send_once(client)
    for name in ("private", "public"):
        _pin_request_defaults(
            getattr(client, name), options.timeout, options.verify, on_request
        )
    return client


def _apply_options(client: Any, options: ConnectionOptions) -> None:
    """Pacing off, curl h2 transport, proxy and CA bundle (after settings loads)."""
    client.set_retry_config(
        request_timeout=0, session_retry_total=0, private_transport="curl"
    )
    client.delay_range = None
    _limit_connection_reuse(client, options.max_idle_reuse)
    client.set_proxy(options.proxy)
    client.set_tls_verify(options.verify)


def _send_once(client: Any) -> None:
    """Keep instagrapi from sending a private request a second time by itself.

    `Client.private_request` sends a request again after an HTTP 408 (sleeping 60 s
    in the calling thread first) or a broken answer (2 s): for a like whose first
    answer was lost after Instagram acted, that is a second like request. Here both
    surface as `ClientConnectionError` (so `CannotConnect`); the pacer retries reads
    without holding a thread, and never resends a like.
    """
    send = client._send_private_request  # noqa: SLF001 - the one resend hook

    @functools.wraps(send)
    def send_once(endpoint: str, **kwargs: Any) -> Any:
        try:
            return send(endpoint, **kwargs)
        except (ig.ClientRequestTimeout, ig.ClientIncompleteReadError) as err:
            msg = f"{type(err).__name__}: {err}"
            raise ig.ClientConnectionError(msg) from err

    client._send_private_request = send_once  # noqa: SLF001


class InstagramClient(FeedReads):
    """One logged-in (or logging-in) Instagram account. Blocking; executor only.

    Args:
        username: Instagram username (or email/phone as Instagram accepts at login).
        password: The account password; kept in memory only, never logged.
        session: A session previously returned by `export_session()`, or None.
        options: Connection options; defaults reach Instagram directly.

    Login, relogin, the two-factor and checkpoint steps, `export_session()`,
    `username`, `user_pk` and `requests_sent` come from `LoginFlow` (login.py).
    All methods raise subclasses of `exceptions.IgAutolikerError` only. Calls on one
    instance are serialized by a lock; use one instance per account.

    """

    def __init__(
        self,
        username: str,
        password: str,
        session: dict[str, Any] | None = None,
        options: ConnectionOptions | None = None,
    ) -> None:
        """Prepare the instagrapi client; sends no request.

        Raises:
            SessionExpired: `session` cannot be loaded (malformed).

        """
        super().__init__(username, password)
        self._options = options or ConnectionOptions()
        self._client = _new_client(
            self._username,
            self._password,
            session,
            self._options,
            self._count_request,
        )

    # ----------------------------------------------------------- feeds, likes
    def resolve_username(self, username: str) -> TargetUser:
        """Look a username up (one request: `users/{username}/usernameinfo/`).

        A private profile costs one more request (`friendships/show/{pk}/`) to learn
        whether the logged-in account follows it.

        Raises:
            TargetNotFound, TargetPrivate (private and not followed), RateLimited,
            SessionExpired, ChallengeRequired, CannotConnect.

        """
        name = username.strip().lstrip("@").lower()
        if not USERNAME.fullmatch(name):
            msg = f"Not a valid Instagram username: {name[:40]!r}"
            raise TargetNotFound(msg)
        self._require_login()

        def resolve() -> TargetUser:
            client = self._client
            try:
                raw = client.private_request(f"users/{name}/usernameinfo/")
            except ig.ClientNotFoundError as exc:
                msg = f"users/{name}/usernameinfo/: User not found"
                raise TargetNotFound(msg) from exc
            user = extract_user_v1(raw["user"])
            target = TargetUser(
                pk=str(user.pk),
                username=str(user.username),
                full_name=str(user.full_name or ""),
                is_private=bool(user.is_private),
            )
            if target.is_private and target.pk != self.user_pk:
                relation = client.private_request(
                    f"friendships/show/{target.pk}/",
                    params={"is_external_deeplink_profile_view": "false"},
                )
                if not relation.get("following"):
                    msg = f"{name} is private and not followed"
                    raise TargetPrivate(msg)
            return target

        return self._call(f"users/{name}/usernameinfo/", resolve)

    def in_tray_when_live(self, user_pk: str) -> bool:
        """Tell whether a user's live stories show in the account's reels tray.

        One request: `friendships/show/{pk}/`. True when the account follows the
        user and does not mute its stories (`following`, `is_muting_reel`).

        Raises:
            TargetNotFound, RateLimited, SessionExpired, ChallengeRequired,
            CannotConnect.

        """
        pk = self._checked_pk(user_pk)
        self._require_login()
        endpoint = f"friendships/show/{pk}/"

        def relation() -> bool:
            try:
                result = self._client.private_request(
                    endpoint, params={"is_external_deeplink_profile_view": "false"}
                )
            except ig.ClientNotFoundError as exc:
                msg = f"{endpoint}: User not found"
                raise TargetNotFound(msg) from exc
            return bool(result.get("following")) and not result.get("is_muting_reel")

        return self._call(endpoint, relation)

    def reels_tray(self) -> list[TrayEntry]:
        """Return the followed accounts that have stories now.

        One request: `feed/reels_tray/`.

        Returns:
            Entries newest first as Instagram orders them; non-user reels are skipped.

        Raises:
            RateLimited, SessionExpired, ChallengeRequired, CannotConnect.

        """
        self._require_login()

        def tray() -> list[TrayEntry]:
            result = self._client.get_reels_tray_feed("pull_to_refresh")
            entries = []
            for reel in result.get("tray") or []:
                user = reel.get("user") or {}
                pk = str(user.get("pk") or reel.get("id") or "")
                if not DIGITS.fullmatch(pk):
                    continue
                entries.append(
                    TrayEntry(
                        user_pk=pk,
                        latest_reel_media=int(reel.get("latest_reel_media") or 0),
                        username=str(user.get("username") or "").lower(),
                    )
                )
            return entries

        return self._call("feed/reels_tray/", tray)

    def user_stories(self, user_pk: str) -> list[MediaItem]:
        """Return the current stories of a user, oldest first.

        One request: `feed/user/{pk}/story/`.

        `has_liked` comes from the raw item (instagrapi's Story model drops it).

        Raises:
            TargetNotFound, TargetPrivate, RateLimited, SessionExpired,
            ChallengeRequired, CannotConnect.

        """
        pk = self._checked_pk(user_pk)
        self._require_login()
        endpoint = f"feed/user/{pk}/story/"

        def stories() -> list[MediaItem]:
            params = {
                "supported_capabilities_new": json.dumps(
                    ig_config.SUPPORTED_CAPABILITIES
                )
            }
            result = self._client.private_request(endpoint, params=params)
            reel = result.get("reel") or {}
            items = []
            for raw in reel.get("items") or []:
                item = dict(raw)
                item.setdefault("user", reel.get("user"))
                story = extract_story_v1(item)
                items.append(media_item(story, raw, MediaKind.STORY))
            return sorted(items, key=lambda m: m.taken_at)

        return self._call(endpoint, stories)

    def user_posts(self, user_pk: str, amount: int = 12) -> list[MediaItem]:
        """Return the newest posts of a user, newest first (first page only).

        One request: `feed/user/{pk}/`.

        Args:
            user_pk: The target's pk.
            amount: How many posts at most (sent as `count`).

        Returns:
            Photos, albums and reels (media_type 1, 8, 2); other types are skipped.

        Raises:
            TargetNotFound, TargetPrivate, RateLimited, SessionExpired,
            ChallengeRequired, CannotConnect.

        """
        pk = self._checked_pk(user_pk)
        self._require_login()
        endpoint = f"feed/user/{pk}/"
        amount = max(1, min(int(amount), 50))

        def posts() -> list[MediaItem]:
            client = self._client
            result = client.private_request(
                endpoint,
                params={
                    "max_id": "",
                    "count": amount,
                    "rank_token": client.rank_token,
                    "ranked_content": "true",
                },
            )
            items = []
            for raw in result["items"]:
                kind = KIND_BY_MEDIA_TYPE.get(raw.get("media_type"))
                if kind is None:
                    continue
                media = extract_media_v1(raw)
                items.append(media_item(media, raw, kind, code=str(media.code)))
            items.sort(key=lambda m: m.taken_at, reverse=True)
            return items[:amount]

        return self._call(endpoint, posts)

    def like_story(self, story: MediaItem) -> None:
        """Mark the story seen, then like it (two requests; one story view).

        `POST /api/v2/media/seen/?reel=1&live_vod=0`, then
        `story_interactions/send_story_like` with `media_id` = `<pk>_<owner pk>`.
        An error's message names the request that failed: `v2/media/seen/ <pk>: ...`
        (the like was not sent) or `send_story_like <pk>: ...`.

        Raises:
            FeedbackRequired, RateLimited, SessionExpired, ChallengeRequired,
            TargetNotFound (story gone), CannotConnect.

        """
        match = _MEDIA_ID.fullmatch(story.media_id)
        if match is None or match.group(1) != story.pk:
            msg = f"Not a story media id: {story.media_id!r}"
            raise TargetNotFound(msg)
        self._require_login()

        def like() -> None:
            client = self._client
            try:
                client.media_seen([story.media_id])
            except Exception as exc:
                # The like was not sent: the message names the request that failed.
                what = f"v2/media/seen/ {story.pk}"
                raise self._translate(what, exc, code_given=False) from exc
            if not client.story_like(story.media_id, mark_seen=False):
                text = instagram_message(self._last_body()) or "refused"
                msg = f"send_story_like {story.pk}: {text}"
                raise InstagramError(msg)

        self._call(f"send_story_like {story.pk}", like)

    def like_post(self, post: MediaItem) -> None:
        """Like a photo, album or reel (one request: `media/{pk}/like/`, bare pk).

        Raises:
            FeedbackRequired, RateLimited, SessionExpired, ChallengeRequired,
            TargetNotFound (post gone), CannotConnect.

        """
        pk = self._checked_pk(post.pk)
        self._require_login()

        def like() -> None:
            if not self._client.media_like(pk):
                text = instagram_message(self._last_body()) or "refused"
                msg = f"media/{pk}/like/: {text}"
                raise InstagramError(msg)

        self._call(f"media/{pk}/like/", like)

    def keep_alive(self) -> None:
        """Touch the session with one light authenticated request.

        One request: `accounts/current_user/?edit=true`.

        Raises:
            SessionExpired, ChallengeRequired, RateLimited, CannotConnect.

        """
        self._require_login()
        self._call("accounts/current_user/", self._client.account_info)

    def logout(self) -> None:
        """End the session on Instagram's side: its cookies stop working there.

        One request: `accounts/logout/` (instagrapi's `Client.logout`).

        Raises:
            SessionExpired, ChallengeRequired, RateLimited, CannotConnect.

        """
        self._require_login()
        self._call("accounts/logout/", self._client.logout)
