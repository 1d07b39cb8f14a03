"""The integration's error hierarchy for everything that talks to Instagram (spec 8.5).

`classify.py` maps instagrapi's exceptions onto these; the coordinator and the config
flow decide on retries and user-facing messages by class only. None of them carries a
secret: messages hold Instagram's error text, never cookies or passwords.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import ChallengeMethod


class IgAutolikerError(Exception):
    """Base of every error raised by the integration's Instagram adapter."""


class InstagramError(IgAutolikerError):
    """Instagram answered with an error we have no more specific class for."""


class AuthenticationFailed(InstagramError):
    """Login refused: wrong password or unknown user (`invalid_credentials: true`).

    Never retried with the same password: the user must reauthenticate.
    """


class IpBlocked(InstagramError):
    """Instagram refuses logins from this IP address (`error_type: ip_block`).

    The credentials may be right; a new password does not help, another network
    (or waiting) does.
    """


class ClientOutdated(InstagramError):
    """Instagram refuses the app version instagrapi presents (`needs_upgrade`).

    Attributes:
        library_version: The installed instagrapi version, the likely cause.

    """

    def __init__(self, message: str = "", library_version: str = "") -> None:
        """Carry Instagram's message and the instagrapi version in use."""
        super().__init__(message)
        self.library_version = library_version


class AccountSuspended(InstagramError):
    """Instagram suspended the account (a checkpoint whose URL is `/suspended/`).

    Nothing can be solved from here: no request is sent until the user has dealt
    with it in the Instagram app and reauthenticates.
    """


class InvalidCode(InstagramError):
    """A two-factor or challenge security code was refused."""


class TwoFactorRequired(InstagramError):
    """The password was right; Instagram asks for a two-factor code next."""


class ChallengeRequired(InstagramError):
    """Instagram wants the user to pass a checkpoint. Never retried: alert the user.

    Attributes:
        methods: The delivery methods Instagram offers for the security code
            (empty when the challenge cannot be solved from here, e.g. a selfie).
        native: True for Instagram's usual checkpoint (`native_flow: true`, or the
            `checkpoint_required` form): the user confirms "This was me" in the
            Instagram app, then the same device and session log in again.

    """

    def __init__(
        self,
        message: str = "",
        methods: tuple[ChallengeMethod, ...] = (),
        *,
        native: bool = False,
    ) -> None:
        """Carry Instagram's message, the offered code methods and the flow kind."""
        super().__init__(message)
        self.methods = methods
        self.native = native


class RateLimited(InstagramError):
    """HTTP 429, a throttle or "Please wait a few minutes". Retry: exponential, 5 tries.

    Attributes:
        retry_after: Seconds Instagram asked us to wait, or None when it did not say.

    """

    def __init__(self, message: str = "", retry_after: float | None = None) -> None:
        """Carry Instagram's message and the wait it asked for, if any."""
        super().__init__(message)
        self.retry_after = retry_after


class PleaseWait(RateLimited):
    """Instagram said "Please wait a few minutes": every request freezes 1 h.

    Attributes:
        instagram_message: Instagram's own text (shown to the user).

    """

    def __init__(
        self,
        message: str = "",
        retry_after: float | None = None,
        instagram_message: str = "",
    ) -> None:
        """Carry Instagram's message and the wait it asked for, if any."""
        super().__init__(message, retry_after)
        self.instagram_message = instagram_message


class FeedbackRequired(InstagramError):
    """`feedback_required`: Instagram blocks the action; likes freeze (safety.py).

    Attributes:
        feedback_message: Instagram's `feedback_message` ("We restrict certain
            activity...", possibly with the date the block expires), may be empty.

    """

    def __init__(self, message: str = "", feedback_message: str = "") -> None:
        """Carry Instagram's message and its feedback text."""
        super().__init__(message)
        self.feedback_message = feedback_message


class SessionExpired(InstagramError):
    """`login_required`: the saved session is invalid (relogin, 3 tries)."""


class TargetNotFound(InstagramError):
    """The target username or pk does not exist (or no longer exists)."""


class TargetPrivate(InstagramError):
    """The target is private and the logged-in account does not follow it."""


class CannotConnect(IgAutolikerError):
    """Network error, timeout, HTTP 5xx or malformed response (exp. retry, 3x).

    Attributes:
        status: The HTTP status of a 5xx answer; None for other failures.

    """

    status: int | None = None


class Refused(IgAutolikerError):
    """The safety gate refused: nothing was sent to Instagram.

    Attributes:
        reason: `RefusalReason` value (reauth_required, account_suspended, paused,
            frozen, sleeping).
        until: Unix seconds the refusal ends by itself; None when the user must act.

    """

    def __init__(self, reason: str, until: float | None = None) -> None:
        """Carry the gate's reason and when it ends."""
        super().__init__(reason)
        self.reason = reason
        self.until = until
