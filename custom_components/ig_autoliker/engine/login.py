"""Log one account in: password, saved session, two-factor, checkpoint, relogin.

`LoginFlow` is the base of `client.InstagramClient`. It holds what every call shares:
the instagrapi client object (built by `client.py`, the only module that imports
instagrapi), the lock that serializes calls on one account, the request count, and
`_call`, which runs a step under the lock and turns any failure into our errors
(`classify.py`). On top of that it runs the login steps; the feeds and likes are in
`client.py`. instagrapi's own exceptions are recognised with
`classify.is_instagrapi_error`, by class name, so this module does not import it.

How instagrapi 3.x logs in (its `mixins/auth.py` and `mixins/bloks.py`): `login()`
with a loaded session validates it with one `accounts/current_user/?edit=true`
request; a fresh login runs the Android CAA/Bloks flow, falling back to the legacy
`accounts/login/` when Instagram answers `CAA_LOGIN_FALLBACK:`; two-factor and
checkpoints come back as TwoFactorRequired and ChallengeRequired. instagrapi's
maintainers recommend relogging in with the same saved device on `login_required`,
and solving only checkpoints that offer a code: `native_flow` ones need the app
(instagrapi's best-practices page, `examples/handle_exception.py`).
"""

from __future__ import annotations

import functools
import json
import logging
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .classify import challenge_info, classify, is_instagrapi_error
from .exceptions import (
    AccountSuspended,
    ChallengeRequired,
    IgAutolikerError,
    InvalidCode,
    SessionExpired,
)
from .models import Account, ChallengeMethod
from .two_factor import PendingTwoFactor, finish_two_factor, pending_two_factor

if TYPE_CHECKING:
    from collections.abc import Callable

_LOGGER = logging.getLogger(__name__)

_CHALLENGE_PATH_PARTS = 3  # challenge/<user pk>/<nonce>


@dataclass(slots=True)
class _PendingChallenge:
    """A checkpoint met during login: its API path and the offered methods."""

    path: str
    methods: tuple[ChallengeMethod, ...]


class LoginFlow:
    """The login half of `InstagramClient`: shared call plumbing and the login steps.

    Args:
        username: Instagram username (or email/phone as Instagram accepts at login).
        password: The account password; kept in memory only, never logged.

    The subclass sets `_client` (an instagrapi `Client`) and counts each HTTP request
    it sends in `requests_sent`.

    """

    #: instagrapi's `Client`, set by the subclass (client.py imports instagrapi).
    _client: Any

    def __init__(self, username: str, password: str) -> None:
        """Remember the credentials; sends no request."""
        self._username = username.strip()
        self._password = password
        self._lock = threading.Lock()
        self._challenge: _PendingChallenge | None = None
        self._two_factor: PendingTwoFactor | None = None
        #: HTTP requests sent so far, count (a login's cost is known only after it).
        self.requests_sent = 0

    # ------------------------------------------------------------ plumbing
    def _count_request(self) -> None:
        self.requests_sent += 1

    def _last_body(self) -> dict[str, Any]:
        """Return the JSON body of the last response, or {} (never logged: tokens)."""
        last = getattr(self._client, "last_json", None)
        return last if isinstance(last, dict) else {}

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
        return classify(what, exc, self._last_body(), code_given=code_given)

    def _require_login(self) -> None:
        if not self._client.user_id:
            msg = "Not logged in"
            raise SessionExpired(msg)

    # ----------------------------------------------------------------- API
    @property
    def username(self) -> str:
        """The username (or email) this client logs in with."""
        return self._username

    @property
    def user_pk(self) -> str | None:
        """Pk of the logged-in account, or None before the first login."""
        user_id = self._client.user_id
        return str(user_id) if user_id else None

    def login(self, verification_code: str | None = None) -> Account:
        """Log in, reusing the saved session when there is one.

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

        Two-factor: the call without a code that raised TwoFactorRequired keeps
        Instagram's two-factor screen; the call with the code finishes on it
        (two_factor.py: 4 Bloks requests or one `accounts/two_factor_login/`), so
        the password is sent once. A refused code keeps the screen for another try;
        after any other failure the next call with a code logs in from the start.

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
        """Log in afresh with the password, keeping the saved device (uuids, phone id).

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
            self._two_factor = None
            try:
                client.relogin_attempt = 0
                client.login(self._username, self._password, relogin=True)
                return self._account(client.account_info())
            except Exception as exc:
                if is_instagrapi_error(exc, "ChallengeRequired"):
                    raise self._open_challenge() from exc
                raise

        return self._call("relogin", fresh)

    def _login(self, code: str) -> Account:
        client = self._client
        self._challenge = None
        pending, self._two_factor = self._two_factor, None
        if code and pending is not None:
            return self._finish_two_factor(pending, code)
        try:
            if client.user_id:
                try:
                    return self._account(client.account_info())
                except Exception as exc:
                    if not is_instagrapi_error(exc, "LoginRequired"):
                        raise
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
        except Exception as exc:
            if is_instagrapi_error(exc, "ChallengeRequired"):
                raise self._open_challenge() from exc
            if not code and is_instagrapi_error(exc, "TwoFactorRequired"):
                self._two_factor = pending_two_factor(client, exc)
            raise

    def _finish_two_factor(self, pending: PendingTwoFactor, code: str) -> Account:
        """Send the code on the kept two-factor screen; keep it for a refused code."""
        client = self._client
        try:
            finish_two_factor(client, pending, code)
            return self._account(client.account_info())
        except Exception as exc:
            if is_instagrapi_error(exc, "ChallengeRequired"):
                raise self._open_challenge() from exc
            error = self._translate("two-factor code", exc, code_given=True)
            if isinstance(error, InvalidCode):
                self._two_factor = pending
            raise error from exc

    @staticmethod
    def _account(info: Any) -> Account:
        return Account(
            pk=str(info.pk),
            username=str(info.username),
            full_name=str(info.full_name or ""),
        )

    def _open_challenge(self) -> IgAutolikerError:
        """Read the checkpoint step (one GET), remember it, return the error.

        Instagram's usual checkpoint (`native_flow: true`) offers no code: the user
        confirms in the app and the same device logs in again. Only a
        `native_flow: false` checkpoint is read for its email/SMS choice.
        """
        client = self._client
        challenge = challenge_info(self._last_body())
        if "/suspended/" in str(challenge.get("url") or ""):
            return AccountSuspended("login: Instagram suspended the account")
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
        except Exception as exc:
            if is_instagrapi_error(exc, "ClientError"):
                return in_app
            raise
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
        """Ask Instagram to send the challenge security code by `method` (one POST).

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
        """Submit the challenge security code and finish the login.

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
        """Return instagrapi's settings (cookies, device, uuids) as a JSON-safe dict.

        Sends no request. The dict holds secrets: store it, never log it.
        """
        with self._lock:
            settings = self._client.get_settings()
        result: dict[str, Any] = json.loads(json.dumps(settings, default=str))
        return result
