"""Classify a failed Instagram call: instagrapi's exception and the answer -> ours.

`classify()` is the one place that decides which `IgAutolikerError` a failure
becomes; `client.py` and `login.py` call it for everything a request raises. The
mapping follows how instagrapi 3.x raises (its `private_request` picks the exception
from the HTTP status and the body: `login_required`, `two_factor_info`,
`challenge_required`, `feedback_required`, "Please wait a few minutes", 429) and what
its maintainers recommend per error (instagrapi's best-practices page and
`examples/handle_exception.py`). Instagram's body is read as well, because the same
refusal arrives under different exceptions (a checkpoint as ChallengeRequired,
CaptchaChallengeRequired or a plain ClientError carrying `checkpoint_url`).

This module does not import instagrapi: `client.py` stays the only module that does.
instagrapi's exceptions are recognised by the names of their classes in
`instagrapi.exceptions` (which `isinstance` would test too), typed as
`InstagrapiError` so that mypy rejects a misspelt name; a test checks every name
against the installed instagrapi. That keeps the classification a pure function of
the exception and the body, testable without a client.

Messages carry Instagram's own error text (without URLs) or a fixed description,
never a secret.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any, Literal

from pydantic import ValidationError
from requests.exceptions import RequestException

from .exceptions import (
    AccountSuspended,
    AuthenticationFailed,
    CannotConnect,
    ChallengeRequired,
    ClientOutdated,
    FeedbackRequired,
    IgAutolikerError,
    InstagramError,
    InvalidCode,
    IpBlocked,
    PleaseWait,
    RateLimited,
    SessionExpired,
    TargetNotFound,
    TargetPrivate,
    TwoFactorRequired,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

#: The exception classes of `instagrapi.exceptions` this integration tells apart.
type InstagrapiError = Literal[
    "AccountSuspended",
    "BadCredentials",
    "BadPassword",
    "CaptchaChallengeRequired",
    "ChallengeError",
    "ChallengeRequired",
    "ClientConnectionError",
    "ClientError",
    "ClientIncompleteReadError",
    "ClientJSONDecodeError",
    "ClientLoginRequired",
    "ClientNotFoundError",
    "ClientRequestTimeout",
    "ClientThrottledError",
    "ClientUnauthorizedError",
    "FeedbackRequired",
    "InvalidMediaId",
    "InvalidTargetUser",
    "LoginRequired",
    "MediaUnavailable",
    "NotFoundError",
    "PleaseWaitFewMinutes",
    "PrivateAccount",
    "ProxyAddressIsBlocked",
    "RateLimitError",
    "ReloginAttemptExceeded",
    "SentryBlock",
    "TwoFactorRequired",
    "UnknownError",
    "UserNotFound",
]

_INSTAGRAPI_MODULE = "instagrapi.exceptions"
_MAX_MESSAGE = 200
_HTTP_SERVER_ERROR = 500
_HTTP_TOO_MANY = 429


def is_instagrapi_error(exc: BaseException, *names: InstagrapiError) -> bool:
    """Tell whether `exc` is an instance of one of `instagrapi.exceptions.<names>`."""
    return any(
        cls.__module__ == _INSTAGRAPI_MODULE and cls.__name__ in names
        for cls in type(exc).__mro__
    )


def instagram_message(body: Mapping[str, Any]) -> str:
    """Return Instagram's own error message in an answer (never a URL), or ""."""
    message = body.get("message")
    if isinstance(message, str) and message and "://" not in message:
        return message[:_MAX_MESSAGE]
    return ""


def challenge_info(body: Mapping[str, Any]) -> dict[str, Any]:
    """Return the `challenge` object of a checkpoint answer, or {}."""
    challenge = body.get("challenge")
    return challenge if isinstance(challenge, dict) else {}


def classify(
    what: str, exc: Exception, body: Mapping[str, Any], *, code_given: bool = False
) -> IgAutolikerError:
    """Map a failed call onto our error hierarchy.

    Args:
        what: The request or step that failed; every message starts with it.
        exc: What the call raised (instagrapi, requests, pydantic or a parser).
        body: The JSON body of the last response, or {} (read, never logged).
        code_given: A verification code was submitted, so a refusal that mentions
            the code means a wrong code.

    Returns:
        The error to raise; anything not recognised becomes InstagramError.

    """
    failure = _Failure(
        what=what,
        exc=exc,
        body=body,
        text=instagram_message(body),
        code_given=code_given,
    )
    for classifier in _CLASSIFIERS:
        if (error := classifier(failure)) is not None:
            return error
    return _transport_error(failure)


@dataclass(frozen=True, slots=True)
class _Failure:
    """One failed call as the classifiers see it."""

    what: str
    exc: Exception
    body: Mapping[str, Any]
    text: str
    code_given: bool

    @property
    def error_type(self) -> str:
        """Instagram's `error_type`, from the exception or the body."""
        value = getattr(self.exc, "error_type", None) or self.body.get("error_type")
        return str(value or "")

    @property
    def detail(self) -> str:
        """`<what>: <Instagram's message or the exception's class>`."""
        return f"{self.what}: {self.text or type(self.exc).__name__}"

    def flag(self, name: str) -> bool:
        """Return a boolean field of Instagram's answer (`invalid_credentials`...)."""
        return bool(getattr(self.exc, name, None) or self.body.get(name))

    def raised(self, *names: InstagrapiError) -> bool:
        """Tell whether the call raised one of these instagrapi exceptions."""
        return is_instagrapi_error(self.exc, *names)


def _retry_after(exc: BaseException) -> float | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    value = headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except TypeError, ValueError:
        return None


def _status(exc: BaseException) -> int | None:
    status = getattr(getattr(exc, "response", None), "status_code", None)
    if isinstance(status, int):
        return status
    code = getattr(exc, "code", None)
    return code if isinstance(code, int) else None


def _is_suspension(failure: _Failure) -> bool:
    url = str(challenge_info(failure.body).get("url") or "")
    return failure.raised("AccountSuspended") or "/suspended/" in url


def _is_checkpoint(failure: _Failure) -> bool:
    """Every wording of a checkpoint: challenge_required, checkpoint_required, ..."""
    return (
        failure.raised("ChallengeError", "CaptchaChallengeRequired")
        or str(failure.body.get("message"))
        in {"challenge_required", "checkpoint_required"}
        or "checkpoint_url" in failure.body
        or failure.error_type == "checkpoint_challenge_required"
    )


def _is_native(body: Mapping[str, Any]) -> bool:
    """Confirm-in-the-app checkpoints: `native_flow: true` or `checkpoint_url`."""
    return bool(challenge_info(body).get("native_flow")) or "checkpoint_url" in body


def _instagrapi_version() -> str:
    try:
        return version("instagrapi")
    except PackageNotFoundError:  # pragma: no cover - a dependency of the integration
        return "unknown"


def _account_error(failure: _Failure) -> IgAutolikerError | None:  # noqa: PLR0911
    """Suspension, refused credentials, IP block, two-factor, outdated client."""
    what = failure.what
    if _is_suspension(failure):
        return AccountSuspended(f"{what}: Instagram suspended the account")
    if (
        failure.flag("invalid_credentials")
        or failure.error_type in {"invalid_user", "bad_password"}
        or failure.raised("BadPassword", "BadCredentials")
    ):
        # Never Instagram's text here: instagrapi rewrites an unknown username
        # into "Instagram has blocked your IP address".
        return AuthenticationFailed(f"{what}: Instagram refused username or password")
    if failure.raised("ReloginAttemptExceeded"):
        return AuthenticationFailed(failure.detail)
    if failure.raised("ProxyAddressIsBlocked") or failure.error_type == "ip_block":
        return IpBlocked(f"{what}: Instagram refuses logins from this IP address")
    if failure.raised("TwoFactorRequired"):
        return (
            InvalidCode(failure.detail)
            if failure.code_given
            else TwoFactorRequired(failure.detail)
        )
    if failure.error_type == "needs_upgrade":
        return ClientOutdated(
            f"{what}: Instagram refuses this app version", _instagrapi_version()
        )
    if failure.raised(
        "LoginRequired", "ClientLoginRequired", "ClientUnauthorizedError"
    ):
        return SessionExpired(failure.detail)
    return None


def _checkpoint_error(failure: _Failure) -> IgAutolikerError | None:
    if not _is_checkpoint(failure):
        return None
    return ChallengeRequired(failure.detail, native=_is_native(failure.body))


def _feedback_text(failure: _Failure) -> str:
    """Instagram's `feedback_message` of a feedback_required answer (no URL)."""
    message = getattr(failure.exc, "feedback_message", None) or failure.body.get(
        "feedback_message"
    )
    if isinstance(message, str) and "://" not in message:
        return message[:_MAX_MESSAGE]
    return ""


def _throttle_error(failure: _Failure) -> IgAutolikerError | None:
    exc = failure.exc
    if failure.raised("FeedbackRequired", "SentryBlock"):
        return FeedbackRequired(
            failure.detail, feedback_message=_feedback_text(failure)
        )
    if failure.raised("PleaseWaitFewMinutes"):
        return PleaseWait(
            failure.detail,
            retry_after=_retry_after(exc),
            instagram_message=failure.text,
        )
    if (
        failure.raised("RateLimitError", "ClientThrottledError")
        or _status(exc) == _HTTP_TOO_MANY
    ):
        return RateLimited(failure.detail, retry_after=_retry_after(exc))
    return None


def _target_error(failure: _Failure) -> IgAutolikerError | None:
    if (
        failure.code_given
        and failure.raised("ClientError")
        and "code" in f"{failure.error_type} {failure.text}".lower()
    ):
        return InvalidCode(failure.detail)
    if failure.raised("PrivateAccount"):
        return TargetPrivate(failure.detail)
    if failure.raised(
        "UserNotFound",
        "NotFoundError",
        "ClientNotFoundError",
        "MediaUnavailable",
        "InvalidMediaId",
        "InvalidTargetUser",
    ):
        return TargetNotFound(failure.detail)
    return None


def _transport_error(failure: _Failure) -> IgAutolikerError:
    """Network trouble, 5xx pages and unparsable answers; anything else."""
    exc, what, kind = failure.exc, failure.what, type(failure.exc).__name__
    if failure.raised(
        "ClientConnectionError",
        "ClientIncompleteReadError",
        "ClientJSONDecodeError",
        "ClientRequestTimeout",
    ) or isinstance(exc, (RequestException, OSError)):
        return CannotConnect(f"{what}: network error ({kind})")
    if failure.raised("ClientError"):
        status = _status(exc)
        if status is not None and status >= _HTTP_SERVER_ERROR:
            server_error = CannotConnect(f"{what}: HTTP {status}")
            server_error.status = status  # a burst of these slows the pace
            return server_error
        return InstagramError(failure.detail)
    if isinstance(
        exc,
        (
            ValidationError,
            KeyError,
            TypeError,
            ValueError,
            AttributeError,
            AssertionError,
        ),
    ):
        return CannotConnect(f"{what}: malformed response ({kind})")
    return InstagramError(f"{what}: unexpected {kind}")


_CLASSIFIERS: tuple[Callable[[_Failure], IgAutolikerError | None], ...] = (
    _account_error,
    _checkpoint_error,
    _throttle_error,
    _target_error,
)
