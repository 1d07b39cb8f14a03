"""The emulator itself: TLS/HTTP2, the CONNECT proxy, the admin API, faults, the CLI."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.sandbox import Fault, Faults, Sandbox, World
from tests.sandbox.crypto import decrypt_password
from tests.sandbox.demo import DEMO_CODE, DEMO_PASSWORD, DEMO_USERNAME
from tests.sandbox.testworld import PUBLIC, build_test_world
from tests.timebase import default_test_start

REPO = Path(__file__).resolve().parent.parent
CURL = shutil.which("curl")
LINE = re.compile(
    r"^sandbox: url=(https://127\.0\.0\.1:\d+) proxy=(http://127\.0\.0\.1:\d+) "
    r"ca=(/\S+) "
    r"username=(\S+) password=(\S+) code=(\S+)$"
)


def admin(
    sandbox: Sandbox,
    path: str,
    body: dict[str, Any] | None = None,
    method: str | None = None,
) -> Any:
    """Call the admin API over HTTPS (HTTP/1.1, certificate verified)."""
    context = ssl.create_default_context(cafile=str(sandbox.ca_path))
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{sandbox.url}{path}", data=data, method=method)  # noqa: S310
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, context=context, timeout=5) as response:  # noqa: S310
        return json.loads(response.read())


def curl(*args: str) -> subprocess.CompletedProcess[str]:
    assert CURL is not None
    return subprocess.run(  # noqa: S603
        [CURL, "-sS", *args], capture_output=True, text=True, timeout=15, check=False
    )


# ------------------------------------------------------------------ transport
def test_curl_negotiates_http2_and_tls13(sandbox: Sandbox) -> None:
    result = curl(
        "-v", "--http2", "--tlsv1.3", "--cacert", str(sandbox.ca_path),
        "-w", "%{http_version}",
        f"{sandbox.url}/api/v1/qe/sync/",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith("2")  # HTTP/2
    assert "SSL connection using TLSv1.3" in result.stderr
    assert "ALPN: server accepted h2" in result.stderr
    assert "SSL certificate verify ok" in result.stderr
    assert json.loads(result.stdout[:-1])["status"] == "ok"


def test_curl_through_proxy_verifies_instagram_name(sandbox: Sandbox) -> None:
    result = curl(
        "-v", "--http2", "--tlsv1.3", "--proxy", sandbox.proxy_url,
        "--cacert", str(sandbox.ca_path),
        "-w", "%{http_version}", "https://i.instagram.com/api/v1/qe/sync/",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith("2")
    assert 'host "i.instagram.com" matched' in result.stderr
    assert sandbox.world.requests()[-1].host == "i.instagram.com"


def test_tls12_and_unknown_ca_are_refused(sandbox: Sandbox) -> None:
    too_old = curl(
        "--tls-max",
        "1.2",
        "--cacert",
        str(sandbox.ca_path),
        f"{sandbox.url}/api/v1/qe/sync/",
    )
    assert too_old.returncode != 0
    untrusted = curl(
        "--http2", f"{sandbox.url}/api/v1/qe/sync/"
    )  # system trust store only
    assert untrusted.returncode == 60  # peer certificate cannot be authenticated


def test_curl_cffi_http2_tls13(sandbox: Sandbox) -> None:
    """The library instagrapi's transport is built on, verification on."""
    from curl_cffi import CurlHttpVersion, CurlOpt, CurlSslVersion  # noqa: PLC0415
    from curl_cffi import requests as curl_requests  # noqa: PLC0415

    response = curl_requests.get(
        "https://i.instagram.com/api/v1/qe/sync/",
        proxies={"all": sandbox.proxy_url},
        verify=str(sandbox.ca_path),  # type: ignore[arg-type]  # curl takes a CA file
        http_version=CurlHttpVersion.V2_0,
        curl_options={CurlOpt.SSLVERSION: CurlSslVersion.TLSv1_3},
        timeout=5,
    )
    assert response.status_code == 200
    assert response.http_version == CurlHttpVersion.V2_0


def test_http11_also_served(sandbox: Sandbox) -> None:
    """instagrapi's public session (urllib3, HTTP/1.1) fetches the password key."""
    assert admin(sandbox, "/api/v1/qe/sync/")["status"] == "ok"


# ----------------------------------------------------------------------- proxy
def _proxy_exchange(sandbox: Sandbox, head: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", sandbox.proxy_port), timeout=5) as sock:
        sock.sendall(head)
        return sock.recv(1024)


@pytest.mark.parametrize(
    ("head", "status"),
    [
        (b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", b"403"),
        (b"CONNECT i.instagram.com:80 HTTP/1.1\r\n\r\n", b"403"),
        (b"CONNECT 127.0.0.1:443 HTTP/1.1\r\n\r\n", b"403"),
        (
            b"GET http://i.instagram.com/ HTTP/1.1\r\nHost: i.instagram.com\r\n\r\n",
            b"405",
        ),
        (
            (
                b"CONNECT i.instagram.com:443 HTTP/1.1\r\n"
                b"Proxy-Authorization: Basic c2VjcmV0\r\n\r\n"
            ),
            b"200",
        ),
    ],
)
def test_proxy_policy(sandbox: Sandbox, head: bytes, status: bytes) -> None:
    answer = _proxy_exchange(sandbox, head)
    assert answer.split(b" ", 2)[1] == status
    assert sandbox.proxy is not None
    assert "c2VjcmV0" not in repr(sandbox.proxy.stats)


def test_stop_joins_thread_and_frees_ports(socket_enabled: None) -> None:
    sandbox = Sandbox(World()).start()
    port, proxy_port = sandbox.port, sandbox.proxy_port
    assert any(t.name == "ig-sandbox" for t in threading.enumerate())
    sandbox.stop()
    sandbox.stop()  # idempotent
    assert not any(t.name == "ig-sandbox" for t in threading.enumerate())
    for number in (port, proxy_port):
        with (
            pytest.raises(ConnectionRefusedError),
            socket.create_connection(("127.0.0.1", number), timeout=1),
        ):
            pass
    assert not sandbox.ca_path.exists()  # its temporary state directory is gone


# ------------------------------------------------------------------ admin API
def test_admin_api(sandbox: Sandbox) -> None:
    world = sandbox.world
    state = admin(sandbox, "/__sandbox/state")
    assert isinstance(state, dict)
    assert state["likes"] == []
    assert state["login_count"] == 0

    story = admin(sandbox, "/__sandbox/stories", {"username": PUBLIC, "media_type": 2})
    post = admin(
        sandbox, "/__sandbox/posts", {"username": PUBLIC, "kind": "reel", "age": 60}
    )
    assert isinstance(story, dict)
    assert isinstance(post, dict)
    assert world.media(int(story["pk"])).kind == "story"  # type: ignore[union-attr]
    assert world.media(int(post["pk"])).kind == "reel"  # type: ignore[union-attr]

    before = world.clock.now()
    assert admin(sandbox, "/__sandbox/clock", {"advance": 90}) == {"now": before + 90}

    rule = admin(
        sandbox,
        "/__sandbox/faults",
        {"endpoint": "qe/sync/", "fault": "http_503", "times": 1},
    )
    assert isinstance(rule, dict)
    assert rule["fault"] == "http_503"
    with pytest.raises(urllib.error.HTTPError) as err:
        admin(sandbox, "/api/v1/qe/sync/")
    assert err.value.code == 503
    admin(sandbox, "/__sandbox/faults", {"endpoint": "qe/sync/", "fault": "http_500"})
    admin(sandbox, "/__sandbox/faults", method="DELETE")
    assert admin(sandbox, "/api/v1/qe/sync/")["status"] == "ok"

    state = admin(sandbox, "/__sandbox/state")
    assert isinstance(state, dict)
    assert state["request_counts"] == {"qe/sync/": 2}
    log = admin(sandbox, "/__sandbox/requests?endpoint=qe/*")
    assert isinstance(log, list)
    assert [entry["status"] for entry in log] == [503, 200]

    with pytest.raises(urllib.error.HTTPError) as err:
        admin(sandbox, "/__sandbox/posts", {"kind": "photo"})  # no username
    assert err.value.code == 400


def test_admin_api_not_reachable_as_instagram(sandbox: Sandbox) -> None:
    result = curl(
        "--proxy", sandbox.proxy_url, "--cacert", str(sandbox.ca_path),
        "-w", " %{http_code}",
        "https://i.instagram.com/__sandbox/state",
    )  # fmt: skip
    assert result.stdout.endswith(" 404")


# ---------------------------------------------------------------- world/faults
def test_fault_rule_counts_per_call() -> None:
    faults = Faults()
    rule = faults.add(
        "media/*/like/", Fault.HTTP_429, on_call=3, times=2, method="POST"
    )
    fired = [faults.check("POST", f"media/{n}/like/") for n in range(6)]
    assert [r is not None for r in fired] == [False, False, True, True, False, False]
    assert faults.check("GET", "media/1/like/") is None
    assert faults.check("POST", "media/1/unlike/") is None
    assert (rule.calls, rule.fired) == (6, 2)
    forever = faults.add("feed/*", Fault.TIMEOUT, times=None)
    assert all(faults.check("GET", "feed/user/1/") is forever for _ in range(3))
    faults.clear()
    assert faults.check("GET", "feed/user/1/") is None
    with pytest.raises(ValueError, match="1-based"):
        faults.add("x", Fault.RAW, on_call=0)


def test_world_clock_and_story_expiry() -> None:
    world = build_test_world(default_test_start())
    owner = world.user(PUBLIC)
    assert owner is not None
    assert len(world.stories_of(owner.pk)) == 2
    world.clock.advance(21 * 3600)  # the 3 h old story is 24 h old now
    assert len(world.stories_of(owner.pk)) == 1
    story = world.add_story(PUBLIC)
    assert story.expiring_at == story.taken_at + 86400
    world.clock.advance(86400)
    assert world.stories_of(owner.pk) == []
    assert len(world.posts_of(owner.pk)) == 5
    with pytest.raises(ValueError, match="forward"):
        world.clock.advance(-1)


def test_password_decryption_rejects_garbage() -> None:
    assert decrypt_password("#PWD_INSTAGRAM:0:1700000000:plain-text") == "plain-text"
    for value in (
        "",
        "plain",
        "#PWD_INSTAGRAM:4:1700000000:",
        "#PWD_INSTAGRAM:4:1:AAAA",
        "#PWD_INSTAGRAM:4:1:!!",
    ):
        assert decrypt_password(value) is None


def test_request_log_holds_no_secrets(sandbox: Sandbox) -> None:
    from custom_components.ig_autoliker.engine.client import (  # noqa: PLC0415
        ConnectionOptions,
        InstagramClient,
    )

    options = ConnectionOptions(
        proxy=sandbox.proxy_url, verify=str(sandbox.ca_path), timeout=3
    )
    api = InstagramClient("alice", "alice-pass-1", options=options)
    api.login()
    session = api.export_session()
    dumped = json.dumps([r.as_dict() for r in sandbox.world.requests()])
    for secret in (
        "alice-pass-1",
        sandbox.world.logins[0].sessionid,
        session["uuids"]["uuid"],
        "Bearer",
    ):
        assert secret not in dumped
    assert all(
        r.viewer_pk in {None, sandbox.world.logins[0].pk}
        for r in sandbox.world.requests()
    )


# ------------------------------------------------------------------------- CLI
def test_scripts_sandbox_prints_line_and_stops(
    tmp_path: Path, socket_enabled: None
) -> None:
    state_dir = tmp_path / "state"
    process = subprocess.Popen(  # noqa: S603
        [
            str(REPO / "scripts" / "sandbox"),
            "--world",
            "demo",
            "--state-dir",
            str(state_dir),
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        stdout = process.stdout
        assert stdout is not None
        line_holder: list[str] = []
        reader = threading.Thread(target=lambda: line_holder.append(stdout.readline()))
        reader.start()
        reader.join(20)
        assert line_holder, "no line printed"
        match = LINE.match(line_holder[0].rstrip("\n"))
        assert match, line_holder[0]
        url, proxy, ca, username, password, code = match.groups()
        assert (username, password, code) == (DEMO_USERNAME, DEMO_PASSWORD, DEMO_CODE)
        assert Path(ca) == state_dir.resolve() / "ca.pem"
        assert Path(ca).is_file()
        context = ssl.create_default_context(cafile=ca)
        with urllib.request.urlopen(  # noqa: S310
            f"{url}/__sandbox/state", context=context, timeout=5
        ) as response:
            state = json.loads(response.read())
        assert {u["username"] for u in state["users"]} >= {
            DEMO_USERNAME,
            "nat_geo_demo",
            "chef_demo",
            "travel_demo",
        }
        if CURL is not None:
            tunneled = curl(
                "--proxy",
                proxy,
                "--cacert",
                ca,
                "https://i.instagram.com/api/v1/qe/sync/",
            )
            assert json.loads(tunneled.stdout)["status"] == "ok"
        process.send_signal(signal.SIGTERM)
        assert process.wait(15) == 0
        assert stdout.read() == ""  # exactly one line
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(5)
        if process.stdout is not None:
            process.stdout.close()
        if process.stderr is not None:
            process.stderr.close()


def test_scripts_sandbox_runs_setup_first(tmp_path: Path) -> None:
    """scripts/sandbox runs scripts/setup first, as every script; a failure stops it."""
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    shutil.copy2(REPO / "scripts" / "sandbox", scripts / "sandbox")
    setup = scripts / "setup"
    setup.write_text("#!/usr/bin/env bash\ntouch setup-ran\nexit 3\n")
    setup.chmod(0o755)
    result = subprocess.run(  # noqa: S603
        [str(scripts / "sandbox")],
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
        env=dict(os.environ),
    )
    assert result.returncode == 3
    assert (tmp_path / "setup-ran").is_file()


def test_reset_without_proxy_breaks_the_stream(sandbox: Sandbox) -> None:
    sandbox.world.faults.add("qe/sync/", Fault.CONNECTION_RESET)
    result = curl(
        "--http2", "--cacert", str(sandbox.ca_path), f"{sandbox.url}/api/v1/qe/sync/"
    )
    assert result.returncode != 0
    assert sandbox.world.requests()[0].status == 0


def test_stop_does_not_wait_for_slow_answers(socket_enabled: None) -> None:
    from custom_components.ig_autoliker.engine.client import (  # noqa: PLC0415
        ConnectionOptions,
        InstagramClient,
    )
    from custom_components.ig_autoliker.engine.exceptions import CannotConnect  # noqa: PLC0415

    sandbox = Sandbox(build_test_world(default_test_start())).start()
    options = ConnectionOptions(sandbox.proxy_url, str(sandbox.ca_path), timeout=30)
    api = InstagramClient("alice", "alice-pass-1", options=options)
    api.login()
    rule = sandbox.world.faults.add("accounts/current_user/", Fault.TIMEOUT, delay=60)
    outcome: list[BaseException | None] = []

    def keep_alive() -> None:
        try:
            api.keep_alive()
            outcome.append(None)
        except CannotConnect as exc:
            outcome.append(exc)

    worker = threading.Thread(target=keep_alive)
    worker.start()
    try:
        deadline = time.monotonic() + 5
        while not rule.fired:  # the slow answer is being prepared
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        started = time.monotonic()
        sandbox.stop()
        worker.join(10)
    assert time.monotonic() - started < 5
    assert isinstance(outcome[0], CannotConnect)


def test_a_slow_server_acts_within_its_world_time_not_a_quarter_hour_later(
    socket_enabled: None,
) -> None:
    """A like answered too late lands `act_within` world seconds after it arrived.

    A simulation moves the world clock far ahead while the client waits out its
    read timeout; the slow server must act by its world deadline, before a feed
    read of the next simulated quarter hour, not when its real delay has passed.
    """
    from custom_components.ig_autoliker.engine.client import (  # noqa: PLC0415
        ConnectionOptions,
        InstagramClient,
    )
    from custom_components.ig_autoliker.engine.exceptions import CannotConnect  # noqa: PLC0415

    sandbox = Sandbox(build_test_world(default_test_start())).start()
    try:
        options = ConnectionOptions(sandbox.proxy_url, str(sandbox.ca_path), timeout=1)
        api = InstagramClient("alice", "alice-pass-1", options=options)
        api.login()
        owner = sandbox.world.user(PUBLIC)
        assert owner is not None
        post = api.user_posts(str(owner.pk))[0]
        sandbox.world.faults.add(
            "media/*/like/", Fault.TIMEOUT, delay=60, act_late=True, act_within=30
        )
        sent = sandbox.world.clock.now()
        with pytest.raises(CannotConnect):
            api.like_post(post)
        alice = sandbox.world.user("alice")
        assert alice is not None
        assert not sandbox.world.has_liked(alice.pk, int(post.pk))  # not yet acted
        sandbox.world.clock.advance(15 * 60)  # the next cycle's feed read

        assert sandbox.world.has_liked(alice.pk, int(post.pk))
        # Instagram's like is stamped when the slow server acted, not at the jump.
        landed = [
            like.at for like in sandbox.world.likes if like.media_pk == int(post.pk)
        ]
        assert landed == [sent + 30]
    finally:
        sandbox.stop()


def test_instagrapi_v1_helpers_against_the_emulator(sandbox: Sandbox) -> None:
    """instagrapi's own *_v1 parsers accept the emulator's answers (incl. paging)."""
    from custom_components.ig_autoliker.engine.client import (  # noqa: PLC0415
        ConnectionOptions,
        InstagramClient,
    )

    world = sandbox.world
    world.add_target("prolific")
    created = [world.add_post("prolific", "photo", age=60 * n) for n in range(30)]
    options = ConnectionOptions(sandbox.proxy_url, str(sandbox.ca_path), timeout=3)
    api = InstagramClient("alice", "alice-pass-1", options=options)
    api.login()
    client = api._client
    owner = world.user("prolific")
    assert owner is not None

    medias = client.user_medias_v1(owner.pk)  # pages through next_max_id
    assert [str(m.pk) for m in medias] == [str(m.pk) for m in created]
    assert world.count(f"feed/user/{owner.pk}/") > 1

    info = client.user_info_v1(owner.pk)
    assert (info.username, info.media_count) == ("prolific", 30)
    relation = client.user_friendship_v1(owner.pk)
    assert relation is not None
    assert relation.following is False
    public = world.user(PUBLIC)
    assert public is not None
    stories = client.user_stories_v1(public.pk)
    assert [s.media_type for s in stories] == [1, 2]
    assert client.account_info().username == "alice"


def test_idle_connection_closed_by_the_server_is_not_reused(
    socket_enabled: None,
) -> None:
    # Instagram closes idle keep-alive connections; the first request after that must
    # open a fresh one instead of failing on the closed one (as the hourly cycle does).
    from custom_components.ig_autoliker.engine.client import (  # noqa: PLC0415
        ConnectionOptions,
        InstagramClient,
    )

    with Sandbox(
        build_test_world(default_test_start()), keep_alive_timeout=2.0
    ) as sandbox:
        options = ConnectionOptions(
            sandbox.proxy_url, str(sandbox.ca_path), timeout=3, max_idle_reuse=1
        )
        api = InstagramClient("alice", "alice-pass-1", options=options)
        api.login()
        api.keep_alive()
        time.sleep(3.0)  # past the server's idle timeout: it has closed the connection
        api.keep_alive()
        assert [r.status for r in sandbox.world.requests()][-2:] == [200, 200]


def test_connection_ended_after_its_request_limit_answers_every_request(
    socket_enabled: None,
) -> None:
    # Servers end a busy HTTP/2 connection after so many requests (nginx: 1,000) with
    # GOAWAY: the requests up to it are still answered, the next goes over a new
    # connection. None may be lost (hypercorn's own limit dropped the answer of the
    # 1,001st request: a story's seen timed out in the simulation).
    from custom_components.ig_autoliker.engine.client import (  # noqa: PLC0415
        ConnectionOptions,
        InstagramClient,
    )

    world = build_test_world(default_test_start())
    for minute in range(1, 6):
        world.add_story(PUBLIC, age=60.0 * minute)
    with Sandbox(world, max_requests_per_connection=3) as sandbox:
        assert sandbox.proxy is not None
        options = ConnectionOptions(sandbox.proxy_url, str(sandbox.ca_path), timeout=3)
        api = InstagramClient("alice", "alice-pass-1", options=options)
        api.login()
        owner = world.user(PUBLIC)
        assert owner is not None
        stories = api.user_stories(str(owner.pk))
        world.clear_log()
        tunnels = len(sandbox.proxy.stats.tunnels)

        for story in stories:  # seen + like each: more than 3 connections' worth
            api.like_story(story)

        assert len(stories) == 7
        assert {like.media_pk for like in world.likes} == {int(s.pk) for s in stories}
        assert [r.status for r in world.requests()] == [200] * 14
        assert len(sandbox.proxy.stats.tunnels) - tunnels >= 14 // 3


def test_admin_api_scripts_headers_and_confirms_checkpoints(sandbox: Sandbox) -> None:
    """Faults set status, body and headers; "confirm" is the tap in the app."""
    admin(
        sandbox,
        "/__sandbox/faults",
        {
            "endpoint": "qe/sync/",
            "fault": "raw",
            "status": 429,
            "body": '{"message": "rate limited", "status": "fail"}',
            "headers": {"Retry-After": "30"},
        },
    )
    with pytest.raises(urllib.error.HTTPError) as err:
        admin(sandbox, "/api/v1/qe/sync/")
    assert err.value.code == 429
    assert err.value.headers["Retry-After"] == "30"
    assert json.loads(err.value.read())["message"] == "rate limited"

    opened = admin(
        sandbox, "/__sandbox/challenge", {"username": "alice", "action": "open"}
    )
    assert opened["native"] is True
    state = admin(sandbox, "/__sandbox/state")
    (alice,) = [user for user in state["users"] if user["username"] == "alice"]
    assert alice["challenge"] == {
        "native": True,
        "form": "challenge",
        "confirmed": False,
    }
    assert admin(sandbox, "/__sandbox/challenge", {"username": "alice"}) == {
        "confirmed": True
    }
    admin(sandbox, "/__sandbox/suspend", {"username": "alice"})
    assert sandbox.world.user("alice").suspended  # type: ignore[union-attr]
