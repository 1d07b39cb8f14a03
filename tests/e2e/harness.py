"""The emulator and a real `hass` as subprocesses, driven over HTTP only.

Shared by `scripts/e2e` (tests/e2e/run.py) and `scripts/screenshot`
(tests/e2e/screenshot.py). Home Assistant reaches the emulator through the standard
environment only: HTTPS_PROXY=<emulator proxy>, REQUESTS_CA_BUNDLE=<emulator CA> and
NO_PROXY=127.0.0.1,localhost. The integration is found through PYTHONPATH=<repo root>
(Home Assistant's loader imports the `custom_components` package from sys.path; the
temporary config directory has none of its own).

Everything is asyncio + aiohttp (both come with Home Assistant); every wait has a
timeout, and both subprocesses die with the driver (PR_SET_PDEATHSIG) even when it is
killed without a chance to clean up.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import os
import signal
import socket
import ssl
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

import aiohttp

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from typing import IO

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = REPO / ".venv" / "bin"
DOMAIN = "ig_autoliker"

#: The onboarding user (also used to log into the frontend).
OWNER_NAME = "E2E Owner"
OWNER_USERNAME = "e2e"
OWNER_PASSWORD = "e2e-owner-password"  # a throwaway local account

#: The fastest pacing the options flow accepts (so a cycle takes seconds) and limits
#: high enough that no run hits them.
FAST_OPTIONS: dict[str, float] = {
    "delay_between_requests": 0.5,
    "delay_between_likes": 1.0,
    "delay_between_accounts": 1.0,
    "delay_jitter_percent": 0,
    "max_requests_per_hour": 1000,
    "max_likes_per_hour": 200,
    "max_story_views_per_hour": 1000,
    "max_likes_per_day": 2000,
    # The account-safety pacing would spread the demo's likes over days:
    # no warm-up, always active (start == end), no per-target cap worth the name.
    "warmup_days": 0,
    "active_hours_start": 0,
    "active_hours_end": 0,
    "max_likes_per_target_cycle": 50,
}
#: A target's form: like stories and posts, and its current page of older posts too
#: (the default baselines them, which would leave the first cycle nothing to like).
TARGET_FORM: dict[str, object] = {
    "like_stories": True,
    "like_posts": True,
    "backlog_posts": 12,
    "like_current_stories": True,
}

#: Emulator endpoints that submit credentials or a login code.
LOGIN_ENDPOINTS = (
    "accounts/login/",
    "accounts/two_factor_login/",
    "bloks/async_action/com.bloks.www.bloks.caa.login.async.send_login_request/",
    "bloks/async_action/com.bloks.www.two_step_verification.verify_code.async/",
)

#: Seconds a `hass` start may take when Home Assistant installs requirements first.
STARTUP_WITH_INSTALLS = 300
#: Seconds one REST request may take (the first config flow installs instagrapi).
REQUEST_TIMEOUT = 300

CONFIGURATION_YAML = """\
# Written by tests/e2e/harness.py for one run; thrown away afterwards.
# No default_config: only what the run needs (Home Assistant still sets up its
# always-on integrations, the frontend among them).
http:
  server_host: 127.0.0.1
  server_port: {port}
api:
config:
onboarding:
# The account device's Activity (logbook) and history graphs.
recorder:
  commit_interval: 1
history:
logbook:
# The entry's diagnostics: when the last cycle ended (run.py).
diagnostics:
# Where the frontend's automation editor saves (Home Assistant's default config has
# this line; without it a saved automation is written but never loaded).
automation: !include automations.yaml
logger:
  default: warning
  logs:
    custom_components.ig_autoliker: debug
"""


class E2EError(Exception):
    """A step, a wait or a check failed."""


def say(message: str) -> None:
    """Report progress on stderr (stdout carries only the summary line)."""
    sys.stderr.write(f"e2e | {message}\n")
    sys.stderr.flush()


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:
    """In the child: get SIGTERM when the driver dies (Linux), so nothing leaks."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)


async def wait_until[T](
    what: str,
    check: Callable[[], Awaitable[T | None]],
    seconds: float,
    interval: float = 0.25,
) -> T:
    """Poll `check` until it returns something truthy; E2EError after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        if result := await check():
            return result
        if time.monotonic() > deadline:
            msg = f"timed out after {seconds:.0f} s waiting for {what}"
            raise E2EError(msg)
        await asyncio.sleep(interval)


def tail(path: Path, lines: int = 60) -> str:
    """The last lines of a log file, for diagnostics."""
    try:
        text = path.read_text(errors="replace")
    except OSError as err:
        return f"(cannot read {path}: {err})"
    return "\n".join(text.splitlines()[-lines:])


async def _stop_process(
    process: asyncio.subprocess.Process, name: str, grace: float
) -> int:
    """SIGTERM, wait up to `grace` s, then SIGKILL; return the exit code."""
    if process.returncode is not None:
        return process.returncode
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGTERM)
    try:
        return await asyncio.wait_for(process.wait(), grace)
    except TimeoutError:
        say(f"{name} did not stop within {grace:.0f} s; killing it")
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        return await process.wait()


# ------------------------------------------------------------------- emulator --


@dataclass
class Emulator:
    """`python -m tests.sandbox --world demo` as a subprocess, and its admin API."""

    #: None when another process started it (`attach`: scripts/develop's emulator).
    process: asyncio.subprocess.Process | None
    fields: dict[str, str]
    log_path: Path
    session: aiohttp.ClientSession

    @classmethod
    async def start(cls, workdir: Path, within: float = 30.0) -> Self:
        """Start the emulator on free ports and read its one `sandbox:` line."""
        log_path = workdir / "sandbox.log"
        with log_path.open("wb") as log:
            process = await asyncio.create_subprocess_exec(
                str(VENV_BIN / "python"),
                "-m",
                "tests.sandbox",
                "--world",
                "demo",
                "--state-dir",
                str(workdir / "sandbox"),
                cwd=REPO,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=log,
                preexec_fn=_die_with_parent,
            )
        line = ""
        try:
            if process.stdout is not None:
                raw = await asyncio.wait_for(process.stdout.readline(), within)
                line = raw.decode().strip()
        finally:
            if not line.startswith("sandbox: "):
                await _stop_process(process, "emulator", 5)
        if not line.startswith("sandbox: "):
            msg = f"the emulator did not start: {line!r}\n{tail(log_path)}"
            raise E2EError(msg)
        return cls.attach(line, log_path, process)

    @classmethod
    def attach(
        cls,
        line: str,
        log_path: Path,
        process: asyncio.subprocess.Process | None = None,
    ) -> Self:
        """Talk to a running emulator, given its `sandbox: url=... ca=...` line."""
        fields = dict(
            part.split("=", 1) for part in line.removeprefix("sandbox: ").split()
        )
        context = ssl.create_default_context(cafile=fields["ca"])
        session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(ssl=context),
            timeout=aiohttp.ClientTimeout(total=15),
        )
        say(f"emulator: {fields['url']} (proxy {fields['proxy']})")
        return cls(process, fields, log_path, session)

    async def stop(self) -> None:
        """Close the admin session and stop the emulator (if this run started it)."""
        await self.session.close()
        if self.process is not None:
            await _stop_process(self.process, "emulator", 15)

    @property
    def username(self) -> str:
        """The demo account's username."""
        return self.fields["username"]

    async def _admin(self, method: str, route: str, body: Any = None) -> Any:
        url = f"{self.fields['url']}/__sandbox/{route}"
        async with self.session.request(method, url, json=body) as response:
            text = await response.text()
            if response.status != 200:
                msg = f"emulator {method} {route} -> {response.status}: {text}"
                raise E2EError(msg)
            return json.loads(text)

    async def state(self) -> dict[str, Any]:
        """GET /__sandbox/state: likes, request counts, logins, users."""
        result: dict[str, Any] = await self._admin("GET", "state")
        return result

    async def add_post(self, username: str, kind: str = "photo") -> str:
        """Publish a post now; returns its pk."""
        answer = await self._admin(
            "POST", "posts", {"username": username, "kind": kind}
        )
        return str(answer["pk"])

    async def add_story(self, username: str) -> str:
        """Publish a story now; returns its pk."""
        answer = await self._admin("POST", "stories", {"username": username})
        return str(answer["pk"])

    async def silent_block(self, username: str) -> dict[str, Any]:
        """
        Start a silent like block of `username` now, until further notice.

        Every like is then answered `{"status": "ok"}` and not kept (the world's
        `silent_block`); returns the block (viewer_pk, since, until, undo_after).
        """
        block: dict[str, Any] = await self._admin(
            "POST", "silent_block", {"username": username}
        )
        return block

    async def advance_clock(self, seconds: float) -> None:
        """Let time pass in the emulated world (new media sort after older)."""
        await self._admin("POST", "clock", {"advance": seconds})


def user_pks(state: dict[str, Any]) -> dict[str, str]:
    """Username -> pk (as a string) of every user in an emulator state."""
    return {user["username"]: str(user["pk"]) for user in state["users"]}


def likes_of(state: dict[str, Any], viewer_pk: str) -> list[dict[str, Any]]:
    """Every like the viewer sent, in order (one record per accepted request)."""
    return [like for like in state["likes"] if str(like["viewer_pk"]) == viewer_pk]


def double_likes(state: dict[str, Any], viewer_pk: str) -> int:
    """How many like requests hit a media the viewer had liked already."""
    counts = Counter(like["media_pk"] for like in likes_of(state, viewer_pk))
    return sum(count - 1 for count in counts.values())


def login_calls(state: dict[str, Any]) -> int:
    """Credential or code submissions seen by the emulator, plus sessions issued."""
    counts: dict[str, int] = state["request_counts"]
    return sum(counts.get(endpoint, 0) for endpoint in LOGIN_ENDPOINTS) + int(
        state["login_count"]
    )


def expected_demo_media(targets: list[str]) -> dict[str, int]:
    """Username -> how many live stories plus posts the demo world gives a target."""
    from tests.sandbox.demo import build_demo_world  # noqa: PLC0415

    world = build_demo_world()
    expected: dict[str, int] = {}
    for username in targets:
        user = world.user(username)
        if user is None:
            msg = f"{username} is not in the demo world"
            raise E2EError(msg)
        expected[username] = len(world.stories_of(user.pk)) + len(
            world.posts_of(user.pk)
        )
    return expected


# --------------------------------------------------------------- home assistant --


async def wait_http(url: str, alive: Callable[[], bool], within: float) -> None:
    """
    Wait until Home Assistant's HTTP server at `url` answers.

    `alive()` raises E2EError when the process it stands for is gone.
    """
    started = time.monotonic()
    async with aiohttp.ClientSession() as session:

        async def answers() -> bool:
            alive()
            try:
                # Needs no token and exists whether onboarded or not (400
                # "onboarding_required" before the owner exists, then 200).
                async with session.get(
                    f"{url}/auth/providers",
                    timeout=aiohttp.ClientTimeout(total=5),
                ) as response:
                    return response.status in {200, 400}
            except aiohttp.ClientError, TimeoutError:
                return False

        await wait_until("Home Assistant's HTTP server", answers, within)
    say(f"hass answers HTTP after {time.monotonic() - started:.1f} s")


def write_configuration(config_dir: Path) -> int:
    """Write the run's configuration.yaml (a free port) and automations.yaml."""
    config_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    (config_dir / "configuration.yaml").write_text(CONFIGURATION_YAML.format(port=port))
    automations = config_dir / "automations.yaml"
    if not automations.exists():
        automations.write_text("[]\n")
    return port


@dataclass
class Hass:
    """A real `hass` process on a temporary config directory."""

    config_dir: Path
    workdir: Path
    port: int
    env: dict[str, str]
    process: asyncio.subprocess.Process | None = None
    log_path: Path | None = None
    logs: list[Path] = field(default_factory=list)

    #: The venv whose `hass` runs; None for the development .venv (with --skip-pip).
    venv: Path | None = None

    @classmethod
    def create(
        cls, workdir: Path, emulator: Emulator, venv: Path | None = None
    ) -> Self:
        """
        Write a minimal configuration for a free port; nothing runs yet.

        Args:
            workdir: The run's temporary directory (config dir and logs go there).
            emulator: The running emulator (its proxy and CA go into the env).
            venv: A release's venv (tests/e2e/havenv.py): its `hass` runs without
                --skip-pip, and NO_PROXY also names the package registry's hosts so
                that Home Assistant's installer reaches it while instagrapi goes
                through the emulator's proxy.

        """
        config_dir = workdir / "config"
        port = write_configuration(config_dir)
        env = {
            key: value
            for key, value in os.environ.items()
            if key.lower() not in {"https_proxy", "http_proxy", "all_proxy", "no_proxy"}
        }
        proxy, ca_bundle = emulator.fields["proxy"], emulator.fields["ca"]
        pythonpath = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
        no_proxy = ["127.0.0.1", "localhost"]
        if venv is not None:
            from tests.e2e.havenv import registry_hosts  # noqa: PLC0415

            no_proxy += registry_hosts()
            say(f"NO_PROXY={','.join(no_proxy)} (read from pip's and uv's config)")
        env.update(
            HTTPS_PROXY=proxy,
            https_proxy=proxy,
            REQUESTS_CA_BUNDLE=ca_bundle,
            NO_PROXY=",".join(no_proxy),
            no_proxy=",".join(no_proxy),
            PYTHONPATH=pythonpath,
        )
        return cls(config_dir, workdir, port, env, venv=venv)

    @property
    def url(self) -> str:
        """Base URL of Home Assistant's HTTP server."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        """True while the process has not exited."""
        return self.process is not None and self.process.returncode is None

    async def start(self) -> None:
        """Start `hass` (logging to hass-<n>.log) and wait until HTTP answers."""
        self.log_path = self.workdir / f"hass-{len(self.logs) + 1}.log"
        self.logs.append(self.log_path)
        log: IO[bytes]
        # In .venv, --skip-pip: every requirement is there already. A release's venv
        # lets Home Assistant install what it lacks (instagrapi, the frontend ...).
        if self.venv is None:
            command = [str(VENV_BIN / "hass"), "--skip-pip"]
        else:
            from tests.e2e.havenv import skip_pip_packages  # noqa: PLC0415

            command = [str(self.venv / "bin" / "hass")]
            if skipped := skip_pip_packages(self.venv):
                command += ["--skip-pip-packages", ",".join(skipped)]
        with self.log_path.open("wb") as log:
            self.process = await asyncio.create_subprocess_exec(
                *command,
                "--config",
                str(self.config_dir),
                "--log-no-color",
                cwd=self.workdir,
                env=self.env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
                preexec_fn=_die_with_parent,
            )
        say(f"hass started (pid {self.process.pid}), log {self.log_path}")

        def alive() -> bool:
            if not self.running:
                msg = f"hass exited with {self.returncode} during startup"
                raise E2EError(msg)
            return True

        # A release's first start installs the frontend and more.
        within = 120 if self.venv is None else STARTUP_WITH_INSTALLS
        await wait_http(self.url, alive, within)

    @property
    def returncode(self) -> int | None:
        """The exit code once the process ended."""
        return None if self.process is None else self.process.returncode

    def terminate(self) -> None:
        """Send SIGTERM (Home Assistant's normal stop) without waiting."""
        if self.process is not None and self.running:
            self.process.send_signal(signal.SIGTERM)

    async def wait(self, within: float) -> int:
        """Wait for the process to exit; E2EError after `within` s."""
        if self.process is None:
            msg = "hass was never started"
            raise E2EError(msg)
        try:
            return await asyncio.wait_for(self.process.wait(), within)
        except TimeoutError:
            msg = f"hass did not exit within {within:.0f} s after SIGTERM"
            raise E2EError(msg) from None

    async def stop(self, grace: float = 90.0) -> int | None:
        """Stop it (SIGTERM, then SIGKILL after `grace` s); None if not started."""
        if self.process is None:
            return None
        return await _stop_process(self.process, "hass", grace)

    def store_path(self, entry_id: str) -> Path:
        """The integration's store file of an entry."""
        return self.config_dir / ".storage" / f"{DOMAIN}.{entry_id}"


class HassClient:
    """Home Assistant's REST and websocket API with the onboarding user's token."""

    def __init__(self, hass: Hass, session: aiohttp.ClientSession) -> None:
        """Talk to `hass`; `onboard` (or `tokens`) must come first."""
        self.hass = hass
        self.session = session
        self.client_id = f"{hass.url}/"
        self.tokens: dict[str, Any] = {}

    @property
    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens['access_token']}"}

    async def request(
        self, method: str, path: str, body: Any = None, *, auth: bool = True
    ) -> Any:
        """Send one request; E2EError unless it answers 200/201."""
        headers = self._headers if auth else {}
        async with self.session.request(
            method,
            f"{self.hass.url}{path}",
            json=body,
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT),
        ) as response:
            text = await response.text()
            if response.status not in {200, 201}:
                msg = f"{method} {path} {body!r} -> {response.status}: {text}"
                raise E2EError(msg)
            return json.loads(text) if text else None

    async def onboard(self, *, frontend: bool = False) -> None:
        """
        Create the owner and get its tokens; with `frontend`, finish onboarding.

        The frontend shows the onboarding wizard until every step is done; the other
        steps also start Home Assistant's suggested integrations (met, radio_browser,
        ...), which only add noise without a network, so the API-only run skips them.
        """
        answer = await self.request(
            "POST",
            "/api/onboarding/users",
            {
                "client_id": self.client_id,
                "name": OWNER_NAME,
                "username": OWNER_USERNAME,
                "password": OWNER_PASSWORD,
                "language": "en",
            },
            auth=False,
        )
        await self._token(grant_type="authorization_code", code=answer["auth_code"])
        say("owner created; token obtained")
        # Home Assistant 2026.10 moves YAML `http:` settings into a "pending" trial
        # that reverts (and restarts) after five minutes unless promoted, which is
        # what the frontend's "Confirm new HTTP server configuration" dialog does.
        # Older releases have no such trial (and no such command).
        await self.ws({"type": "http/config/promote"}, unknown_ok=True)
        if not frontend:
            return
        await self.request("POST", "/api/onboarding/core_config")
        await self.request("POST", "/api/onboarding/analytics")
        await self.request(
            "POST",
            "/api/onboarding/integration",
            {
                "client_id": self.client_id,
                "redirect_uri": f"{self.hass.url}/?auth_callback=1",
            },
        )
        say("onboarding finished")

    async def refresh(self) -> None:
        """Get a fresh access token with the refresh token (after a restart)."""
        await self._token(
            grant_type="refresh_token", refresh_token=self.tokens["refresh_token"]
        )

    async def _token(self, **form: str) -> None:
        refresh_token = self.tokens.get("refresh_token")
        async with self.session.post(
            f"{self.hass.url}/auth/token",
            data={**form, "client_id": self.client_id},
            timeout=aiohttp.ClientTimeout(total=30),
        ) as response:
            text = await response.text()
            if response.status != 200:
                msg = f"/auth/token ({form['grant_type']}) -> {response.status}: {text}"
                raise E2EError(msg)
            self.tokens = json.loads(text)
        self.tokens.setdefault("refresh_token", refresh_token)

    async def ws(self, command: dict[str, Any], *, unknown_ok: bool = False) -> Any:
        """Run one websocket command and return its result (None: unknown_ok)."""
        async with self.session.ws_connect(
            f"{self.hass.url}/api/websocket",
            timeout=aiohttp.ClientWSTimeout(ws_close=10),
        ) as socket_:
            await asyncio.wait_for(socket_.receive_json(), 10)  # auth_required
            await socket_.send_json(
                {"type": "auth", "access_token": self.tokens["access_token"]}
            )
            answer = await asyncio.wait_for(socket_.receive_json(), 10)
            if answer.get("type") != "auth_ok":
                msg = f"websocket auth failed: {answer}"
                raise E2EError(msg)
            await socket_.send_json({"id": 1, **command})
            answer = await asyncio.wait_for(socket_.receive_json(), 30)
            if not answer.get("success"):
                code = answer.get("error", {}).get("code")
                if unknown_ok and code == "unknown_command":
                    return None
                msg = f"websocket {command['type']} failed: {answer}"
                raise E2EError(msg)
            return answer["result"]

    async def flow(
        self, base: str, start: dict[str, Any], steps: list[tuple[str, dict[str, Any]]]
    ) -> dict[str, Any]:
        """
        Run a data-entry flow over REST: start it, then answer each expected form.

        Args:
            base: e.g. /api/config/config_entries/flow
            start: The body that starts the flow (its handler).
            steps: (expected step_id, user input) per form, in order.

        Returns:
            The flow's last result (create_entry, abort, ...).

        """
        result: dict[str, Any] = await self.request("POST", base, start)
        for step_id, user_input in steps:
            if result.get("type") not in {"form", "menu"} or (
                result.get("step_id") != step_id
            ):
                msg = f"{base}: expected form {step_id!r}, got {result}"
                raise E2EError(msg)
            if result.get("errors"):
                msg = f"{base}: form {step_id!r} shows errors {result['errors']}"
                raise E2EError(msg)
            result = await self.request(
                "POST", f"{base}/{result['flow_id']}", user_input
            )
        return result

    async def entry(self, entry_id: str) -> dict[str, Any]:
        """The REST view of a config entry (state, reason ...)."""
        entries = await self.request(
            "GET", f"/api/config/config_entries/entry?domain={DOMAIN}"
        )
        for entry in entries:
            if entry["entry_id"] == entry_id:
                return dict(entry)
        msg = f"config entry {entry_id} is gone"
        raise E2EError(msg)

    async def wait_loaded(self, entry_id: str, within: float = 60) -> None:
        """Wait until the entry is set up (state "loaded"); fail on a setup error."""

        async def loaded() -> bool:
            entry = await self.entry(entry_id)
            if entry["state"] in {"setup_error", "migration_error", "failed_unload"}:
                msg = f"entry {entry_id} is {entry['state']}: {entry.get('reason')}"
                raise E2EError(msg)
            return entry["state"] == "loaded"

        await wait_until(f"entry {entry_id} to be loaded", loaded, within)

    async def wait_running(self, within: float = STARTUP_WITH_INSTALLS) -> None:
        """
        Wait until Home Assistant finished starting (core state RUNNING).

        Only then does `hass` handle SIGTERM as a stop (it registers its signal
        handlers at the end of the start).
        """

        async def running() -> bool:
            config = await self.request("GET", "/api/config")
            return str(config.get("state", "")).upper() == "RUNNING"

        await wait_until("Home Assistant to finish starting", running, within, 1.0)

    async def state(self, entity_id: str) -> dict[str, Any]:
        """GET /api/states/<entity_id>."""
        result: dict[str, Any] = await self.request("GET", f"/api/states/{entity_id}")
        return result

    async def call(self, domain: str, service: str, data: dict[str, Any]) -> None:
        """POST /api/services/<domain>/<service>."""
        await self.request("POST", f"/api/services/{domain}/{service}", data)


# --------------------------------------------------------------- the set-up --


@dataclass
class Setup:
    """What `set_up_integration` built: the entry, its targets and entities."""

    entry_id: str
    account_pk: str
    target_pks: dict[str, str]  # username -> pk
    #: registry rows by unique_id (entity_id, device_id ...), for our entry only
    registry: dict[str, dict[str, Any]]

    def entity(self, key: str, target: str | None = None) -> str:
        """The entity_id of an account entity, or of a target's entity."""
        unique_id = (
            f"{self.account_pk}_{key}"
            if target is None
            else f"{self.account_pk}_{self.target_pks[target]}_{key}"
        )
        try:
            return str(self.registry[unique_id]["entity_id"])
        except KeyError:
            msg = f"no entity with unique_id {unique_id} in the entity registry"
            raise E2EError(msg) from None

    def device(self, key: str, target: str | None = None) -> str:
        """The device_id of the device that holds an entity."""
        entity_id = self.entity(key, target)
        row = next(r for r in self.registry.values() if r["entity_id"] == entity_id)
        return str(row["device_id"])


def form_values(
    schema: list[dict[str, Any]], changes: dict[str, float]
) -> dict[str, Any]:
    """
    A form's answer: every field's current value, `changes` applied.

    Sections (type "expandable") answer as nested objects, as the frontend sends them.
    """
    values: dict[str, Any] = {}
    for item in schema:
        if item.get("type") == "expandable":
            values[item["name"]] = form_values(item["schema"], changes)
        elif item["name"] in changes:
            values[item["name"]] = changes[item["name"]]
        else:
            values[item["name"]] = item.get("description", {}).get(
                "suggested_value", item.get("default")
            )
    return values


async def set_options(
    client: HassClient, entry_id: str, changes: dict[str, float]
) -> None:
    """
    Change options through the options flow, as the form would (the rest unchanged).

    Waits until the entry is loaded again: the options flow reloads it.
    """
    form = await client.request(
        "POST", "/api/config/config_entries/options/flow", {"handler": entry_id}
    )
    values = form_values(form["data_schema"], changes)
    result = await client.request(
        "POST", f"/api/config/config_entries/options/flow/{form['flow_id']}", values
    )
    if result.get("type") != "create_entry":
        msg = f"options flow did not finish: {result}"
        raise E2EError(msg)
    say(f"options set: {changes}")
    await client.wait_loaded(entry_id)


async def set_up_integration(
    client: HassClient, emulator: Emulator, targets: list[str]
) -> Setup:
    """
    Add the demo account (user + two-factor step), fastest options, the targets.

    Everything goes through the REST flow APIs the frontend uses.
    """
    result = await client.flow(
        "/api/config/config_entries/flow",
        {"handler": DOMAIN, "show_advanced_options": False},
        [
            (
                "user",
                {
                    "username": emulator.username,
                    "password": emulator.fields["password"],
                },
            ),
            ("two_factor", {"code": emulator.fields["code"]}),
        ],
    )
    if result.get("type") != "create_entry":
        msg = f"config flow did not create an entry: {result}"
        raise E2EError(msg)
    entry_id = str(result["result"]["entry_id"])
    say(f"config entry {entry_id} created for {result['title']}")
    await client.wait_loaded(entry_id)

    await set_options(client, entry_id, FAST_OPTIONS)

    state = await emulator.state()
    pks = user_pks(state)
    for username in targets:
        result = await client.flow(
            "/api/config/config_entries/subentries/flow",
            {"handler": [entry_id, "target"]},
            [
                ("user", {"next_step_id": "one"}),
                ("one", {"username": username, **TARGET_FORM}),
            ],
        )
        if result.get("type") != "create_entry":
            msg = f"target flow for {username} did not create a subentry: {result}"
            raise E2EError(msg)
        say(f"target {username} ({pks[username]}) added")

    setup = Setup(
        entry_id=entry_id,
        account_pk=pks[emulator.username],
        target_pks={username: pks[username] for username in targets},
        registry={},
    )

    async def all_entities() -> bool:
        rows = await client.ws({"type": "config/entity_registry/list"})
        setup.registry = {
            row["unique_id"]: row for row in rows if row["config_entry_id"] == entry_id
        }
        wanted = [f"{setup.account_pk}_likes_today"] + [
            f"{setup.account_pk}_{pk}_enabled" for pk in setup.target_pks.values()
        ]
        return all(unique_id in setup.registry for unique_id in wanted)

    await wait_until("the entities of the account and targets", all_entities, 30)
    return setup
