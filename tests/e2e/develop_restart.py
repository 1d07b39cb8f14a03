"""
Check that `scripts/develop` survives a restart from Home Assistant's UI.

`scripts/develop --check-restart [--keep]` runs this. Steps:

1. Run `scripts/develop --config <tmp>/config --sandbox-dir <tmp>/sandbox` in its own
   process group (the developer's `config/` and `.sandbox/` stay untouched); the
   configuration is the end-to-end run's, on a free port.
2. Onboard over HTTP and add the demo account (user + two-factor step) through the
   REST config flow, as `scripts/e2e` does (tests/e2e/harness.py).
3. Restart Home Assistant the way Settings -> System -> Restart does: the action
   `homeassistant.restart`. `hass` exits with 100 and `scripts/develop` must start a
   new `hass` while the same emulator process keeps running.
4. The entry must come back loaded and signed in: no reauthentication flow, "Session
   health" `healthy`, and no login request reached the emulator since step 2.
5. Ctrl-C (SIGINT to the script's process group, as a terminal sends it): the script
   must stop Home Assistant (exit code 0) and the emulator, and exit.

stdout gets one line:

    develop-restart: restarted=yes entry=loaded session_health=healthy \
        reauth_flows=0 logins_after_restart=0 emulator_kept=yes stopped=yes

and the exit code is 0 only if every check held.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from tests.e2e.harness import (
    DOMAIN,
    REPO,
    E2EError,
    Emulator,
    Hass,
    HassClient,
    Setup,
    _die_with_parent,
    login_calls,
    say,
    set_up_integration,
    tail,
    wait_http,
    wait_until,
    write_configuration,
)

#: What scripts/develop prints when it starts `hass` again.
RESTART_LINE = "develop: Home Assistant exited with 100"
#: What its cleanup prints (with `hass`'s exit code).
STOPPED_LINE = re.compile(r"develop: stopped Home Assistant \(exit code (\d+)\)")


def children(pid: int) -> list[int]:
    """The direct child processes of `pid` (Linux /proc)."""
    path = Path(f"/proc/{pid}/task/{pid}/children")
    try:
        return [int(child) for child in path.read_text().split()]
    except OSError:
        return []


def command_line(pid: int) -> str:
    """A process's command line, or "" once it is gone."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    return raw.replace(b"\0", b" ").decode(errors="replace")


def alive(pid: int) -> bool:
    """True while `pid` exists and is no zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@dataclass
class Develop:
    """`scripts/develop` as a subprocess in its own process group."""

    process: asyncio.subprocess.Process
    log_path: Path

    @property
    def pid(self) -> int:
        """The script's (bash's) pid, also its process group id."""
        return self.process.pid

    def child(self, marker: str) -> int | None:
        """The pid of the script's child whose command line contains `marker`."""
        for pid in children(self.pid):
            if marker in command_line(pid):
                return pid
        return None

    def hass_pid(self) -> int | None:
        """The pid of the `hass` the script runs now."""
        return self.child("bin/hass")

    def emulator_pid(self) -> int | None:
        """The pid of the emulator the script runs."""
        return self.child("tests.sandbox")

    def output(self) -> str:
        """Everything the script printed so far."""
        return self.log_path.read_text(errors="replace")

    def running(self) -> bool:
        """E2EError once the script has exited (for wait_http's `alive`)."""
        if self.process.returncode is not None:
            msg = f"scripts/develop exited with {self.process.returncode}"
            raise E2EError(msg)
        return True


@dataclass
class Check:
    """The checks of one run and the figures of the summary line."""

    failures: list[str] = field(default_factory=list)
    figures: dict[str, str] = field(
        default_factory=lambda: dict.fromkeys(
            (
                "restarted",
                "entry",
                "session_health",
                "reauth_flows",
                "logins_after_restart",
                "emulator_kept",
                "stopped",
            ),
            "n/a",
        )
    )

    def check(self, ok: object, message: str) -> None:
        """Record one check."""
        say(f"{'ok' if ok else 'FAILED'}: {message}")
        if not ok:
            self.failures.append(message)


def _like_a_terminal() -> None:
    """
    In the child: SIGINT handled as in a terminal's foreground job; die with us.

    A process started in the background of a non-interactive shell (a CI job, an
    agent's shell) inherits SIGINT ignored, and bash cannot trap a signal that was
    ignored when it started (bash(1), SIGNALS), so Ctrl-C could not be tested.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    _die_with_parent()


async def start_develop(workdir: Path) -> Develop:
    """Start scripts/develop on the run's config and sandbox directories."""
    log_path = workdir / "develop.log"
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            str(REPO / "scripts" / "develop"),
            "--config",
            str(workdir / "config"),
            "--sandbox-dir",
            str(workdir / "sandbox"),
            cwd=REPO,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
            # Its own process group: SIGINT to the group is a terminal's Ctrl-C.
            start_new_session=True,
            preexec_fn=_like_a_terminal,
        )
    say(f"scripts/develop started (pid {process.pid}), output {log_path}")
    return Develop(process, log_path)


async def emulator_line(develop: Develop, sandbox_dir: Path) -> str:
    """The emulator's `sandbox:` line from the log scripts/develop keeps."""
    log = sandbox_dir / "develop.log"

    async def line() -> str | None:
        develop.running()
        with contextlib.suppress(OSError):
            for text in log.read_text().splitlines():
                if text.startswith("sandbox: "):
                    return text
        return None

    return await wait_until("the emulator's sandbox: line", line, 120)


async def reauth_flows(client: HassClient) -> int:
    """Reauthentication flows of this integration in progress."""
    # The list the frontend shows under "Discovered" / needing attention.
    flows: list[dict[str, Any]] = await client.ws(
        {"type": "config_entries/flow/progress"}
    )
    return sum(
        1
        for flow in flows
        if flow.get("handler") == DOMAIN
        and flow.get("context", {}).get("source") == "reauth"
    )


async def restart_from_ui(client: HassClient) -> None:
    """Call `homeassistant.restart` as the frontend's Restart dialog does."""
    try:
        await client.call("homeassistant", "restart", {})
    except (aiohttp.ClientError, TimeoutError, E2EError) as err:
        # Home Assistant may stop before it answers the call.
        say(f"the restart call ended without an answer ({type(err).__name__})")


async def check_signed_in(
    client: HassClient,
    develop: Develop,
    emulator: Emulator,
    setup: Setup,
    before: tuple[int | None, int],
    *,
    check: Check,
) -> None:
    """Step 4: the same emulator, the entry signed in, no login since the restart."""
    emulator_pid, logins = before
    kept = develop.emulator_pid()
    check.figures["emulator_kept"] = "yes" if kept == emulator_pid else "no"
    check.check(
        kept == emulator_pid and emulator_pid is not None,
        f"the same emulator process runs (pid {emulator_pid} -> {kept})",
    )

    health_id = setup.entity("session_health")

    async def settled() -> str | None:
        state = str((await client.state(health_id))["state"])
        return None if state in {"unknown", "unavailable"} else state

    health = await wait_until(f"{health_id} to have a state", settled, 30)
    check.figures["session_health"] = health
    check.check(health == "healthy", f"{health_id} is {health}")
    flows = await reauth_flows(client)
    check.figures["reauth_flows"] = str(flows)
    check.check(flows == 0, f"{flows} reauthentication flows in progress")
    after = login_calls(await emulator.state()) - logins
    check.figures["logins_after_restart"] = str(after)
    check.check(after == 0, f"{after} login calls since the restart")


async def scenario(develop: Develop, workdir: Path, port: int, check: Check) -> None:
    """Steps 2-4 (see the module's docstring)."""
    line = await emulator_line(develop, workdir / "sandbox")
    emulator = Emulator.attach(line, workdir / "sandbox" / "develop.log")
    # Only its URL is used: the process belongs to scripts/develop.
    hass = Hass(workdir / "config", workdir, port, env={})
    try:
        async with aiohttp.ClientSession() as session:
            client = HassClient(hass, session)
            await wait_http(hass.url, develop.running, 120)
            await client.onboard()
            await client.wait_running(120)
            setup = await set_up_integration(client, emulator, [])
            emulator_pid, hass_pid = develop.emulator_pid(), develop.hass_pid()
            logins = login_calls(await emulator.state())
            say(f"hass pid {hass_pid}, emulator pid {emulator_pid}, {logins} logins")

            started = time.monotonic()
            await restart_from_ui(client)

            async def new_hass() -> int | None:
                develop.running()
                pid = develop.hass_pid()
                return pid if pid is not None and pid != hass_pid else None

            pid = await wait_until("a new hass process", new_hass, 90)
            say(f"new hass pid {pid} after {time.monotonic() - started:.1f} s")
            check.check(
                RESTART_LINE in develop.output(),
                "scripts/develop reported the restart and started hass again",
            )
            check.figures["restarted"] = "yes"
            await wait_http(hass.url, develop.running, 120)
            try:
                await client.request("GET", "/api/config")
            except E2EError:
                await client.refresh()
            await client.wait_running(120)
            await client.wait_loaded(setup.entry_id)
            say(f"entry loaded {time.monotonic() - started:.1f} s after the restart")
            entry = await client.entry(setup.entry_id)
            check.figures["entry"] = str(entry["state"])
            check.check(entry["state"] == "loaded", f"entry is {entry['state']}")

            await check_signed_in(
                client, develop, emulator, setup, (emulator_pid, logins), check=check
            )
    finally:
        await emulator.stop()


async def ctrl_c(develop: Develop, check: Check) -> None:
    """Step 5: SIGINT to the process group; both must stop, the script exit."""
    hass_pid, emulator_pid = develop.hass_pid(), develop.emulator_pid()
    os.killpg(develop.pid, signal.SIGINT)
    say("SIGINT sent to scripts/develop's process group (Ctrl-C)")
    try:
        code = await asyncio.wait_for(develop.process.wait(), 120)
    except TimeoutError:
        check.check(ok=False, message="scripts/develop did not exit after Ctrl-C")
        return
    stopped = STOPPED_LINE.search(develop.output())
    gone = not any(alive(pid) for pid in (hass_pid, emulator_pid) if pid is not None)
    ok = code == 130 and stopped is not None and stopped[1] == "0" and gone
    check.figures["stopped"] = "yes" if ok else "no"
    check.check(
        ok,
        f"Ctrl-C: scripts/develop exited with {code}, hass with "
        f"{stopped[1] if stopped else '?'}, hass and emulator gone: {gone}",
    )


async def run(workdir: Path) -> Check:
    """Steps 1-5; scripts/develop is stopped on every path."""
    check = Check()
    port = write_configuration(workdir / "config")
    develop = await start_develop(workdir)
    try:
        await scenario(develop, workdir, port, check)
    except Exception as err:  # noqa: BLE001 - any crash is a failure to report
        check.failures.append(f"{type(err).__name__}: {err}")
    finally:
        if develop.process.returncode is None:
            await ctrl_c(develop, check)
        if develop.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(develop.pid, signal.SIGKILL)
            await develop.process.wait()
    return check


def main(argv: list[str] | None = None) -> int:
    """Entry point of `scripts/develop --check-restart`."""
    parser = argparse.ArgumentParser(
        prog="scripts/develop --check-restart", description=__doc__.split("\n")[1]
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary directory"
    )
    args = parser.parse_args(argv)
    # SIGTERM (the timeout of scripts/develop) unwinds like Ctrl-C.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="ig_autoliker_develop."))
    check = asyncio.run(run(workdir))
    ok = not check.failures
    if not ok:
        for failure in check.failures:
            say(f"FAILED: {failure}")
        sys.stderr.write(
            f"\n----- tail of {workdir / 'develop.log'} -----\n"
            f"{tail(workdir / 'develop.log')}\n"
        )
    if ok and not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        say(f"kept {workdir}")
    say(f"{'passed' if ok else 'FAILED'} in {time.monotonic() - started:.1f} s")
    summary = " ".join(f"{key}={value}" for key, value in check.figures.items())
    sys.stdout.write(f"develop-restart: {summary}\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
