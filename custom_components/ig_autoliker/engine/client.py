"""
Blocking adapter around instagrapi: the only module that imports it.

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
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any, NoReturn

from instagrapi import Client
from instagrapi import config as ig_config
from instagrapi import exceptions as ig
from instagrapi.extractors import extract_media_v1, extract_story_v1, extract_user_v1
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
from .models import (
    Account,
    ChallengeMethod,
    MediaItem,
    MediaKind,
    TargetUser,
    TrayEntry,
)

if TYPE_CHECKING:
    from collections.abc import Callable

_LOGGER = logging.getLogger(__name__)

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

_USERNAME = re.compile(r"[A-Za-z0-9._]{1,30}")
_DIGITS = re.compile(r"\d{1,25}")
_MEDIA_ID = re.compile(r"(\d{1,25})_(\d{1,25})")
_MAX_MESSAGE = 200
_CHALLENGE_PATH_PARTS = 3  # challenge/<user pk>/<nonce>
_KIND_BY_MEDIA_TYPE = {1: MediaKind.PHOTO, 8: MediaKind.ALBUM, 2: MediaKind.REEL}
_HTTP_SERVER_ERROR = 500
_HTTP_TOO_MANY = 429


@dataclass(frozen=True, slots=True)
class ConnectionOptions:
    """
    How the adapter reaches Instagram.

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


@dataclass(slots=True)
class _PendingChallenge:
    """A checkpoint met during login: its API path and the offered methods."""

    path: str
    methods: tuple[ChallengeMethod, ...]


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
    """
    Give every request of a requests.Session a timeout and, if explicit, a CA bundle.

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


def _instagram_text(client: Any) -> str:
    """Instagram's own error message of the last response (never a URL or body)."""
    last = getattr(client, "last_json", None)
    message = last.get("message") if isinstance(last, dict) else None
    if isinstance(message, str) and message and "://" not in message:
        return message[:_MAX_MESSAGE]
    return ""


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


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _media_item(
    parsed: Any, raw: dict[str, Any], kind: MediaKind, code: str | None = None
) -> MediaItem:
    """
    Build our model from instagrapi's parsed Story/Media and the raw item.

    `has_liked` comes from the raw item: instagrapi's Story model drops it.
    """
    owner = str(parsed.user.pk)
    # An album's preview is its first item's; a photo, reel or story has its own.
    resources = getattr(parsed, "resources", None) or []
    thumbnail = parsed.thumbnail_url or next(
        (res.thumbnail_url for res in resources if res.thumbnail_url), None
    )
    return MediaItem(
        pk=str(parsed.pk),
        media_id=f"{parsed.pk}_{owner}",
        owner_pk=owner,
        kind=kind,
        taken_at=_aware(parsed.taken_at),
        has_liked=bool(raw.get("has_liked")),
        code=code,
        thumbnail_url=None if thumbnail is None else str(thumbnail),
    )


def _last_body(client: Any) -> dict[str, Any]:
    """Return the JSON body of the last response, or {} (never logged: tokens)."""
    last = getattr(client, "last_json", None)
    return last if isinstance(last, dict) else {}


@dataclass(frozen=True, slots=True)
class _Failure:
    """One failed call as the classifiers see it."""

    what: str
    exc: Exception
    body: dict[str, Any]
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


def _challenge_info(body: dict[str, Any]) -> dict[str, Any]:
    challenge = body.get("challenge")
    return challenge if isinstance(challenge, dict) else {}


def _is_suspension(failure: _Failure) -> bool:
    url = str(_challenge_info(failure.body).get("url") or "")
    return isinstance(failure.exc, ig.AccountSuspended) or "/suspended/" in url


def _is_checkpoint(failure: _Failure) -> bool:
    """Every wording of a checkpoint: challenge_required, checkpoint_required, ..."""
    return (
        isinstance(failure.exc, (ig.ChallengeError, ig.CaptchaChallengeRequired))
        or str(failure.body.get("message"))
        in {"challenge_required", "checkpoint_required"}
        or "checkpoint_url" in failure.body
        or failure.error_type == "checkpoint_challenge_required"
    )


def _is_native(body: dict[str, Any]) -> bool:
    """Confirm-in-the-app checkpoints: `native_flow: true` or `checkpoint_url`."""
    return bool(_challenge_info(body).get("native_flow")) or "checkpoint_url" in body


def _instagrapi_version() -> str:
    try:
        return version("instagrapi")
    except PackageNotFoundError:  # pragma: no cover - instagrapi is imported above
        return "unknown"


def _account_error(failure: _Failure) -> IgAutolikerError | None:  # noqa: PLR0911
    """Suspension, refused credentials, IP block, two-factor, outdated client."""
    exc, what = failure.exc, failure.what
    if _is_suspension(failure):
        return AccountSuspended(f"{what}: Instagram suspended the account")
    if (
        failure.flag("invalid_credentials")
        or failure.error_type in {"invalid_user", "bad_password"}
        or isinstance(exc, (ig.BadPassword, ig.BadCredentials))
    ):
        # Never Instagram's text here: instagrapi rewrites an unknown username
        # into "Instagram has blocked your IP address".
        return AuthenticationFailed(f"{what}: Instagram refused username or password")
    if isinstance(exc, ig.ReloginAttemptExceeded):
        return AuthenticationFailed(failure.detail)
    if isinstance(exc, ig.ProxyAddressIsBlocked) or failure.error_type == "ip_block":
        return IpBlocked(f"{what}: Instagram refuses logins from this IP address")
    if isinstance(exc, ig.TwoFactorRequired):
        return (
            InvalidCode(failure.detail)
            if failure.code_given
            else TwoFactorRequired(failure.detail)
        )
    if failure.error_type == "needs_upgrade":
        return ClientOutdated(
            f"{what}: Instagram refuses this app version", _instagrapi_version()
        )
    if isinstance(
        exc, (ig.LoginRequired, ig.ClientLoginRequired, ig.ClientUnauthorizedError)
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
    if isinstance(exc, (ig.FeedbackRequired, ig.SentryBlock)):
        return FeedbackRequired(
            failure.detail, feedback_message=_feedback_text(failure)
        )
    if isinstance(exc, ig.PleaseWaitFewMinutes):
        return PleaseWait(
            failure.detail,
            retry_after=_retry_after(exc),
            instagram_message=failure.text,
        )
    if (
        isinstance(exc, (ig.RateLimitError, ig.ClientThrottledError))
        or _status(exc) == _HTTP_TOO_MANY
    ):
        return RateLimited(failure.detail, retry_after=_retry_after(exc))
    return None


def _target_error(failure: _Failure) -> IgAutolikerError | None:
    exc = failure.exc
    if (
        failure.code_given
        and isinstance(exc, ig.ClientError)
        and "code" in f"{failure.error_type} {failure.text}".lower()
    ):
        return InvalidCode(failure.detail)
    if isinstance(exc, ig.PrivateAccount):
        return TargetPrivate(failure.detail)
    if isinstance(
        exc,
        (
            ig.UserNotFound,
            ig.NotFoundError,
            ig.ClientNotFoundError,
            ig.MediaUnavailable,
            ig.InvalidMediaId,
            ig.InvalidTargetUser,
        ),
    ):
        return TargetNotFound(failure.detail)
    return None


def _transport_error(failure: _Failure) -> IgAutolikerError:
    """Network trouble, 5xx pages and unparsable answers; anything else."""
    exc, what, kind = failure.exc, failure.what, type(failure.exc).__name__
    if isinstance(
        exc,
        (
            ig.ClientConnectionError,
            ig.ClientIncompleteReadError,
            ig.ClientJSONDecodeError,
            ig.ClientRequestTimeout,
            RequestException,
            OSError,
        ),
    ):
        return CannotConnect(f"{what}: network error ({kind})")
    if isinstance(exc, ig.ClientError):
        status = _status(exc)
        if status is not None and status >= _HTTP_SERVER_ERROR:
            return CannotConnect(f"{what}: HTTP {status}")
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


class InstagramApi:
    """
    One logged-in (or logging-in) Instagram account. Blocking; executor only.

    Args:
        username: Instagram username (or email/phone as Instagram accepts at login).
        password: The account password; kept in memory only, never logged.
        session: A session previously returned by `export_session()`, or None.
        options: Connection options; defaults reach Instagram directly.

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
        """
        Prepare the instagrapi client; sends no request.

        Raises:
            SessionExpired: `session` cannot be loaded (malformed).

        """
        self._username = username.strip()
        self._password = password
        self._options = options or ConnectionOptions()
        self._lock = threading.Lock()
        self._challenge: _PendingChallenge | None = None
        #: HTTP requests sent so far, count (a login's cost is known only after it).
        self.requests_sent = 0
        self._client = self._new_client(session)

    # ------------------------------------------------------------ plumbing
    def _new_client(self, session: dict[str, Any] | None) -> Any:
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
        client.username = self._username
        client.password = self._password
        self._apply_options(client)
        for name in ("private", "public"):
            _pin_request_defaults(
                getattr(client, name),
                self._options.timeout,
                self._options.verify,
                self._count_request,
            )
        return client

    def _count_request(self) -> None:
        self.requests_sent += 1

    def _apply_options(self, client: Any) -> None:
        """Pacing off, curl h2 transport, proxy and CA bundle (after settings loads)."""
        client.set_retry_config(
            request_timeout=0, session_retry_total=0, private_transport="curl"
        )
        client.delay_range = None
        _limit_connection_reuse(client, self._options.max_idle_reuse)
        client.set_proxy(self._options.proxy)
        client.set_tls_verify(self._options.verify)

    def _call[T](
        self, what: str, func: Callable[[], T], *, code_given: bool = False
    ) -> T:
        """Run `func` under the lock, translating every failure into our hierarchy."""
        with self._lock:
            try:
                return func()
            except IgAutolikerError:
                raise
            except Exception as exc:
                raise self._translate(what, exc, code_given=code_given) from exc

    def _translate(
        self, what: str, exc: Exception, *, code_given: bool
    ) -> IgAutolikerError:
        """Map an instagrapi / requests / parsing failure onto our error hierarchy."""
        _LOGGER.debug("%s failed: %s", what, type(exc).__name__)
        failure = _Failure(
            what=what,
            exc=exc,
            body=_last_body(self._client),
            text=_instagram_text(self._client),
            code_given=code_given,
        )
        for classify in _CLASSIFIERS:
            if (error := classify(failure)) is not None:
                return error
        return _transport_error(failure)

    def _require_login(self) -> None:
        if not self._client.user_id:
            msg = "Not logged in"
            raise SessionExpired(msg)

    # ----------------------------------------------------------------- API
    @property
    def username(self) -> str:
        """The username (or email) this adapter logs in with."""
        return self._username

    @property
    def user_pk(self) -> str | None:
        """Pk of the logged-in account, or None before the first login."""
        user_id = self._client.user_id
        return str(user_id) if user_id else None

    def login(self, verification_code: str | None = None) -> Account:
        """
        Log in, reusing the saved session when there is one.

        With a saved session this validates it with one request
        (`accounts/current_user/?edit=true`) and makes no `accounts/login/` or CAA
        login call; it logs in afresh only on `login_required`.

        A fresh login is instagrapi's Android CAA/Bloks flow: USDID registration
        (first time per device), process_client_data, attestation keystore,
        OAuth preflight, the password key (`qe/sync/`) and the login request, about
        6 requests; two-factor adds 4 Bloks requests; when Instagram sends the client
        back to the legacy flow, `launcher/sync/`, `qe/sync/` and `accounts/login/`
        (+ `accounts/two_factor_login/`) follow. After it come instagrapi's post-login
        `feed/reels_tray/` + `feed/timeline/` and one `accounts/current_user/`.

        Args:
            verification_code: The two-factor code, when a previous call raised
                TwoFactorRequired.

        Returns:
            The logged-in account.

        Raises:
            AuthenticationFailed, TwoFactorRequired, InvalidCode, ChallengeRequired
            (with `.methods` filled from the checkpoint, one extra GET),
            RateLimited, CannotConnect, InstagramError.

        """
        code = (verification_code or "").strip()
        return self._call(
            "login", functools.partial(self._login, code), code_given=bool(code)
        )

    def relogin(self) -> Account:
        """
        Log in afresh with the password, keeping the saved device (uuids, phone id).

        For `login_required` on a request: the session was refused, so it is not
        validated again; the cookies go and the fresh login of `login()` follows
        (about 9 requests), as instagrapi's maintainers recommend ("relogin with the
        same saved state").

        Raises:
            Like `login()`.

        """

        def fresh() -> Account:
            client = self._client
            self._challenge = None
            try:
                client.relogin_attempt = 0
                client.login(self._username, self._password, relogin=True)
                return self._account(client.account_info())
            except ig.ChallengeRequired as exc:
                raise self._open_challenge() from exc

        return self._call("relogin", fresh)

    def _login(self, code: str) -> Account:
        client = self._client
        self._challenge = None
        try:
            if client.user_id:
                try:
                    return self._account(client.account_info())
                except ig.LoginRequired:
                    _LOGGER.debug(
                        "Saved session rejected (login_required); logging in afresh"
                    )
                client.relogin_attempt = 0
                client.login(
                    self._username, self._password, relogin=True, verification_code=code
                )
            else:
                client.login(self._username, self._password, verification_code=code)
            return self._account(client.account_info())
        except ig.ChallengeRequired as exc:
            raise self._open_challenge() from exc

    @staticmethod
    def _account(info: Any) -> Account:
        return Account(
            pk=str(info.pk),
            username=str(info.username),
            full_name=str(info.full_name or ""),
        )

    def _open_challenge(self) -> IgAutolikerError:
        """
        Read the checkpoint step (one GET), remember it, return the error.

        Instagram's usual checkpoint (`native_flow: true`) offers no code: the user
        confirms in the app and the same device logs in again. Only a
        `native_flow: false` checkpoint is read for its email/SMS choice.
        """
        client = self._client
        last = _last_body(client)
        if "/suspended/" in str(_challenge_info(last).get("url") or ""):
            return AccountSuspended("login: Instagram suspended the account")
        challenge = _challenge_info(last)
        api_path = str(challenge.get("api_path") or "")
        if api_path.startswith("/api/v1/"):
            api_path = api_path[len("/api/v1") :]
        parts = api_path.strip("/").split("/")
        message = "Instagram requires a security check (challenge)"
        in_app = ChallengeRequired(
            f"{message} that must be passed in the Instagram app", native=True
        )
        if (
            len(parts) < _CHALLENGE_PATH_PARTS
            or parts[0] != "challenge"
            or challenge.get("native_flow")
            or not parts[1].isdigit()
        ):
            return in_app
        path = "/".join(parts) + "/"
        params = {
            "guid": client.uuid,
            "device_id": client.android_device_id,
            "challenge_context": json.dumps(
                {
                    "step_name": "",
                    "nonce_code": parts[2],
                    "user_id": int(parts[1]),
                    "is_stateless": False,
                }
            ),
        }
        try:
            step = client.private_request(path, params=params)
        except ig.ClientError:
            return in_app
        step_name = str(step.get("step_name") or "")
        raw_data = step.get("step_data")
        step_data: dict[str, Any] = raw_data if isinstance(raw_data, dict) else {}
        methods: list[ChallengeMethod] = []
        if step_name in {"select_verify_method", "select_contact_point_recovery"}:
            if "email" in step_data:
                methods.append(ChallengeMethod.EMAIL)
            if "phone_number" in step_data:
                methods.append(ChallengeMethod.SMS)
        elif step_name.startswith("verify_email"):
            methods.append(ChallengeMethod.EMAIL)
        elif step_name.startswith(("verify_phone", "verify_sms")):
            methods.append(ChallengeMethod.SMS)
        if not methods:
            return in_app
        self._challenge = _PendingChallenge(path=path, methods=tuple(methods))
        return ChallengeRequired(message, methods=tuple(methods))

    def challenge_send_code(self, method: ChallengeMethod) -> None:
        """
        Ask Instagram to send the challenge security code by `method` (one POST).

        Only valid after `login()` raised ChallengeRequired offering `method`.

        Raises:
            ChallengeRequired (cannot be solved this way), RateLimited, CannotConnect.

        """
        pending = self._challenge
        if pending is None or method not in pending.methods:
            offered = pending.methods if pending is not None else ()
            msg = f"No pending challenge offers {method.value}"
            raise ChallengeRequired(msg, methods=offered)
        choice = "1" if method is ChallengeMethod.EMAIL else "0"

        def send() -> None:
            step = self._client.private_request(pending.path, {"choice": choice})
            if not str(step.get("step_name") or "").startswith("verify"):
                msg = "Instagram did not accept the verification method"
                raise ChallengeRequired(msg, methods=pending.methods)

        self._call("challenge choice", send)

    def challenge_submit_code(self, code: str) -> Account:
        """
        Submit the challenge security code and finish the login.

        One POST; when Instagram closes the checkpoint without a session, a fresh
        `login()` follows. Then instagrapi's post-login `feed/reels_tray/` and
        `feed/timeline/`.

        Raises:
            InvalidCode, ChallengeRequired, CannotConnect.

        """
        pending = self._challenge
        if pending is None:
            msg = "No pending challenge"
            raise ChallengeRequired(msg)
        return self._call(
            "challenge code",
            functools.partial(self._submit_challenge, pending, code.strip()),
            code_given=True,
        )

    def _submit_challenge(self, pending: _PendingChallenge, code: str) -> Account:
        client = self._client
        result = client.private_request(pending.path, {"security_code": code})
        if result.get("action") != "close" and "logged_in_user" not in result:
            msg = "challenge code: Instagram did not accept the code"
            raise InvalidCode(msg)
        self._challenge = None
        authorization = client.last_response.headers.get("ig-set-authorization")
        if authorization:
            client.authorization_data = client.parse_authorization(authorization)
        if not client.user_id:
            return self._login("")
        client.login_flow()
        user = result.get("logged_in_user")
        if isinstance(user, dict) and user.get("pk") and user.get("username"):
            return Account(
                pk=str(user["pk"]),
                username=str(user["username"]),
                full_name=str(user.get("full_name") or ""),
            )
        return self._account(client.account_info())

    def export_session(self) -> dict[str, Any]:
        """
        Return instagrapi's settings (cookies, device, uuids) as a JSON-safe dict.

        Sends no request. The dict holds secrets: store it, never log it.
        """
        with self._lock:
            settings = self._client.get_settings()
        result: dict[str, Any] = json.loads(json.dumps(settings, default=str))
        return result

    def resolve_username(self, username: str) -> TargetUser:
        """
        Look a username up (one request: `users/{username}/usernameinfo/`).

        A private profile costs one more request (`friendships/show/{pk}/`) to learn
        whether the logged-in account follows it.

        Raises:
            TargetNotFound, TargetPrivate (private and not followed), RateLimited,
            SessionExpired, ChallengeRequired, CannotConnect.

        """
        name = username.strip().lstrip("@").lower()
        if not _USERNAME.fullmatch(name):
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
        """
        Tell whether a user's live stories show in the account's reels tray.

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
        """
        Return the followed accounts that have stories now.

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
                if not _DIGITS.fullmatch(pk):
                    continue
                entries.append(
                    TrayEntry(
                        user_pk=pk,
                        latest_reel_media=int(reel.get("latest_reel_media") or 0),
                    )
                )
            return entries

        return self._call("feed/reels_tray/", tray)

    def user_stories(self, user_pk: str) -> list[MediaItem]:
        """
        Return the current stories of a user, oldest first.

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
                items.append(_media_item(story, raw, MediaKind.STORY))
            return sorted(items, key=lambda m: m.taken_at)

        return self._call(endpoint, stories)

    def user_posts(self, user_pk: str, amount: int = 12) -> list[MediaItem]:
        """
        Return the newest posts of a user, newest first (first page only).

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
                kind = _KIND_BY_MEDIA_TYPE.get(raw.get("media_type"))
                if kind is None:
                    continue
                media = extract_media_v1(raw)
                items.append(_media_item(media, raw, kind, code=str(media.code)))
            items.sort(key=lambda m: m.taken_at, reverse=True)
            return items[:amount]

        return self._call(endpoint, posts)

    def like_story(self, story: MediaItem) -> None:
        """
        Mark the story seen, then like it (two requests; one story view).

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
                text = _instagram_text(client) or "refused"
                msg = f"send_story_like {story.pk}: {text}"
                raise InstagramError(msg)

        self._call(f"send_story_like {story.pk}", like)

    def like_post(self, post: MediaItem) -> None:
        """
        Like a photo, album or reel (one request: `media/{pk}/like/`, bare pk).

        Raises:
            FeedbackRequired, RateLimited, SessionExpired, ChallengeRequired,
            TargetNotFound (post gone), CannotConnect.

        """
        pk = self._checked_pk(post.pk)
        self._require_login()

        def like() -> None:
            if not self._client.media_like(pk):
                msg = f"media/{pk}/like/: {_instagram_text(self._client) or 'refused'}"
                raise InstagramError(msg)

        self._call(f"media/{pk}/like/", like)

    def keep_alive(self) -> None:
        """
        Touch the session with one light authenticated request.

        One request: `accounts/current_user/?edit=true`.

        Raises:
            SessionExpired, ChallengeRequired, RateLimited, CannotConnect.

        """
        self._require_login()
        self._call("accounts/current_user/", self._client.account_info)

    def _checked_pk(self, value: str) -> str:
        pk = str(value).strip()
        if not _DIGITS.fullmatch(pk):
            msg = f"Not an Instagram pk: {pk[:30]!r}"
            raise TargetNotFound(msg)
        return pk
