"""Blocking adapter around instagrapi: the only module that imports it.

Every method performs network I/O and MUST run in an executor job
(`hass.async_add_executor_job`). The adapter never sleeps: instagrapi's own per-request
sleep and its urllib3 retries are switched off, because pacing, retries and backoff
belong to the coordinator and `limiter.py`, which wait on the event loop.

Only the private API (instagrapi's `*_v1` paths) is used, never the public web GraphQL.
Each method documents how many HTTP requests it sends, so the caller can account
for them against the hourly request budget (spec section 8.2).

Routing is plain configuration: `proxy` (an HTTP(S) proxy URL, as instagrapi users set
for their own reasons) and `verify` (a CA bundle path, or True for the system store).
Tests point both at the local emulator; there is no emulator-specific code here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .models import Account, ChallengeMethod, MediaItem, TargetUser, TrayEntry

#: Seconds instagrapi waits for a response before the request counts as failed.
DEFAULT_TIMEOUT = 20.0


@dataclass(frozen=True, slots=True)
class ConnectionOptions:
    """How the adapter reaches Instagram.

    Attributes:
        proxy: HTTP(S) proxy URL, or None for a direct connection.
        verify: CA bundle path, or True for the default trust store.
        timeout: Read timeout per request, seconds.
    """

    proxy: str | None = None
    verify: str | bool = True
    timeout: float = DEFAULT_TIMEOUT


class InstagramApi:
    """One logged-in (or logging-in) Instagram account. Blocking; executor only.

    Args:
        username: Instagram username (or email/phone as Instagram accepts at login).
        password: The account password; kept in memory only, never logged.
        session: A session previously returned by `export_session()`, or None.
        options: Connection options; defaults reach Instagram directly.

    All methods raise subclasses of `exceptions.IgAutolikerError` only.
    """

    def __init__(
        self,
        username: str,
        password: str,
        session: dict[str, Any] | None = None,
        options: ConnectionOptions | None = None,
    ) -> None:
        raise NotImplementedError

    @property
    def user_pk(self) -> str | None:
        """pk of the logged-in account, or None before the first login."""
        raise NotImplementedError

    def login(self, verification_code: str | None = None) -> Account:
        """Log in, reusing the saved session when there is one.

        With a saved session this validates it with one request and makes no
        `accounts/login/` call; it logs in afresh only on `login_required`.

        Args:
            verification_code: The two-factor code, when a previous call raised
                TwoFactorRequired.

        Returns:
            The logged-in account.

        Raises:
            AuthenticationFailed, TwoFactorRequired, InvalidCode, ChallengeRequired,
            RateLimited, CannotConnect, InstagramError.
        """
        raise NotImplementedError

    def challenge_send_code(self, method: ChallengeMethod) -> None:
        """Ask Instagram to send the challenge security code by `method`.

        Only valid after `login()` raised ChallengeRequired offering `method`.

        Raises:
            ChallengeRequired (cannot be solved this way), RateLimited, CannotConnect.
        """
        raise NotImplementedError

    def challenge_submit_code(self, code: str) -> Account:
        """Submit the challenge security code and finish the login.

        Raises:
            InvalidCode, ChallengeRequired, CannotConnect.
        """
        raise NotImplementedError

    def export_session(self) -> dict[str, Any]:
        """Return instagrapi's settings (cookies, device, uuids) as a JSON-safe dict.

        Sends no request. The dict holds secrets: store it, never log it.
        """
        raise NotImplementedError

    def resolve_username(self, username: str) -> TargetUser:
        """Look a username up (one request: `users/{username}/usernameinfo/`).

        Raises:
            TargetNotFound, RateLimited, SessionExpired, ChallengeRequired, CannotConnect.
        """
        raise NotImplementedError

    def reels_tray(self) -> list[TrayEntry]:
        """The followed accounts that have stories now (one request: `feed/reels_tray/`)."""
        raise NotImplementedError

    def user_stories(self, user_pk: str) -> list[MediaItem]:
        """Current stories of a user, oldest first (one request: `feed/user/{pk}/story/`).

        Raises:
            TargetNotFound, TargetPrivate, RateLimited, SessionExpired,
            ChallengeRequired, CannotConnect.
        """
        raise NotImplementedError

    def user_posts(self, user_pk: str, amount: int = 12) -> list[MediaItem]:
        """The newest posts of a user, newest first: one request, first page only.

        Raises:
            TargetNotFound, TargetPrivate, RateLimited, SessionExpired,
            ChallengeRequired, CannotConnect.
        """
        raise NotImplementedError

    def like_story(self, story: MediaItem) -> None:
        """Mark the story seen, then like it (two requests; one story view).

        Raises:
            FeedbackRequired, RateLimited, SessionExpired, ChallengeRequired,
            TargetNotFound (story gone), CannotConnect.
        """
        raise NotImplementedError

    def like_post(self, post: MediaItem) -> None:
        """Like a photo, album or reel (one request: `media/{pk}/like/`).

        Raises:
            FeedbackRequired, RateLimited, SessionExpired, ChallengeRequired,
            TargetNotFound (post gone), CannotConnect.
        """
        raise NotImplementedError

    def keep_alive(self) -> None:
        """Touch the session with one light authenticated request.

        Raises:
            SessionExpired, ChallengeRequired, RateLimited, CannotConnect.
        """
        raise NotImplementedError
