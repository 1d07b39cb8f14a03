"""Instagram's error answers, rebuilt from published captures (see SOURCES.md).

Every builder returns `(status, body)` with the body as Instagram sends it: field
names, nesting and types follow the capture named in its docstring (the SOURCES.md
entry of the same name). Only values were anonymised: usernames, pks, nonces, masked
phone numbers. Nothing here is our own idea of an error.
"""

from __future__ import annotations

from typing import Any

Answer = tuple[int, dict[str, Any]]

#: What Instagram says of an unknown username (SOURCES.md "invalid_user").
INVALID_USER_MESSAGE = (
    "The username you entered doesn't appear to belong to an account. "
    "Please check your username and try again."
)
#: Message of the 400 answered to a login from a blocked IP (SOURCES.md "ip_block").
IP_BLOCK_MESSAGE = INVALID_USER_MESSAGE
FEEDBACK_BLOCKED = (
    "This action was blocked. Please try again later. We restrict certain content "
    "and actions to protect our community. Tell us if you think we made a mistake."
)
FEEDBACK_RESTRICTED = (
    "We restrict certain activity to protect our community. "
    "Tell us if you think we made a mistake."
)
PLEASE_WAIT_MESSAGE = "Please wait a few minutes before you try again."
NEEDS_UPGRADE_MESSAGE = (
    "Your version of Instagram is out of date. Please upgrade your app to log in to "
    "Instagram."
)
#: Body of Instagram's 5xx pages (SOURCES.md "server_error").
SERVER_ERROR_HTML = b"<html><body>Oops, an error occurred.</body></html>"


def invalid_user(*, typed: bool) -> Answer:
    """
    accounts/login/ for an unknown username.

    `typed=True` is the 2024 capture (Datalux/Osintgram#1047) with
    `error_type: invalid_user`; `typed=False` is today's answer without it
    (instagrapi#1190, aiograpi-rest#46 show the untyped path).
    """
    body: dict[str, Any] = {
        "message": INVALID_USER_MESSAGE,
        "status": "fail",
        "error_title": "Incorrect username",
        "buttons": [{"title": "Try Again", "action": "dismiss"}],
        "invalid_credentials": True,
    }
    if typed:
        body["exception_name"] = "UserInvalidCredentials"
        body["error_type"] = "invalid_user"
    return 400, body


def bad_password(username: str) -> Answer:
    """accounts/login/ for a wrong password (errors collection, instagrapi#2732)."""
    return 400, {
        "message": "The password you entered is incorrect. Please try again.",
        "invalid_credentials": True,
        "error_title": f"Incorrect password for {username}",
        "buttons": [{"title": "Try Again", "action": "dismiss"}],
        "status": "fail",
        "exception_name": "UserInvalidCredentials",
        "error_type": "bad_password",
    }


def ip_block() -> Answer:
    """accounts/login/ from an IP Instagram blocks (Datalux/Osintgram#555, #524)."""
    return 400, {
        "message": IP_BLOCK_MESSAGE,
        "status": "fail",
        "error_type": "ip_block",
        "exception_name": "RleLoginBlocked",
    }


def two_factor_required(
    info: dict[str, Any], *, typed: bool, sms: bool, totp: bool, whatsapp: bool
) -> Answer:
    """
    accounts/login/ of a two-factor account (iSarabjitDhiman/InstaGPy#13, 2024).

    `info` supplies pk, username, two_factor_identifier and the masked phone
    numbers; the flags say which methods are on. The capture carries no
    `error_type`; `typed=True` adds the `two_factor_required` error_type older
    answers had (dilame/instagram-private-api#662 has none either).
    """
    settings = {
        "max_sms_count": 2,
        "resend_sms_delay_sec": 60,
        "robocall_count_down_time_sec": 30,
        "robocall_after_max_sms": True,
    }
    body: dict[str, Any] = {
        "message": "",
        "two_factor_required": True,
        "two_factor_info": {
            "pk": info["pk"],
            "username": info["username"],
            "sms_two_factor_on": sms,
            "whatsapp_two_factor_on": whatsapp,
            "totp_two_factor_on": totp,
            "eligible_for_multiple_totp": totp,
            "obfuscated_phone_number": info["obfuscated_phone_number"],
            "obfuscated_phone_number_2": info["obfuscated_phone_number_2"],
            "two_factor_identifier": info["two_factor_identifier"],
            "show_messenger_code_option": False,
            "show_new_login_screen": True,
            "show_trusted_device_option": True,
            "should_opt_in_trusted_device_option": True,
            "pending_trusted_notification": False,
            "sms_not_allowed_reason": None,
            "trusted_notification_polling_nonce": None,
            "is_trusted_device": False,
            "device_id": info["device_id"],
            "is_in_sowa_experience": False,
            "phone_verification_settings": dict(settings),
        },
        "phone_verification_settings": settings,
        "status": "fail",
    }
    if typed:
        body["error_type"] = "two_factor_required"
    return 400, body


def challenge_required(api_path: str, *, native: bool) -> Answer:
    """
    challenge_required on login or any request (Datalux/Osintgram#446, 2022).

    `native=True` is the capture as Instagram sends it today: the user confirms in
    the app. `native=False` flips only the flag, the form that offers a code by
    email or SMS (its select_verify_method step: stanvanrooy/instauto#76).
    """
    return 400, {
        "message": "challenge_required",
        "challenge": {
            "url": f"https://i.instagram.com{api_path}",
            "api_path": api_path,
            "hide_webview_header": True,
            "lock": True,
            "logout": False,
            "native_flow": native,
            "flow_render_type": 0,
        },
        "status": "fail",
        "error_type": "checkpoint_challenge_required",
    }


def checkpoint_required(checkpoint_path: str) -> Answer:
    """The older `checkpoint_required` message form (mgp25#303, pgrimaud#68)."""
    return 400, {
        "message": "checkpoint_required",
        "checkpoint_url": f"https://i.instagram.com{checkpoint_path}",
        "lock": True,
        "status": "fail",
    }


def suspended() -> Answer:
    """A suspended account (Datalux/Osintgram#750, threadsjs/threads.js#55)."""
    return 400, {
        "message": "challenge_required",
        "challenge": {
            "url": "https://www.instagram.com/accounts/suspended/",
            "api_path": "/challenge/",
            "hide_webview_header": True,
            "lock": True,
            "logout": False,
            "native_flow": True,
            "flow_render_type": 0,
        },
        "status": "fail",
    }


def feedback_required(message: str, feedback_url: str) -> Answer:
    """
    An action block on a like (ohld/igbot like tests, errors collection, goinsta#351).

    `message` is one of FEEDBACK_BLOCKED / FEEDBACK_RESTRICTED (the variants
    instagrapi's handle_exception example tells apart); both captures carry
    `spam: true`.
    """
    title = "Action Blocked" if message == FEEDBACK_BLOCKED else "Try Again Later"
    return 400, {
        "message": "feedback_required",
        "spam": True,
        "feedback_title": title,
        "feedback_message": message,
        "feedback_url": feedback_url,
        "feedback_appeal_label": "Tell us",
        "feedback_ignore_label": "OK",
        "feedback_action": "report_problem",
        "status": "fail",
    }


def please_wait(status: int = 400) -> Answer:
    """
    "Please wait a few minutes" (deathsec/instagram-py#49; 429: pgrimaud#247).

    instagrapi#1476 shows it with status 401 and `require_login: true` too.
    """
    body: dict[str, Any] = {"message": PLEASE_WAIT_MESSAGE, "status": "fail"}
    if status == 401:
        body["require_login"] = True
    return status, body


def throttled() -> Answer:
    """A bare 429 (instagrapi#1037 logs it; insta_api documents this body)."""
    return 429, {"message": "rate limited", "status": "fail"}


def login_required() -> Answer:
    """403 on a dead saved session (instagrapi's LoginRequired docstring)."""
    return 403, {
        "message": "login_required",
        "error_title": "You've Been Logged Out",
        "error_body": "Please log back in.",
        "logout_reason": 2,
        "status": "fail",
    }


def needs_upgrade() -> Answer:
    """A forced app update (instagrapi#2773, 2026; dilame#481, LevPasha#375)."""
    return 400, {
        "message": NEEDS_UPGRADE_MESSAGE,
        "status": "fail",
        "error_type": "needs_upgrade",
    }


def too_many_reels() -> Answer:
    """feed/reels_media/ naming more reels than Instagram serves at once.

    breuerfelix/jinsta#65 (2019): `POST /api/v1/feed/reels_media/ - 400 Bad Request;
    Too many reels requested` (dilame's client prints status and `message`);
    mgp25/Instagram-API#2704: `ReelsMediaResponse: Too many reels requested.`
    (mgp25 appends the period). No `error_type` is shown in either.
    """
    return 400, {"message": "Too many reels requested", "status": "fail"}
