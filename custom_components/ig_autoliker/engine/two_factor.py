"""Finish a two-factor login on the first attempt's answer: the password goes once.

instagrapi 3.x's `login(verification_code=...)` starts the whole login over: the CAA
preflight and the password request again (or `accounts/login/` again on the legacy
route), then the two-factor step. Instagram's app sends the password once and answers
the two-factor screen it was given. This module keeps that screen's context from the
first attempt (`PendingTwoFactor`) and later sends only the code, with the same
requests instagrapi's `login()` would send after its password step (its
`mixins/auth.py`, identical in 3.1.0 and 3.2.2):

- CAA/Bloks: the answer carries `two_step_verification_context`; instagrapi's
  `_login_with_bloks_two_factor` sends the 4 Bloks two-factor requests (entrypoint,
  method picker, method, code) and applies the login answer.
- legacy: `accounts/login/` answered `two_factor_required` with
  `two_factor_info.two_factor_identifier`; one `accounts/two_factor_login/` with the
  code, the Bloks step when Instagram answers "Invalid Parameters", and the Bloks step
  for an 8-digit backup code when the answer has a Bloks context (as instagrapi does).

Then instagrapi's post-login `feed/reels_tray/` and `feed/timeline/` (`login_flow`).

The instagrapi client is passed in as `Any` (only client.py imports instagrapi); its
exceptions are recognised by name (classify.py). Nothing here logs the code.
"""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass
from typing import Any, Final

from .classify import is_instagrapi_error

#: Attributes every instagrapi ClientError has besides the answer it was built from.
_ERROR_ATTRIBUTES: Final = frozenset({"response", "code", "message"})
#: instagrapi's `accounts/two_factor_login/` value for a code from SMS, WhatsApp or an
#: authenticator app (its `login_legacy`).
_VERIFICATION_METHOD: Final = "3"


@dataclass(frozen=True, slots=True)
class PendingTwoFactor:
    """The two-factor screen of a login attempt, kept for the code.

    Attributes:
        answer: Instagram's answer that asked for the code (a secret: holds the
            context tokens; never logged).
        error: instagrapi's TwoFactorRequired for that answer (instagrapi chains
            its own follow-up errors to it).

    """

    answer: dict[str, Any]
    error: Exception

    @property
    def identifier(self) -> str:
        """The legacy route's `two_factor_identifier`, or "" on the CAA route."""
        info = self.answer.get("two_factor_info")
        value = info.get("two_factor_identifier") if isinstance(info, dict) else None
        return value if isinstance(value, str) else ""


def pending_two_factor(client: Any, error: Exception) -> PendingTwoFactor | None:
    """Keep what a TwoFactorRequired from `client.login()` needs to be finished later.

    The CAA route raises it with the login outcome as attributes (instagrapi's
    `_exception_context`); the legacy route leaves the `accounts/login/` answer in
    `client.last_json`. Sends no request.

    Args:
        client: instagrapi's Client right after `login()` raised `error`.
        error: That TwoFactorRequired.

    Returns:
        The pending step, or None when the answer names neither a Bloks context
        nor a legacy identifier (then only a fresh login with the code can finish).

    """
    answer = {
        key: value for key, value in vars(error).items() if key not in _ERROR_ATTRIBUTES
    }
    if not client._extract_two_step_verification_context(answer):  # noqa: SLF001
        last = client.last_json
        answer = copy.deepcopy(last) if isinstance(last, dict) else {}
    pending = PendingTwoFactor(answer=answer, error=error)
    context = client._extract_two_step_verification_context(answer)  # noqa: SLF001
    return pending if context or pending.identifier else None


def finish_two_factor(client: Any, pending: PendingTwoFactor, code: str) -> None:
    """Send the code on the pending step and finish the login. Blocking.

    Requests: 4 (Bloks) or 1 (legacy) for the code, then `feed/reels_tray/` and
    `feed/timeline/`.

    Raises:
        instagrapi's errors: TwoFactorRequired when the Bloks step's answer holds no
        session (a refused code), ClientError subclasses for a refused legacy code,
        ChallengeRequired when a checkpoint follows, network errors.

    """
    bloks = client._extract_two_step_verification_context(pending.answer)  # noqa: SLF001
    backup = client._looks_like_backup_code(code)  # noqa: SLF001
    if pending.identifier and not (backup and bloks):
        _legacy_two_factor(client, pending, code)
    else:
        client._login_with_bloks_two_factor(code, pending.answer, pending.error)  # noqa: SLF001
    client.login_flow()
    # As instagrapi's login() after a login; its `last_login` (wall-clock seconds,
    # read by no code of instagrapi 3.x) is left unset.
    client.relogin_attempt = 0


def _legacy_two_factor(client: Any, pending: PendingTwoFactor, code: str) -> None:
    """Send one `accounts/two_factor_login/` as instagrapi's login_legacy does."""
    data = {
        "verification_code": code,
        "phone_id": client.phone_id,
        "_csrftoken": client.token,
        "two_factor_identifier": pending.identifier,
        "username": client.username,
        "trust_this_device": "0",
        "guid": client.uuid,
        "device_id": client.android_device_id,
        "waterfall_id": str(uuid.uuid4()),
        "verification_method": _VERIFICATION_METHOD,
    }
    try:
        client.private_request("accounts/two_factor_login/", data, login=True)
    except Exception as exc:
        message = str(getattr(exc, "message", "") or "").strip().lower()
        if not is_instagrapi_error(exc, "UnknownError") or message != (
            "invalid parameters"
        ):
            raise
        # Instagram moved this account to the Bloks two-factor screens.
        client._login_with_bloks_two_factor(code, pending.answer, exc)  # noqa: SLF001
        return
    client.authorization_data = client.parse_authorization(
        client.last_response.headers.get("ig-set-authorization")
    )
