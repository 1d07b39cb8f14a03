"""classify.py on its own: instagrapi exception names, the mapping, the import rule."""

from __future__ import annotations

import typing
from pathlib import Path
from types import SimpleNamespace

import pytest
from custom_components.ig_autoliker.engine import classify as classify_module
from custom_components.ig_autoliker.engine.classify import (
    challenge_info,
    classify,
    instagram_message,
    is_instagrapi_error,
)
from custom_components.ig_autoliker.engine.exceptions import (
    AccountSuspended,
    AuthenticationFailed,
    CannotConnect,
    ChallengeRequired,
    FeedbackRequired,
    InstagramError,
    InvalidCode,
    PleaseWait,
    RateLimited,
    SessionExpired,
    TargetNotFound,
    TwoFactorRequired,
)
from instagrapi import exceptions as ig

ENGINE = Path(__file__).parent.parent / "custom_components" / "ig_autoliker" / "engine"


def test_every_name_is_an_instagrapi_exception() -> None:
    names = typing.get_args(classify_module.InstagrapiError.__value__)
    assert names
    for name in names:
        cls = getattr(ig, name, None)
        assert isinstance(cls, type), name
        assert issubclass(cls, Exception), name
        assert cls.__module__ == "instagrapi.exceptions", name


def test_is_instagrapi_error_follows_subclassing() -> None:
    exc = ig.ChallengeRequired("challenge_required")
    assert is_instagrapi_error(exc, "ChallengeRequired")
    assert is_instagrapi_error(exc, "ChallengeError", "LoginRequired")
    assert is_instagrapi_error(exc, "ClientError")
    assert not is_instagrapi_error(exc, "LoginRequired")
    # Our own ChallengeRequired has the same name but is not instagrapi's.
    assert not is_instagrapi_error(ChallengeRequired("x"), "ChallengeRequired")


def _response(status: int, retry_after: str | None = None) -> SimpleNamespace:
    headers = {} if retry_after is None else {"Retry-After": retry_after}
    return SimpleNamespace(status_code=status, headers=headers)


@pytest.mark.parametrize(
    ("exc", "body", "error"),
    [
        (ig.LoginRequired("login_required"), {}, SessionExpired),
        (ig.BadPassword("x"), {}, AuthenticationFailed),
        (ig.ClientError("x"), {"invalid_credentials": True}, AuthenticationFailed),
        (ig.TwoFactorRequired("x"), {}, TwoFactorRequired),
        (ig.ChallengeRequired("x"), {}, ChallengeRequired),
        (ig.ClientError("x"), {"checkpoint_url": "/c/"}, ChallengeRequired),
        (
            ig.ChallengeRequired("x"),
            {"challenge": {"url": "https://i.instagram.com/accounts/suspended/"}},
            AccountSuspended,
        ),
        (ig.FeedbackRequired("x"), {}, FeedbackRequired),
        (ig.PleaseWaitFewMinutes("x"), {}, PleaseWait),
        (ig.ClientThrottledError("x"), {}, RateLimited),
        (ig.UserNotFound("x"), {}, TargetNotFound),
        (ig.ClientConnectionError("x"), {}, CannotConnect),
        (ConnectionResetError(), {}, CannotConnect),
        (KeyError("items"), {}, CannotConnect),
        (ig.ClientError("x"), {"message": "no"}, InstagramError),
        (RuntimeError("x"), {}, InstagramError),
    ],
)
def test_classify(exc: Exception, body: dict[str, object], error: type) -> None:
    result = classify("feed/user/1/", exc, body)
    assert type(result) is error
    assert str(result).startswith("feed/user/1/")


def test_classify_status_and_retry_after() -> None:
    throttled = ig.ClientError("x", response=_response(429, "30"))
    result = classify("media/1/like/", throttled, {})
    assert isinstance(result, RateLimited)
    assert result.retry_after == 30.0
    server = classify("media/1/like/", ig.ClientError("x", response=_response(502)), {})
    assert isinstance(server, CannotConnect)
    assert "HTTP 502" in str(server)


def test_classify_code_given() -> None:
    assert isinstance(
        classify("login", ig.TwoFactorRequired("x"), {}, code_given=True), InvalidCode
    )
    wrong = classify(
        "challenge code",
        ig.ClientError("x"),
        {"message": "Please check the code we sent you"},
        code_given=True,
    )
    assert isinstance(wrong, InvalidCode)


def test_messages_hold_no_url() -> None:
    assert instagram_message({"message": "see https://x.example/"}) == ""
    assert instagram_message({"message": "feedback_required"}) == "feedback_required"
    assert instagram_message({"message": "m" * 500}) == "m" * 200
    assert challenge_info({"challenge": "x"}) == {}
