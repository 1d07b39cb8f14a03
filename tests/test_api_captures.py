"""Every captured Instagram answer (tests/sandbox/SOURCES.md) through the real adapter.

One test per body shape: real instagrapi talks to the emulator, which answers with
the published capture; the adapter must raise the integration's own error for it.
"""

from __future__ import annotations

import json
from importlib.metadata import version

import pytest
from custom_components.ig_autoliker.engine.client import (
    ConnectionOptions,
    InstagramClient,
)
from custom_components.ig_autoliker.engine.exceptions import (
    AccountSuspended,
    AuthenticationFailed,
    CannotConnect,
    ChallengeRequired,
    ClientOutdated,
    FeedbackRequired,
    InstagramError,
    IpBlocked,
    RateLimited,
    SessionExpired,
    TwoFactorRequired,
)
from custom_components.ig_autoliker.engine.models import ChallengeMethod
from instagrapi import exceptions as ig

from tests.sandbox import Fault, Sandbox, captures
from tests.sandbox.testworld import (
    ALICE,
    BOB,
    DAVE,
    ERIN,
    GRACE,
    HEIDI,
    IVAN,
    MISSING,
    PUBLIC,
    Credentials,
    pk_of,
)
from tests.sandbox.world import CAA_LOGIN_ENDPOINT


def make_api(
    creds: Credentials, options: ConnectionOptions, session: dict | None = None
) -> InstagramClient:
    return InstagramClient(creds.username, creds.password, session, options)


# ------------------------------------------------------------ credentials
@pytest.mark.parametrize("typed", [False, True], ids=["untyped", "invalid_user"])
def test_unknown_username_is_refused_credentials(
    sandbox: Sandbox, connection_options: ConnectionOptions, *, typed: bool
) -> None:
    """Today's answer has no error_type; instagrapi calls it an IP block."""
    sandbox.world.invalid_user_typed = typed
    with pytest.raises(AuthenticationFailed) as err:
        make_api(Credentials(MISSING, "whatever"), connection_options).login()
    assert "IP" not in str(err.value)
    assert [r.status for r in sandbox.world.requests("accounts/login/")] == [400]


def test_invalid_user_fault_with_error_type(
    sandbox: Sandbox, connection_options: ConnectionOptions
) -> None:
    sandbox.world.faults.add("accounts/login/", Fault.INVALID_USER)
    with pytest.raises(AuthenticationFailed):
        make_api(BOB, connection_options).login()


def test_ip_block_is_its_own_error(
    sandbox: Sandbox, connection_options: ConnectionOptions
) -> None:
    sandbox.world.faults.add("accounts/login/", Fault.IP_BLOCK)
    with pytest.raises(IpBlocked) as err:
        make_api(BOB, connection_options).login()
    assert not isinstance(err.value, AuthenticationFailed)
    assert "IP address" in str(err.value)


# ------------------------------------------------------------- two-factor
@pytest.mark.parametrize(
    ("creds", "method", "typed"),
    [
        (DAVE, "sms", False),
        (DAVE, "sms", True),
        (DAVE, "totp", False),
        (IVAN, "whatsapp", False),
    ],
    ids=["sms", "sms-error_type", "totp", "whatsapp"],
)
def test_two_factor_variants(
    sandbox: Sandbox,
    connection_options: ConnectionOptions,
    creds: Credentials,
    method: str,
    *,
    typed: bool,
) -> None:
    user = sandbox.world.user(creds.username)
    assert user is not None
    user.two_factor_method = method  # type: ignore[assignment]
    user.two_factor_typed = typed
    api = make_api(creds, connection_options)
    with pytest.raises(TwoFactorRequired):
        api.login()
    assert api.login(verification_code=creds.code).username == creds.username
    assert [s.via for s in sandbox.world.logins] == ["legacy_two_factor"]


# ------------------------------------------------------------ checkpoints
def test_native_checkpoint_at_login_clears_after_app_confirmation(
    sandbox: Sandbox, connection_options: ConnectionOptions
) -> None:
    world = sandbox.world
    api = make_api(GRACE, connection_options)
    with pytest.raises(ChallengeRequired) as err:
        api.login()
    assert err.value.native
    assert err.value.methods == ()
    assert world.count("challenge/*") == 0  # nothing to choose: no GET of the step
    with pytest.raises(ChallengeRequired):
        api.login()  # not confirmed yet
    assert world.confirm_challenge(GRACE.username)

    # Another device is not what the user confirmed.
    with pytest.raises(ChallengeRequired):
        make_api(GRACE, connection_options).login()
    assert api.login().username == GRACE.username
    assert world.challenge_for(int(pk_of(world, GRACE.username))) is None


def test_native_checkpoint_on_a_request_locks_the_session(
    alice: InstagramClient, sandbox: Sandbox
) -> None:
    world = sandbox.world
    owner = pk_of(world, PUBLIC)
    world.faults.add("feed/user/*/story/", Fault.CHALLENGE_REQUIRED)
    with pytest.raises(ChallengeRequired) as err:
        alice.user_stories(owner)
    assert err.value.native
    with pytest.raises(ChallengeRequired):
        alice.user_posts(owner)  # "lock": true, every request meets it
    world.confirm_challenge(ALICE.username)
    assert alice.login().username == ALICE.username  # same device and session
    assert alice.user_stories(owner)
    assert world.login_attempts() == 0


@pytest.mark.parametrize(
    "endpoint", ["feed/user/*/story/", CAA_LOGIN_ENDPOINT], ids=["request", "login"]
)
def test_checkpoint_required_message_is_a_challenge(
    sandbox: Sandbox, connection_options: ConnectionOptions, endpoint: str
) -> None:
    """`message: checkpoint_required` + `checkpoint_url` (no `challenge` object)."""
    world = sandbox.world
    api = make_api(ALICE, connection_options)
    if endpoint != CAA_LOGIN_ENDPOINT:
        api.login()
    world.faults.add(endpoint, Fault.CHECKPOINT_REQUIRED)
    owner = pk_of(world, PUBLIC)
    call = (
        api.login if endpoint == CAA_LOGIN_ENDPOINT else lambda: api.user_stories(owner)
    )
    with pytest.raises(ChallengeRequired) as err:
        call()
    assert err.value.native
    body = world.requests(endpoint)[-1]
    assert (body.status, body.fault) == (400, "checkpoint_required")


def test_code_checkpoint_offers_methods(
    alice: InstagramClient, sandbox: Sandbox
) -> None:
    sandbox.world.faults.add("accounts/current_user/", Fault.CHALLENGE_CODES)
    with pytest.raises(ChallengeRequired) as err:
        alice.login()
    assert not err.value.native
    assert err.value.methods


@pytest.mark.parametrize("where", ["login", "like"])
def test_suspended_account(
    sandbox: Sandbox, connection_options: ConnectionOptions, where: str
) -> None:
    world = sandbox.world
    if where == "login":
        api = make_api(HEIDI, connection_options)
        with pytest.raises(AccountSuspended):
            api.login()
        return
    api = make_api(ALICE, connection_options)
    api.login()
    post = api.user_posts(pk_of(world, PUBLIC))[0]
    world.faults.add("media/*/like/", Fault.ACCOUNT_SUSPENDED)
    with pytest.raises(AccountSuspended) as err:
        api.like_post(post)
    assert not isinstance(err.value, ChallengeRequired)
    assert world.likes == []


# ------------------------------------------------------- blocks and limits
@pytest.mark.parametrize("fault", [Fault.FEEDBACK_REQUIRED, Fault.FEEDBACK_BLOCKED])
def test_feedback_required_variants(
    alice: InstagramClient, sandbox: Sandbox, fault: Fault
) -> None:
    world = sandbox.world
    post = alice.user_posts(pk_of(world, PUBLIC))[0]
    world.faults.add("media/*/like/", fault)
    with pytest.raises(FeedbackRequired):
        alice.like_post(post)
    assert world.likes == []


@pytest.mark.parametrize("status", [400, 401, 429])
def test_please_wait_at_any_status(
    alice: InstagramClient, sandbox: Sandbox, status: int
) -> None:
    sandbox.world.faults.add("feed/reels_tray/", Fault.PLEASE_WAIT, status=status)
    with pytest.raises(RateLimited) as err:
        alice.reels_tray()
    assert err.value.retry_after is None


@pytest.mark.parametrize("retry_after", [None, 90])
def test_429_with_and_without_retry_after(
    alice: InstagramClient, sandbox: Sandbox, retry_after: int | None
) -> None:
    sandbox.world.faults.add(
        "feed/reels_tray/", Fault.HTTP_429, retry_after=retry_after
    )
    with pytest.raises(RateLimited) as err:
        alice.reels_tray()
    assert err.value.retry_after == retry_after


def test_raw_fault_sets_status_body_and_headers(
    alice: InstagramClient, sandbox: Sandbox
) -> None:
    body = json.dumps({"message": "rate limited", "status": "fail"}).encode()
    sandbox.world.faults.add(
        "feed/reels_tray/",
        Fault.RAW,
        status=429,
        body=body,
        headers={"Retry-After": "45"},
    )
    with pytest.raises(RateLimited) as err:
        alice.reels_tray()
    assert err.value.retry_after == 45.0


def test_login_required_on_saved_session_logs_in_again(
    alice: InstagramClient, sandbox: Sandbox, connection_options: ConnectionOptions
) -> None:
    world = sandbox.world
    world.faults.add("accounts/current_user/", Fault.LOGIN_REQUIRED)
    again = make_api(ALICE, connection_options, alice.export_session())
    assert again.login().username == ALICE.username
    assert world.login_attempts() == 1
    world.faults.add("feed/reels_tray/", Fault.LOGIN_REQUIRED)
    with pytest.raises(SessionExpired):
        again.reels_tray()


@pytest.mark.parametrize("where", ["login", "like"])
def test_needs_upgrade_names_the_instagrapi_version(
    sandbox: Sandbox, connection_options: ConnectionOptions, where: str
) -> None:
    world = sandbox.world
    if where == "login":
        world.faults.add("accounts/login/", Fault.NEEDS_UPGRADE)
        call = make_api(BOB, connection_options).login
    else:
        api = make_api(ALICE, connection_options)
        api.login()
        post = api.user_posts(pk_of(world, PUBLIC))[0]
        world.faults.add("media/*/like/", Fault.NEEDS_UPGRADE)

        def call() -> None:
            api.like_post(post)

    with pytest.raises(ClientOutdated) as err:
        call()
    assert err.value.library_version == version("instagrapi")


@pytest.mark.parametrize("fault", [Fault.HTTP_500, Fault.HTTP_502, Fault.HTTP_503])
def test_server_error_html_is_a_connection_problem(
    alice: InstagramClient, sandbox: Sandbox, fault: Fault
) -> None:
    sandbox.world.faults.add("feed/reels_tray/", fault)
    with pytest.raises(CannotConnect) as err:
        alice.reels_tray()
    assert "HTTP 5" in str(err.value)


# ------------------------------------------------------ edges of the shapes
def test_interactive_prompts_are_refused_not_awaited(
    sandbox: Sandbox, connection_options: ConnectionOptions
) -> None:
    """instagrapi's input() prompts would block an executor thread forever."""
    client = make_api(ALICE, connection_options)._client
    with pytest.raises(ig.ChallengeRequired):
        client.challenge_code_handler(ALICE.username, "email")
    with pytest.raises(ig.ChallengeRequired):
        client.change_password_handler(ALICE.username)


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        ({"message": "rate limited", "status": "fail"}, {"Retry-After": "soon"}),
        ({"message": "", "status": "fail", "error_type": "rate_limit_error"}, {}),
    ],
    ids=["unreadable-retry-after", "rate_limit_error"],
)
def test_throttles_without_a_usable_wait(
    alice: InstagramClient,
    sandbox: Sandbox,
    body: dict[str, str],
    headers: dict[str, str],
) -> None:
    status = 429 if headers else 400
    sandbox.world.faults.add(
        "feed/reels_tray/",
        Fault.RAW,
        status=status,
        body=json.dumps(body).encode(),
        headers=headers,
    )
    with pytest.raises(RateLimited) as err:
        alice.reels_tray()
    assert err.value.retry_after is None


def test_code_checkpoint_with_a_prefixed_api_path(
    sandbox: Sandbox, connection_options: ConnectionOptions
) -> None:
    """Some answers carry `/api/v1/challenge/...`; the step is read all the same."""
    world = sandbox.world
    pk = int(pk_of(world, ERIN.username))
    challenge = world.challenge_for(pk)
    assert challenge is not None
    _, body = captures.challenge_required(f"/api/v1{challenge.api_path}", native=False)
    world.faults.add(
        CAA_LOGIN_ENDPOINT, Fault.RAW, status=400, body=json.dumps(body).encode()
    )
    with pytest.raises(ChallengeRequired) as err:
        make_api(ERIN, connection_options).login()
    assert err.value.methods == (ChallengeMethod.EMAIL, ChallengeMethod.SMS)


def test_unreadable_code_checkpoint_is_passed_in_the_app(
    sandbox: Sandbox, connection_options: ConnectionOptions
) -> None:
    sandbox.world.faults.add("challenge/*/*/", Fault.HTTP_503, method="GET")
    with pytest.raises(ChallengeRequired) as err:
        make_api(ERIN, connection_options).login()
    assert err.value.native
    assert err.value.methods == ()


@pytest.mark.parametrize(
    ("method", "offered"),
    [
        (ChallengeMethod.EMAIL, ChallengeMethod.EMAIL),
        (ChallengeMethod.SMS, ChallengeMethod.SMS),
    ],
)
def test_code_already_sent_offers_that_method(
    sandbox: Sandbox,
    connection_options: ConnectionOptions,
    method: ChallengeMethod,
    offered: ChallengeMethod,
) -> None:
    """A login after the code went out meets the verify step of that method."""
    first = make_api(ERIN, connection_options)
    with pytest.raises(ChallengeRequired):
        first.login()
    first.challenge_send_code(method)
    with pytest.raises(ChallengeRequired) as err:
        make_api(ERIN, connection_options).login()
    assert err.value.methods == (offered,)


def test_refused_method_choice(
    sandbox: Sandbox, connection_options: ConnectionOptions
) -> None:
    api = make_api(ERIN, connection_options)
    with pytest.raises(ChallengeRequired):
        api.login()
    sandbox.world.faults.add(
        "challenge/*/*/",
        Fault.RAW,
        method="POST",
        status=200,
        body=json.dumps({"step_name": "select_verify_method", "status": "ok"}).encode(),
    )
    with pytest.raises(ChallengeRequired) as err:
        api.challenge_send_code(ChallengeMethod.EMAIL)
    assert err.value.methods == (ChallengeMethod.EMAIL, ChallengeMethod.SMS)
    assert sandbox.world.codes_sent == []


def test_tray_skips_reels_that_are_not_users(
    alice: InstagramClient, sandbox: Sandbox
) -> None:
    pk = pk_of(sandbox.world, PUBLIC)
    tray = {
        "tray": [
            {"id": "highlight:17900000000000000", "latest_reel_media": 1, "user": {}},
            {"id": int(pk), "latest_reel_media": 2, "user": {"pk": int(pk)}},
        ],
        "status": "ok",
    }
    sandbox.world.faults.add(
        "feed/reels_tray/", Fault.RAW, body=json.dumps(tray).encode()
    )
    assert [entry.user_pk for entry in alice.reels_tray()] == [pk]


@pytest.mark.parametrize("kind", ["story", "post"])
def test_unconfirmed_like_is_an_error(
    alice: InstagramClient, sandbox: Sandbox, kind: str
) -> None:
    """A 200 without `status: ok` is no like: nothing may be recorded as liked."""
    world = sandbox.world
    owner = pk_of(world, PUBLIC)
    pattern = "story_interactions/*" if kind == "story" else "media/*/like/"
    items = alice.user_stories(owner) if kind == "story" else alice.user_posts(owner)
    world.faults.add(
        pattern, Fault.RAW, body=json.dumps({"status": "pending"}).encode()
    )
    like = alice.like_story if kind == "story" else alice.like_post
    with pytest.raises(InstagramError):
        like(items[0])
    assert world.likes == []
