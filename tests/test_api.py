"""The instagrapi adapter against the local Instagram emulator (real instagrapi)."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from custom_components.ig_autoliker.engine.client import (
    ConnectionOptions,
    InstagramClient,
)
from custom_components.ig_autoliker.engine.exceptions import (
    AuthenticationFailed,
    CannotConnect,
    ChallengeRequired,
    FeedbackRequired,
    IgAutolikerError,
    InvalidCode,
    RateLimited,
    SessionExpired,
    TargetNotFound,
    TargetPrivate,
    TwoFactorRequired,
)
from custom_components.ig_autoliker.engine.models import (
    ChallengeMethod,
    MediaItem,
    MediaKind,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.sandbox import Fault, Sandbox, World
from tests.sandbox.testworld import (
    ALICE,
    BOB,
    CAROL,
    DAVE,
    ERIN,
    FRANK,
    MISSING,
    PRIVATE_FOLLOWED,
    PRIVATE_STRANGER,
    PUBLIC,
    QUIET,
    Credentials,
    pk_of,
)
from tests.sandbox.world import CAA_LOGIN_ENDPOINT

INSTAGRAM_HOSTS = {"i.instagram.com", "b.i.instagram.com"}


def make_api(
    creds: Credentials, options: ConnectionOptions, password: str | None = None
) -> InstagramClient:
    return InstagramClient(
        creds.username,
        password if password is not None else creds.password,
        options=options,
    )


def assert_private_api_only(world: World) -> None:
    """No public web GraphQL, no www host: only the private API hosts."""
    for record in world.requests():
        assert record.host in INSTAGRAM_HOSTS, record
        assert not record.endpoint.startswith(
            ("graphql/query", "api/graphql", "web/")
        ), record


# ----------------------------------------------------------------------- login
def test_fresh_login_caa_exports_session(
    sandbox: Sandbox, connection_options: ConnectionOptions
) -> None:
    world = sandbox.world
    api = make_api(ALICE, connection_options)
    before = api.user_pk

    account = api.login()

    alice = world.user(ALICE.username)
    assert alice is not None
    assert before is None
    assert (account.pk, account.username, account.full_name) == (
        str(alice.pk),
        "alice",
        "Alice Example",
    )
    assert api.user_pk == str(alice.pk)
    assert world.count(CAA_LOGIN_ENDPOINT) == 1
    assert world.count("accounts/login/") == 0
    assert world.count("graphql_www") == 1  # USDID registration on b.i.instagram.com
    assert [s.via for s in world.logins] == ["caa"]
    session = api.export_session()
    json.dumps(session)  # JSON-safe
    sessionid = world.logins[0].sessionid
    assert session["authorization_data"]["sessionid"] == sessionid
    assert session["authorization_data"]["ds_user_id"] == str(alice.pk)
    assert session["uuids"]["uuid"]
    assert_private_api_only(world)


def test_legacy_fallback_login(
    sandbox: Sandbox, connection_options: ConnectionOptions
) -> None:
    world = sandbox.world
    account = make_api(BOB, connection_options).login()

    assert account.username == BOB.username
    assert world.count(CAA_LOGIN_ENDPOINT) == 1  # answered with CAA_LOGIN_FALLBACK
    assert world.count("launcher/sync/") == 1
    assert world.count("qe/sync/", "GET") >= 1  # password key headers
    assert world.count("accounts/login/") == 1
    assert [s.via for s in world.logins] == ["legacy"]
    assert_private_api_only(world)


@pytest.mark.parametrize("creds", [ALICE, BOB], ids=["caa", "legacy"])
def test_wrong_password(
    sandbox: Sandbox, connection_options: ConnectionOptions, creds: Credentials
) -> None:
    api = make_api(creds, connection_options, password="wrong-password")
    with pytest.raises(AuthenticationFailed) as err:
        api.login()
    assert "wrong-password" not in str(err.value)
    assert sandbox.world.logins == []
    assert (
        sandbox.world.count("accounts/login/") == 1
    )  # the legacy answer carries bad_password
    assert api.user_pk is None


def test_unknown_username(
    sandbox: Sandbox, connection_options: ConnectionOptions
) -> None:
    with pytest.raises(AuthenticationFailed):
        make_api(Credentials(MISSING, "whatever"), connection_options).login()


def test_saved_session_validates_with_one_request(
    sandbox: Sandbox, connection_options: ConnectionOptions
) -> None:
    world = sandbox.world
    first = make_api(ALICE, connection_options)
    first.login()
    session = first.export_session()
    world.clear_log()

    again = InstagramClient(
        ALICE.username, ALICE.password, session=session, options=connection_options
    )
    account = again.login()

    assert account.username == ALICE.username
    assert world.count("accounts/login/") == 0
    assert world.count(CAA_LOGIN_ENDPOINT) == 0
    assert world.login_attempts() == 0
    assert [r.endpoint for r in world.requests()] == ["accounts/current_user/"]
    assert world.requests()[0].query == {"edit": "true"}
    assert len(world.logins) == 1


def test_revoked_session_relogs(
    sandbox: Sandbox, connection_options: ConnectionOptions
) -> None:
    world = sandbox.world
    first = make_api(ALICE, connection_options)
    first.login()
    session = first.export_session()
    assert world.revoke_sessions(ALICE.username) == 1

    with pytest.raises(SessionExpired):
        first.keep_alive()

    world.clear_log()
    again = InstagramClient(
        ALICE.username, ALICE.password, session=session, options=connection_options
    )
    again.login()

    assert world.count(CAA_LOGIN_ENDPOINT) == 1
    assert world.requests()[0].endpoint == "accounts/current_user/"
    assert world.requests()[0].status == 403
    assert len(world.logins) == 2
    new_session = again.export_session()
    assert new_session["authorization_data"]["sessionid"] == world.logins[1].sessionid
    again.keep_alive()


def test_relogin_is_not_capped(
    sandbox: Sandbox, connection_options: ConnectionOptions
) -> None:
    """instagrapi refuses a third relogin per client; the adapter resets the count."""
    world = sandbox.world
    api = make_api(ALICE, connection_options)
    api.login()
    for _ in range(3):
        world.revoke_sessions(ALICE.username)
        api.login()
    assert len(world.logins) == 4


def test_two_factor_caa(
    sandbox: Sandbox, connection_options: ConnectionOptions
) -> None:
    world = sandbox.world
    api = make_api(CAROL, connection_options)
    with pytest.raises(TwoFactorRequired):
        api.login()
    with pytest.raises(InvalidCode):
        api.login(verification_code="000000")
    assert world.logins == []

    account = api.login(verification_code=CAROL.code)

    assert account.username == CAROL.username
    assert [s.via for s in world.logins] == ["caa_two_factor"]
    assert (
        world.count(
            "bloks/async_action/com.bloks.www.two_step_verification.verify_code.async/"
        )
        == 2
    )
    assert world.count("accounts/two_factor_login/") == 0
    assert_private_api_only(world)


def test_two_factor_legacy(
    sandbox: Sandbox, connection_options: ConnectionOptions
) -> None:
    world = sandbox.world
    api = make_api(DAVE, connection_options)
    with pytest.raises(TwoFactorRequired):
        api.login()
    with pytest.raises(InvalidCode):
        api.login(verification_code="000000")

    account = api.login(verification_code=DAVE.code)

    assert account.username == DAVE.username
    assert [s.via for s in world.logins] == ["legacy_two_factor"]
    assert world.count("accounts/two_factor_login/") == 2


@pytest.mark.parametrize("method", [ChallengeMethod.EMAIL, ChallengeMethod.SMS])
def test_challenge_flow(
    sandbox: Sandbox, connection_options: ConnectionOptions, method: ChallengeMethod
) -> None:
    world = sandbox.world
    api = make_api(ERIN, connection_options)
    with pytest.raises(ChallengeRequired) as err:
        api.login()
    assert err.value.methods == (ChallengeMethod.EMAIL, ChallengeMethod.SMS)

    api.challenge_send_code(method)
    assert [(c.username, c.method) for c in world.codes_sent] == [
        (ERIN.username, method.value)
    ]
    with pytest.raises(InvalidCode):
        api.challenge_submit_code("000000")

    account = api.challenge_submit_code(ERIN.code or "")

    assert account.username == ERIN.username
    assert [s.via for s in world.logins] == ["challenge"]
    assert world.challenge_for(int(account.pk)) is None
    assert api.user_pk == account.pk
    assert api.export_session()["cookies"]["sessionid"] == world.logins[0].sessionid
    assert api.user_stories(pk_of(world, PUBLIC))  # the session works
    # The next login reuses the session: no checkpoint, no credentials.
    world.clear_log()
    again = InstagramClient(
        ERIN.username,
        ERIN.password,
        session=api.export_session(),
        options=connection_options,
    )
    again.login()
    assert world.login_attempts() == 0


def test_challenge_legacy_email_only(
    sandbox: Sandbox, connection_options: ConnectionOptions
) -> None:
    world = sandbox.world
    api = make_api(FRANK, connection_options)
    with pytest.raises(ChallengeRequired) as err:
        api.login()
    assert err.value.methods == (ChallengeMethod.EMAIL,)
    assert world.count("accounts/login/") == 1
    with pytest.raises(ChallengeRequired):
        api.challenge_send_code(ChallengeMethod.SMS)
    api.challenge_send_code(ChallengeMethod.EMAIL)
    assert api.challenge_submit_code(FRANK.code or "").username == FRANK.username


def test_challenge_calls_need_a_pending_challenge(
    sandbox: Sandbox, connection_options: ConnectionOptions
) -> None:
    api = make_api(ALICE, connection_options)
    with pytest.raises(ChallengeRequired):
        api.challenge_send_code(ChallengeMethod.EMAIL)
    with pytest.raises(ChallengeRequired):
        api.challenge_submit_code("123456")
    assert sandbox.world.requests() == []


def test_challenge_on_saved_session(alice: InstagramClient, sandbox: Sandbox) -> None:
    """A code checkpoint met validating a saved session is offered like at login."""
    sandbox.world.faults.add("accounts/current_user/", Fault.CHALLENGE_CODES)
    with pytest.raises(ChallengeRequired) as err:
        alice.login()
    assert err.value.methods == (ChallengeMethod.EMAIL, ChallengeMethod.SMS)
    alice.challenge_send_code(ChallengeMethod.EMAIL)
    challenge = sandbox.world.challenge_for(int(alice.user_pk or 0))
    assert challenge is not None
    assert alice.challenge_submit_code(challenge.code).username == ALICE.username


# ---------------------------------------------------------------------- lookups
def test_resolve_username_found(alice: InstagramClient, sandbox: Sandbox) -> None:
    target = alice.resolve_username(f"@{PUBLIC.upper()}")
    assert (target.pk, target.username, target.is_private) == (
        pk_of(sandbox.world, PUBLIC),
        PUBLIC,
        False,
    )
    assert target.full_name == "Public Star"
    assert [r.endpoint for r in sandbox.world.requests()] == [
        f"users/{PUBLIC}/usernameinfo/"
    ]


def test_resolve_username_not_found(alice: InstagramClient, sandbox: Sandbox) -> None:
    with pytest.raises(TargetNotFound):
        alice.resolve_username(MISSING)
    assert sandbox.world.count("*") == 1
    with pytest.raises(TargetNotFound):
        alice.resolve_username("not/a/username")
    assert sandbox.world.count("*") == 1  # refused without a request


def test_resolve_username_private_not_followed(
    alice: InstagramClient, sandbox: Sandbox
) -> None:
    with pytest.raises(TargetPrivate):
        alice.resolve_username(PRIVATE_STRANGER)
    pk = pk_of(sandbox.world, PRIVATE_STRANGER)
    assert [r.endpoint for r in sandbox.world.requests()] == [
        f"users/{PRIVATE_STRANGER}/usernameinfo/",
        f"friendships/show/{pk}/",
    ]


def test_resolve_username_private_followed(
    alice: InstagramClient, sandbox: Sandbox
) -> None:
    target = alice.resolve_username(PRIVATE_FOLLOWED)
    assert target.is_private
    assert sandbox.world.count("friendships/show/*/") == 1


def test_user_stories(alice: InstagramClient, sandbox: Sandbox) -> None:
    world = sandbox.world
    owner = pk_of(world, PUBLIC)
    expected = world.stories_of(int(owner))
    world.record_like(
        int(alice.user_pk or 0), expected[1], "test"
    )  # liked before on Instagram

    stories = alice.user_stories(owner)

    assert [s.pk for s in stories] == [str(m.pk) for m in expected]  # oldest first
    assert [s.media_id for s in stories] == [f"{m.pk}_{owner}" for m in expected]
    assert {s.kind for s in stories} == {MediaKind.STORY}
    assert [s.has_liked for s in stories] == [False, True]
    assert [s.taken_at for s in stories] == [
        datetime.fromtimestamp(m.taken_at, UTC) for m in expected
    ]
    assert all(s.owner_pk == owner and s.code is None for s in stories)
    assert [r.endpoint for r in world.requests()] == [f"feed/user/{owner}/story/"]


def test_user_stories_none_and_expired(
    alice: InstagramClient, sandbox: Sandbox
) -> None:
    world = sandbox.world
    assert alice.user_stories(pk_of(world, QUIET)) == []  # reel: null
    world.clock.advance(22 * 3600)  # the 3 h old story expires, the 1 h old one stays
    assert len(alice.user_stories(pk_of(world, PUBLIC))) == 1


def test_user_posts(alice: InstagramClient, sandbox: Sandbox) -> None:
    world = sandbox.world
    owner = pk_of(world, PUBLIC)
    expected = world.posts_of(int(owner))
    world.record_like(int(alice.user_pk or 0), expected[1], "test")

    posts = alice.user_posts(owner)

    assert [p.pk for p in posts] == [str(m.pk) for m in expected]  # newest first
    assert [p.kind for p in posts] == [
        MediaKind.PHOTO,
        MediaKind.ALBUM,
        MediaKind.REEL,
        MediaKind.PHOTO,
        MediaKind.PHOTO,
    ]
    assert [p.has_liked for p in posts] == [False, True, False, False, False]
    assert [p.taken_at for p in posts] == [
        datetime.fromtimestamp(m.taken_at, UTC) for m in expected
    ]
    assert all(p.code and p.media_id == f"{p.pk}_{owner}" for p in posts)
    assert world.count("feed/user/*/") == 1


def test_user_posts_first_page_only(alice: InstagramClient, sandbox: Sandbox) -> None:
    world = sandbox.world
    owner = pk_of(world, PUBLIC)
    posts = alice.user_posts(owner, amount=2)
    assert [p.kind for p in posts] == [MediaKind.PHOTO, MediaKind.ALBUM]
    (record,) = world.requests()
    assert record.query["count"] == "2"
    assert record.query["rank_token"] == "***"  # device ids never reach the log


@pytest.mark.parametrize("method", ["user_stories", "user_posts"])
def test_private_not_followed_feed(
    alice: InstagramClient, sandbox: Sandbox, method: str
) -> None:
    with pytest.raises(TargetPrivate):
        getattr(alice, method)(pk_of(sandbox.world, PRIVATE_STRANGER))
    assert getattr(alice, method)(pk_of(sandbox.world, PRIVATE_FOLLOWED))


@pytest.mark.parametrize("method", ["user_stories", "user_posts"])
def test_unknown_pk(alice: InstagramClient, method: str) -> None:
    with pytest.raises(TargetNotFound):
        getattr(alice, method)("123")
    with pytest.raises(TargetNotFound):
        getattr(alice, method)("12; DROP")


def test_reels_tray(alice: InstagramClient, sandbox: Sandbox) -> None:
    world = sandbox.world
    tray = alice.reels_tray()
    assert {entry.user_pk for entry in tray} == {
        pk_of(world, PUBLIC),
        pk_of(world, PRIVATE_FOLLOWED),
    }
    latest = max(m.taken_at for m in world.stories_of(int(pk_of(world, PUBLIC))))
    assert next(
        e for e in tray if e.user_pk == pk_of(world, PUBLIC)
    ).latest_reel_media == int(latest)
    assert world.count("feed/reels_tray/", "POST") == 1


def test_keep_alive_is_one_request(alice: InstagramClient, sandbox: Sandbox) -> None:
    alice.keep_alive()
    assert [r.endpoint for r in sandbox.world.requests()] == ["accounts/current_user/"]


def test_calls_before_login(
    sandbox: Sandbox, connection_options: ConnectionOptions
) -> None:
    api = make_api(ALICE, connection_options)
    with pytest.raises(SessionExpired):
        api.user_stories("1")
    with pytest.raises(SessionExpired):
        api.keep_alive()
    assert sandbox.world.requests() == []


# ------------------------------------------------------------------------ likes
def test_like_story(alice: InstagramClient, sandbox: Sandbox) -> None:
    world = sandbox.world
    owner = pk_of(world, PUBLIC)
    story = alice.user_stories(owner)[0]
    world.clear_log()

    alice.like_story(story)

    seen, like = world.requests()
    assert (seen.method, seen.path, seen.query) == (
        "POST",
        "/api/v2/media/seen/",
        {"reel": "1", "live_vod": "0"},
    )
    assert (like.method, like.endpoint) == (
        "POST",
        "story_interactions/send_story_like",
    )
    assert [(s.media_pk, s.viewer_pk) for s in world.seen] == [
        (int(story.pk), int(alice.user_pk or 0))
    ]
    (recorded,) = world.likes
    assert (recorded.media_pk, recorded.owner_pk, recorded.kind) == (
        int(story.pk),
        int(owner),
        "story",
    )
    assert alice.user_stories(owner)[0].has_liked


@pytest.mark.parametrize("kind", [MediaKind.PHOTO, MediaKind.ALBUM, MediaKind.REEL])
def test_like_post(alice: InstagramClient, sandbox: Sandbox, kind: MediaKind) -> None:
    world = sandbox.world
    owner = pk_of(world, PUBLIC)
    post = next(p for p in alice.user_posts(owner) if p.kind is kind)
    world.clear_log()

    alice.like_post(post)

    assert [(r.method, r.endpoint) for r in world.requests()] == [
        ("POST", f"media/{post.pk}/like/")
    ]
    (recorded,) = world.likes
    assert (str(recorded.media_pk), recorded.kind) == (post.pk, kind.value)
    media = world.media(int(post.pk))
    assert media is not None
    assert media.like_count == 1
    assert next(p for p in alice.user_posts(owner) if p.pk == post.pk).has_liked


def test_like_gone_media(alice: InstagramClient, sandbox: Sandbox) -> None:
    world = sandbox.world
    owner = pk_of(world, PUBLIC)
    post = alice.user_posts(owner)[0]
    story = alice.user_stories(owner)[0]
    world.delete_media(int(post.pk))
    with pytest.raises(TargetNotFound):
        alice.like_post(post)
    world.clock.advance(86400)
    with pytest.raises(TargetNotFound):
        alice.like_story(story)
    with pytest.raises(TargetNotFound):
        alice.like_story(
            MediaItem(
                story.pk,
                f"{story.pk}_999",
                "999",
                MediaKind.STORY,
                story.taken_at,
                has_liked=False,
            )
        )
    assert world.likes == []


# ----------------------------------------------------------------------- faults
STATUS_FAULTS = [
    (Fault.HTTP_429, RateLimited),
    (Fault.HTTP_500, CannotConnect),
    (Fault.HTTP_502, CannotConnect),
    (Fault.HTTP_503, CannotConnect),
    (Fault.MALFORMED_JSON, CannotConnect),
    (Fault.LOGIN_REQUIRED, SessionExpired),
    (Fault.CHALLENGE_REQUIRED, ChallengeRequired),
    (Fault.FEEDBACK_REQUIRED, FeedbackRequired),
    (Fault.PLEASE_WAIT, RateLimited),
]


@pytest.mark.parametrize(
    ("fault", "error"), STATUS_FAULTS, ids=[f.value for f, _ in STATUS_FAULTS]
)
def test_fault_on_like(
    alice: InstagramClient, sandbox: Sandbox, fault: Fault, error: type[Exception]
) -> None:
    world = sandbox.world
    post = alice.user_posts(pk_of(world, PUBLIC))[0]
    world.faults.add("media/*/like/", fault)
    with pytest.raises(error):
        alice.like_post(post)
    assert world.likes == []
    assert world.requests("media/*/like/")[0].fault == fault.value


@pytest.mark.parametrize(
    ("fault", "error"), STATUS_FAULTS, ids=[f.value for f, _ in STATUS_FAULTS]
)
def test_fault_on_stories_nth_call(
    alice: InstagramClient, sandbox: Sandbox, fault: Fault, error: type[Exception]
) -> None:
    world = sandbox.world
    owner = pk_of(world, PUBLIC)
    world.faults.add("feed/user/*/story/", fault, on_call=2)
    assert alice.user_stories(owner)
    with pytest.raises(error):
        alice.user_stories(owner)
    if fault != Fault.CHALLENGE_REQUIRED:
        assert alice.user_stories(owner)  # one-off


def test_rate_limit_retry_after(alice: InstagramClient, sandbox: Sandbox) -> None:
    world = sandbox.world
    world.faults.add("feed/reels_tray/", Fault.HTTP_429, retry_after=120)
    with pytest.raises(RateLimited) as err:
        alice.reels_tray()
    assert err.value.retry_after == 120
    world.faults.add("feed/reels_tray/", Fault.PLEASE_WAIT)
    with pytest.raises(RateLimited) as err:
        alice.reels_tray()
    assert err.value.retry_after is None


def test_connection_reset(alice: InstagramClient, sandbox: Sandbox) -> None:
    world = sandbox.world
    owner = pk_of(world, PUBLIC)
    # libcurl resends once on a reused connection that died, so reset twice.
    world.faults.add("feed/user/*/story/", Fault.CONNECTION_RESET, times=2)
    with pytest.raises(CannotConnect):
        alice.user_stories(owner)
    assert [r.status for r in world.requests()] == [0, 0]
    assert alice.user_stories(owner)


def test_story_like_error_names_the_request_that_failed(
    alice: InstagramClient, sandbox: Sandbox
) -> None:
    world = sandbox.world
    story = alice.user_stories(pk_of(world, PUBLIC))[0]
    world.clear_log()
    # libcurl resends once on a reused connection that died, so reset twice.
    world.faults.add("v2/media/seen/", Fault.CONNECTION_RESET, times=2)
    with pytest.raises(CannotConnect) as err:
        alice.like_story(story)
    assert str(err.value).startswith(f"v2/media/seen/ {story.pk}: network error")
    assert world.count("story_interactions/send_story_like") == 0

    world.faults.add("story_interactions/send_story_like", Fault.HTTP_503)
    with pytest.raises(CannotConnect) as err:
        alice.like_story(story)
    assert str(err.value) == f"send_story_like {story.pk}: HTTP 503"
    assert world.likes == []


def test_slow_response_times_out(sandbox: Sandbox) -> None:
    options = ConnectionOptions(
        proxy=sandbox.proxy_url, verify=str(sandbox.ca_path), timeout=0.5
    )
    api = make_api(ALICE, options)
    api.login()
    sandbox.world.faults.add("accounts/current_user/", Fault.TIMEOUT, delay=3)
    started = time.monotonic()
    with pytest.raises(CannotConnect):
        api.keep_alive()
    assert time.monotonic() - started < 2.5
    api.keep_alive()


def test_login_faults(sandbox: Sandbox, connection_options: ConnectionOptions) -> None:
    world = sandbox.world
    world.faults.add("bloks/*send_login_request/", Fault.HTTP_503)
    with pytest.raises(CannotConnect):
        make_api(ALICE, connection_options).login()
    world.faults.add("bloks/*send_login_request/", Fault.HTTP_429)
    with pytest.raises(RateLimited):
        make_api(ALICE, connection_options).login()
    assert make_api(ALICE, connection_options).login().username == ALICE.username


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
FIELDS = st.sampled_from(
    [
        "items",
        "reel",
        "user",
        "status",
        "message",
        "tray",
        "media_type",
        "pk",
        "has_liked",
    ]
)
BODIES = st.one_of(
    st.binary(max_size=40),
    st.dictionaries(FIELDS, JSONISH, max_size=4).map(lambda d: json.dumps(d).encode()),
    st.builds(
        lambda items: json.dumps(
            {"status": "ok", "items": items, "reel": {"items": items}}
        ).encode(),
        st.lists(st.dictionaries(FIELDS, JSONISH, max_size=5), max_size=2),
    ),
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    status=st.sampled_from([200, 200, 400, 403, 404, 429, 500]),
    body=BODIES,
    call=st.sampled_from(
        [
            "user_stories",
            "user_posts",
            "resolve_username",
            "like_post",
            "reels_tray",
            "keep_alive",
        ]
    ),
)
def test_malformed_answers_raise_only_our_errors(
    alice: InstagramClient, sandbox: Sandbox, status: int, body: bytes, call: str
) -> None:
    world = sandbox.world
    owner = pk_of(world, PUBLIC)
    world.faults.clear()
    world.faults.add("*", Fault.RAW, status=status, body=body)
    post = MediaItem(
        "3400000000000000001",
        f"3400000000000000001_{owner}",
        owner,
        MediaKind.PHOTO,
        datetime.now(UTC),
        has_liked=False,
    )
    calls = {
        "user_stories": lambda: alice.user_stories(owner),
        "user_posts": lambda: alice.user_posts(owner),
        "resolve_username": lambda: alice.resolve_username(PUBLIC),
        "like_post": lambda: alice.like_post(post),
        "reels_tray": alice.reels_tray,
        "keep_alive": alice.keep_alive,
    }
    try:
        calls[call]()
    except IgAutolikerError:
        pass
    finally:
        world.faults.clear()


# ------------------------------------------------------------------ env routing
def test_env_route(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    """HTTPS_PROXY + REQUESTS_CA_BUNDLE alone route instagrapi (requests' trust_env)."""
    for name in (
        "http_proxy",
        "https_proxy",
        "HTTP_PROXY",
        "ALL_PROXY",
        "all_proxy",
        "NO_PROXY",
        "no_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    monkeypatch.setenv("HTTPS_PROXY", sandbox.proxy_url)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(sandbox.ca_path))

    api = make_api(ALICE, ConnectionOptions())
    assert api.login().username == ALICE.username
    assert api.user_stories(pk_of(sandbox.world, PUBLIC))
    assert sandbox.proxy is not None
    assert set(sandbox.proxy.stats.tunnels) == INSTAGRAM_HOSTS


def test_env_route_keeps_verification_on(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without our CA in the bundle the TLS handshake fails: verification stays on."""
    for name in ("NO_PROXY", "no_proxy", "CURL_CA_BUNDLE", "REQUESTS_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", sandbox.proxy_url)
    with pytest.raises(CannotConnect):
        make_api(ALICE, ConnectionOptions(verify=True, timeout=3)).login()
    assert sandbox.world.logins == []


def test_explicit_verify_beats_environment(
    sandbox: Sandbox,
    connection_options: ConnectionOptions,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """requests lets REQUESTS_CA_BUNDLE override Session.verify; the adapter pins it."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/nonexistent/ca.pem")
    monkeypatch.setenv("CURL_CA_BUNDLE", "/nonexistent/ca.pem")
    assert make_api(ALICE, connection_options).login().username == ALICE.username


# ---------------------------------------------------------------------- secrets
def test_no_secrets_in_logs_or_errors(
    sandbox: Sandbox,
    connection_options: ConnectionOptions,
    caplog: pytest.LogCaptureFixture,
) -> None:
    world = sandbox.world
    caplog.set_level(logging.DEBUG)
    errors: list[str] = []
    api = make_api(ALICE, connection_options)
    api.login()
    session = api.export_session()
    world.faults.add("feed/user/*/", Fault.MALFORMED_JSON)
    world.faults.add("feed/user/*/story/", Fault.HTTP_429)
    calls: list[Callable[[], object]] = [
        lambda: api.user_posts(pk_of(world, PUBLIC)),
        lambda: api.user_stories(pk_of(world, PUBLIC)),
    ]
    for call in calls:
        with pytest.raises(IgAutolikerError) as err:
            call()
        errors.append(str(err.value))
    with pytest.raises(IgAutolikerError) as err:
        make_api(ALICE, connection_options, password="Hunter2-secret").login()
    errors.append(str(err.value))

    secrets = [
        ALICE.password,
        "Hunter2-secret",
        world.logins[0].sessionid,
        session["uuids"]["uuid"],
        session["uuids"]["android_device_id"],
        session["uuids"]["phone_id"],
        "Bearer IGT",
    ]
    # The emulator's own server stack (hypercorn, h2, hpack) is not the adapter's log.
    server_side = ("hpack", "h2", "hypercorn", "tests.sandbox")
    client_logs = [
        r.getMessage() for r in caplog.records if not r.name.startswith(server_side)
    ]
    assert any(
        r.name.startswith("custom_components.ig_autoliker") for r in caplog.records
    )
    text = "\n".join(errors + client_logs)
    for secret in secrets:
        assert secret not in text
    for record in world.requests():
        assert all(secret not in json.dumps(record.as_dict()) for secret in secrets)


def test_garbage_session_is_session_expired(
    sandbox: Sandbox, connection_options: ConnectionOptions
) -> None:
    with pytest.raises(SessionExpired):
        InstagramClient(
            ALICE.username,
            ALICE.password,
            session={"cookies": 42},
            options=connection_options,
        )


def test_full_session_uses_private_api_only(
    sandbox: Sandbox, connection_options: ConnectionOptions
) -> None:
    """Everything the integration does, then: no public web GraphQL, no www host."""
    world = sandbox.world
    api = make_api(ALICE, connection_options)
    api.login()
    for name in (PUBLIC, PRIVATE_FOLLOWED):
        target = api.resolve_username(name)
        stories = api.user_stories(target.pk)
        posts = api.user_posts(target.pk)
        api.like_story(stories[0])
        api.like_post(posts[0])
    api.reels_tray()
    api.keep_alive()
    world.revoke_sessions(ALICE.username)
    api.login()

    assert len(world.likes) == 4
    assert_private_api_only(world)
    assert sandbox.proxy is not None
    assert set(sandbox.proxy.stats.tunnels) <= INSTAGRAM_HOSTS
    assert sandbox.proxy.stats.refused == []


def test_story_like_needs_full_media_id(
    alice: InstagramClient, sandbox: Sandbox
) -> None:
    """The emulator, like Instagram, refuses a bare pk on send_story_like."""
    from instagrapi.exceptions import InvalidMediaId  # noqa: PLC0415

    story = alice.user_stories(pk_of(sandbox.world, PUBLIC))[0]
    with pytest.raises(InvalidMediaId):
        alice._client.private_request(
            "story_interactions/send_story_like", {"media_id": story.pk}
        )
    with pytest.raises(TargetNotFound):  # the adapter checks before sending
        alice.like_story(
            MediaItem(
                story.pk,
                story.pk,
                story.owner_pk,
                MediaKind.STORY,
                story.taken_at,
                False,
            )
        )
    assert sandbox.world.likes == []
