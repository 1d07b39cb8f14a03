"""
End-to-end run of the integration in a real `hass` process against the emulator.

`scripts/e2e` runs this (`python -m tests.e2e.run [--keep]`). Steps:

1. Start the emulator (demo world) and `hass` on a temporary config directory; onboard
   over HTTP; add the account (user + two-factor step), the fastest options and two
   targets through the REST flow APIs; a third demo account stays untouched.
2. Run a cycle (action `ig_autoliker.run_cycle`): every live story and post of both
   targets is liked once, nothing of the third account; "Likes today" equals the
   emulator's like count; the account device's Activity lists "liked ...'s story".
3. Turn one target's "Enabled" switch off, publish new media for both, run a cycle:
   the enabled one is liked, the switched-off one is not.
4. Turn it on again, publish more, run a cycle and SIGTERM `hass` as soon as the
   emulator saw its first like. `hass` must exit; the store must load (valid JSON,
   data parses, session present) and hold every like the emulator recorded.
5. Start `hass` again on the same config directory: no login request at all; a cycle
   likes the rest, still nothing twice; "Likes today" matches again.
6. Import the "Like only while a schedule is on" blueprint from this repository (served
   over HTTP, through the frontend's blueprint/import and blueprint/save), create an
   automation from it with a real schedule helper: Auto-like follows the schedule.
7. A silent like block in the emulator (likes answered ok, not kept), new posts, cycles
   until the integration notices: the action-blocked event with kind "silent", the
   Account health sensor at "blocked", the repair issue, at most five likes wasted
   (tests/e2e/silent.py).

Progress goes to stderr; stdout gets exactly one line:

    e2e: ha=V instagrapi=V likes=N logins_after_restart=0 double_likes=0 errors_in_log=0
         silent_block_after_likes=N

The exit code is 0 only if every check held. Both subprocesses are stopped on every
path (and die with this process if it is killed).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web

from tests.e2e import havenv
from tests.e2e.harness import (
    DOMAIN,
    REPO,
    E2EError,
    Emulator,
    Hass,
    HassClient,
    Setup,
    double_likes,
    expected_demo_media,
    free_port,
    likes_of,
    login_calls,
    say,
    set_up_integration,
    tail,
    wait_until,
)
from tests.e2e.silent import phase_silent_block

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

TARGETS = ["nat_geo_demo", "chef_demo"]
UNTOUCHED = "travel_demo"  # followed by the account, never a target
CYCLE_TIMEOUT = 90.0

#: A log record's first line. 2026.10: `2026-11-23 10:55:10.109 WARNING (...)`;
#: 2026.11 adds the UTC offset: `2026-11-23 10:55:10.109+00:00 WARNING (...)`.
_LOG_LINE = re.compile(
    r"^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)? "
    r"(?P<level>[A-Z]+) "
)
_OUR_LOGGER = "[custom_components.ig_autoliker"


def errors_in_log(path: Path) -> list[str]:
    """
    ERROR (or worse) records about the integration, and tracebacks that mention it.

    A record starts at a timestamped line; its continuation lines (a traceback) belong
    to it until the next timestamped line.
    """
    found: list[str] = []
    record: list[str] = []

    def close() -> None:
        if not record:
            return
        head, text = record[0], "\n".join(record)
        match = _LOG_LINE.match(head)
        level = match["level"] if match else ""
        # Ours: the integration's loggers, or Home Assistant's about our entry
        # ("Error setting up entry demo_user for ig_autoliker").
        ours = _OUR_LOGGER in head or DOMAIN in head
        if (ours and level in {"ERROR", "CRITICAL"}) or (
            "Traceback" in text and DOMAIN in text
        ):
            found.append(text)

    for line in path.read_text(errors="replace").splitlines():
        if _LOG_LINE.match(line):
            close()
            record = [line]
        else:
            record.append(line)
    close()
    return found


@dataclass
class Run:
    """State of one end-to-end run."""

    emulator: Emulator
    hass: Hass
    client: HassClient
    setup: Setup | None = None
    failures: list[str] = field(default_factory=list)
    #: owner pk -> media published during the run (all must end up liked once)
    published: dict[str, set[str]] = field(default_factory=dict)
    logins_after_restart: int | None = None
    #: Likes sent into the silent block before it was noticed (None: not noticed)
    silent_after_likes: int | None = None
    final_state: dict[str, Any] | None = None
    #: ISO time the run started (the logbook's start_time)
    started_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())

    def check(self, ok: object, message: str) -> None:
        """Record a failed check (the run goes on, so every problem shows)."""
        if ok:
            say(f"ok: {message}")
        else:
            say(f"FAILED: {message}")
            self.failures.append(message)

    @property
    def s(self) -> Setup:
        """The set-up (after `set_up`)."""
        if self.setup is None:
            msg = "not set up"
            raise E2EError(msg)
        return self.setup

    async def account_likes(self) -> list[dict[str, Any]]:
        """The account's likes as the emulator recorded them."""
        return likes_of(await self.emulator.state(), self.s.account_pk)

    async def liked_per_owner(self) -> dict[str, set[str]]:
        """Owner pk -> media pks the account liked."""
        per_owner: dict[str, set[str]] = {}
        for like in await self.account_likes():
            per_owner.setdefault(str(like["owner_pk"]), set()).add(like["media_pk"])
        return per_owner

    async def last_cycle(self) -> float | None:
        """When the last cycle ended (Unix seconds; None before the first).

        Read from the entry's diagnostics, as a user downloads them: the "Last
        cycle" sensor is disabled by default (cycle bookkeeping stays out of the
        Activity). Diagnostics give times as ISO 8601 in UTC.
        """
        dump = await self.client.request(
            "GET", f"/api/diagnostics/config_entry/{self.s.entry_id}"
        )
        value = dump["data"]["last_cycle"]
        return None if value is None else datetime.fromisoformat(value).timestamp()

    async def run_cycle(
        self, what: str, done: Callable[[], Awaitable[bool]] | None = None
    ) -> None:
        """
        Start a cycle with the action and wait until it ended.

        The cycle has ended when the last cycle's end moved past the call and
        `done()` (a stronger condition, e.g. the likes expected) holds.
        """
        before = await self.last_cycle()
        called = int(time.time())
        await self.client.call(
            DOMAIN, "run_cycle", {"config_entry_id": self.s.entry_id}
        )
        say(f"cycle started: {what}")

        async def ended() -> bool:
            ended_at = await self.last_cycle()
            if ended_at is None or ended_at == before or ended_at < called - 1:
                return False
            return done is None or bool(await done())

        await wait_until(f"the cycle ({what}) to end", ended, CYCLE_TIMEOUT)

    async def check_likes_today(self, when: str) -> int:
        """Check that "Likes today" equals the emulator's like count."""
        likes = len(await self.account_likes())
        sensor = (await self.client.state(self.s.entity("likes_today")))["state"]
        self.check(
            sensor == str(likes),
            f"{when}: Likes today = {sensor}, emulator counts {likes} likes",
        )
        return likes

    async def check_store(self, when: str) -> None:
        """The store loads and holds the session and every like of the emulator."""
        path = self.hass.store_path(self.s.entry_id)
        try:
            raw = json.loads(path.read_text())
        except (OSError, ValueError) as err:
            self.check(ok=False, message=f"{when}: store {path} loads ({err})")
            return
        from custom_components.ig_autoliker.store import StoredData  # noqa: PLC0415

        data = raw.get("data")
        stored = StoredData.from_dict(data)
        self.check(
            isinstance(data, dict)
            and raw.get("key") == f"{DOMAIN}.{self.s.entry_id}"
            and json.loads(json.dumps(stored.as_dict())) == data,
            f"{when}: store is valid JSON and its data parses without loss",
        )
        self.check(
            isinstance(stored.session, dict) and bool(stored.session),
            f"{when}: store holds the session",
        )
        # Likes a silent block dropped (phase_silent_block) are forgotten on purpose.
        liked = {
            like["media_pk"]
            for like in await self.account_likes()
            if not like.get("dropped")
        }
        remembered = set(stored.liked_posts) | set(stored.liked_stories)
        missing = sorted(liked - remembered)
        self.check(
            not missing,
            f"{when}: store remembers all {len(liked)} liked media (missing {missing})",
        )


async def _publish(run: Run, plan: dict[str, tuple[int, int]]) -> dict[str, set[str]]:
    """Publish (posts, stories) per username a minute later; return the new pks."""
    await run.emulator.advance_clock(60)
    new: dict[str, set[str]] = {}
    for username, (posts, stories) in plan.items():
        pks = new.setdefault(run.s.target_pks[username], set())
        for index in range(posts):
            kind = ("photo", "reel", "album")[index % 3]
            pks.add(await run.emulator.add_post(username, kind))
        for _ in range(stories):
            pks.add(await run.emulator.add_story(username))
        run.published.setdefault(run.s.target_pks[username], set()).update(pks)
    return new


async def _set_enabled(run: Run, target: str, *, on: bool) -> None:
    entity_id = run.s.entity("enabled", target)
    await run.client.call(
        "switch", "turn_on" if on else "turn_off", {"entity_id": entity_id}
    )

    async def switched() -> bool:
        return (await run.client.state(entity_id))["state"] == ("on" if on else "off")

    await wait_until(f"{entity_id} to be {'on' if on else 'off'}", switched, 15)
    say(f"{entity_id} is {'on' if on else 'off'}")


async def phase_first_cycle(run: Run) -> None:
    """Every live story and post of both targets liked once; none of the other."""
    expected = expected_demo_media(TARGETS)
    total = sum(expected.values())

    async def all_liked() -> bool:
        return len(await run.account_likes()) >= total

    await run.run_cycle(f"first cycle, expecting {total} likes", all_liked)
    per_owner = await run.liked_per_owner()
    state = await run.emulator.state()
    untouched_pk = {u["username"]: str(u["pk"]) for u in state["users"]}[UNTOUCHED]
    for username, count in expected.items():
        got = len(per_owner.get(run.s.target_pks[username], set()))
        run.check(got == count, f"first cycle liked {got}/{count} media of {username}")
    run.check(
        untouched_pk not in per_owner,
        f"nothing of {UNTOUCHED} (not a target) was liked",
    )
    await run.check_likes_today("after the first cycle")
    await check_activity(run, TARGETS[0])


async def check_activity(run: Run, target: str) -> None:
    """The account device's Activity (logbook) lists the likes: "liked X's story"."""
    device_id = run.s.device("likes_today")
    wanted = f"liked {target}'s story"

    last: list[str] = []

    async def listed() -> list[str] | None:
        entries = await run.client.ws(
            {
                "type": "logbook/get_events",
                "start_time": run.started_at,
                "device_ids": [device_id],
            }
        )
        messages = [str(entry.get("message")) for entry in entries]
        last[:] = messages
        return messages if wanted in messages else None

    try:
        messages = await wait_until(f"Activity to list {wanted!r}", listed, 15)
    except E2EError as err:
        run.check(ok=False, message=f"{err}; it lists {sorted(set(last))[:8]}")
        return
    run.check(
        messages.count(wanted) >= 1,
        f"the account's Activity lists {len(messages)} entries, "
        f"{messages.count(wanted)} of them {wanted!r}",
    )


async def phase_switched_off(run: Run) -> None:
    """A target switched off is skipped; the other one still gets its new media."""
    off, on = TARGETS[1], TARGETS[0]
    await _set_enabled(run, off, on=False)
    new = await _publish(run, {off: (1, 1), on: (1, 0)})
    on_pk, off_pk = run.s.target_pks[on], run.s.target_pks[off]

    async def on_liked() -> bool:
        return new[on_pk] <= (await run.liked_per_owner()).get(on_pk, set())

    await run.run_cycle(f"{off} switched off", on_liked)
    liked = await run.liked_per_owner()
    run.check(
        not new[off_pk] & liked.get(off_pk, set()),
        f"switched-off {off}: none of its {len(new[off_pk])} new media liked",
    )
    run.check(
        new[on_pk] <= liked.get(on_pk, set()),
        f"enabled {on}: its new post liked",
    )
    await run.check_likes_today("after the cycle with a target switched off")


async def phase_interrupted(run: Run) -> int:
    """SIGTERM `hass` while a cycle likes; returns the login count at the stop."""
    await _set_enabled(run, TARGETS[1], on=True)
    await _publish(run, {TARGETS[0]: (3, 1), TARGETS[1]: (3, 1)})
    before = len(await run.account_likes())
    liked = await run.liked_per_owner()
    waiting = sum(
        len(pks - liked.get(owner, set())) for owner, pks in run.published.items()
    )
    await run.client.call(DOMAIN, "run_cycle", {"config_entry_id": run.s.entry_id})
    say("cycle started: to be interrupted")

    async def first_like() -> bool:
        return len(await run.account_likes()) > before

    await wait_until("the first like of the cycle", first_like, CYCLE_TIMEOUT, 0.05)
    run.hass.terminate()
    stopped_at = time.monotonic()
    say(f"SIGTERM sent to hass after the first like of the cycle (likes {before}+1)")
    code = await run.hass.wait(90)
    say(f"hass exited with {code} after {time.monotonic() - stopped_at:.1f} s")
    run.check(code == 0, f"hass exited normally after SIGTERM (exit code {code})")
    state = await run.emulator.state()
    during = len(likes_of(state, run.s.account_pk)) - before
    run.check(
        during < waiting,
        f"the cycle was interrupted: {during} of {waiting} waiting media liked "
        "before hass exited",
    )
    await run.check_store("after SIGTERM mid-cycle")
    return login_calls(state)


async def phase_restart(run: Run, logins_at_stop: int) -> int:
    """Start again: no login, the rest liked once; returns logins after the restart."""
    await run.hass.start()
    try:
        await run.client.state(run.s.entity("likes_today"))
    except E2EError:
        await run.client.refresh()
    await run.client.wait_running()
    await run.client.wait_loaded(run.s.entry_id)
    after_setup = login_calls(await run.emulator.state()) - logins_at_stop
    run.check(after_setup == 0, f"restart: {after_setup} login calls during setup")
    await run.check_likes_today("after the restart")

    demo = sum(expected_demo_media(TARGETS).values())
    published = sum(len(pks) for pks in run.published.values())

    async def all_liked() -> bool:
        liked = await run.liked_per_owner()
        return all(
            pks <= liked.get(owner, set()) for owner, pks in run.published.items()
        )

    await run.run_cycle(
        f"after the restart, expecting all {published} published media liked",
        all_liked,
    )
    likes = len(await run.account_likes())
    run.check(
        likes == demo + published,
        f"{likes} likes in all = {demo} demo media + {published} published",
    )
    await run.check_likes_today("after the cycle after the restart")
    state = await run.emulator.state()
    twice = double_likes(state, run.s.account_pk)
    run.check(twice == 0, f"no media liked twice ({twice} double likes)")
    logins = login_calls(state) - logins_at_stop
    run.check(logins == 0, f"no login after the restart ({logins} login calls)")
    return logins


#: The schedule helper's days (Home Assistant's schedule integration).
WEEKDAYS = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)


@contextlib.asynccontextmanager
async def repository_server() -> AsyncIterator[str]:
    """Serve the repository's blueprints over HTTP on 127.0.0.1; yield the base URL."""
    app = web.Application()
    app.router.add_static("/blueprints", REPO / "blueprints")
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def set_schedule(run: Run, schedule_id: str | None, *, on: bool) -> str:
    """Create or change the "Liking" schedule: on all day every day, or never."""
    days = {
        day: [{"from": "00:00:00", "to": "24:00:00"}] if on else [] for day in WEEKDAYS
    }
    if schedule_id is None:
        created = await run.client.ws(
            {"type": "schedule/create", "name": "Liking", **days}
        )
        return str(created["id"])
    await run.client.ws(
        {
            "type": "schedule/update",
            "schedule_id": schedule_id,
            "name": "Liking",
            **days,
        }
    )
    return schedule_id


async def wait_auto_like(run: Run, state: str) -> None:
    """Wait (30 s at most) until the account's Auto-like switch is `state` (on/off)."""
    entity_id = run.s.entity("auto_like")

    async def reached() -> bool:
        return (await run.client.state(entity_id))["state"] == state

    await wait_until(f"{entity_id} to be {state}", reached, 30)
    say(f"{entity_id} is {state}")


#: The automation's id in automations.yaml (its state's `id` attribute).
AUTOMATION_ID = "ig_autoliker_e2e_schedule"


async def _automation(run: Run) -> dict[str, Any]:
    """
    Wait until the automation saved under AUTOMATION_ID is loaded; return its state.

    Saving (POST /api/config/automation/config/<id>) only *starts* the reload of the
    automations (the config view calls automation.reload without blocking), so the
    automation may not exist yet when the request answers.
    """

    async def loaded() -> dict[str, Any] | None:
        states: list[dict[str, Any]] = await run.client.request("GET", "/api/states")
        return next(
            (
                state
                for state in states
                if state["entity_id"].startswith("automation.")
                and state["attributes"].get("id") == AUTOMATION_ID
            ),
            None,
        )

    return await wait_until(f"automation {AUTOMATION_ID} to be loaded", loaded, 30)


async def phase_blueprint(run: Run) -> None:
    """
    Import a blueprint from the repository and let its automation work.

    The import goes through the frontend's own websocket commands (blueprint/import,
    blueprint/save); the file is served from this repository over HTTP, as GitHub
    would serve it. The automation ("Like only while a schedule is on") must turn
    Auto-like off when the real schedule helper turns off, and on again when it turns
    on (Auto-like is on before, so both steps are the automation's doing).
    """
    async with repository_server() as base:
        url = f"{base}/blueprints/automation/ig_autoliker/pause_outside_schedule.yaml"
        imported = await run.client.ws({"type": "blueprint/import", "url": url})
    path = f"{imported['suggested_filename']}.yaml"
    await run.client.ws(
        {
            "type": "blueprint/save",
            "domain": "automation",
            "path": path,
            "yaml": imported["raw_data"],
            "source_url": url,
        }
    )
    say(f"blueprint imported from the repository as {path}")
    try:
        await wait_auto_like(run, "on")
        schedule_id = await set_schedule(run, None, on=True)
        await run.client.request(
            "POST",
            f"/api/config/automation/config/{AUTOMATION_ID}",
            {
                "alias": "Like only while Liking is on",
                "use_blueprint": {
                    "path": path,
                    "input": {
                        "schedule": "schedule.liking",
                        "auto_like": run.s.entity("auto_like"),
                    },
                },
            },
        )
        automation = await _automation(run)
        say(f"{automation['entity_id']} is {automation['state']}")
        await set_schedule(run, schedule_id, on=False)
        await wait_auto_like(run, "off")
        await set_schedule(run, schedule_id, on=True)
        await wait_auto_like(run, "on")
        automation = await _automation(run)
    except E2EError as err:
        run.check(ok=False, message=f"blueprint automation: {err}")
        return
    run.check(
        automation["state"] == "on"
        and automation["attributes"].get("last_triggered") is not None,
        "the imported blueprint's automation turned Auto-like off and on with the "
        f"schedule (last triggered {automation['attributes'].get('last_triggered')})",
    )


async def scenario(run: Run) -> None:
    """Run every phase, recording failed checks in `run`."""
    await run.hass.start()
    await run.client.onboard()
    await run.client.wait_running()
    run.setup = await set_up_integration(run.client, run.emulator, TARGETS)
    await phase_first_cycle(run)
    await phase_switched_off(run)
    logins_at_stop = await phase_interrupted(run)
    run.logins_after_restart = await phase_restart(run, logins_at_stop)
    await phase_blueprint(run)
    run.silent_after_likes = await phase_silent_block(run, TARGETS[0])
    code = await run.hass.stop()
    run.check(code == 0, f"hass stopped normally at the end (exit code {code})")
    await run.check_store("after the final stop")


async def run_all(workdir: Path, venv: Path | None = None) -> Run:
    """Start the emulator, run the scenario, always stop both processes."""
    emulator = await Emulator.start(workdir)
    hass = Hass.create(workdir, emulator, venv)
    async with aiohttp.ClientSession() as session:
        run = Run(emulator, hass, HassClient(hass, session))
        try:
            await scenario(run)
        except Exception as err:  # noqa: BLE001 - any crash is a failure to report
            run.failures.append(f"{type(err).__name__}: {err}")
        finally:
            try:
                await hass.stop(30)
            finally:
                try:
                    run.final_state = await emulator.state()
                    (workdir / "emulator-state.json").write_text(
                        json.dumps(run.final_state, indent=1)
                    )
                except E2EError, aiohttp.ClientError, TimeoutError:
                    pass
                await emulator.stop()
    return run


def main(argv: list[str] | None = None) -> int:
    """Entry point of scripts/e2e."""
    parser = argparse.ArgumentParser(
        prog="scripts/e2e", description=__doc__.split("\n")[1]
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the temporary directory (logs, config)",
    )
    parser.add_argument(
        "--ha",
        metavar="VERSION",
        help="run against this Home Assistant release in its own venv "
        "(.venv-ha-VERSION); Home Assistant's installer puts in instagrapi",
    )
    args = parser.parse_args(argv)
    # SIGTERM (a CI timeout) unwinds like Ctrl-C, so both subprocesses are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.monotonic()
    venv = None if args.ha is None else havenv.build(args.ha)
    built = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="ig_autoliker_e2e."))
    try:
        run = asyncio.run(run_all(workdir, venv))
    except KeyboardInterrupt, SystemExit:
        say(f"interrupted; both subprocesses were stopped; kept {workdir}")
        raise
    hass_logs = sorted(workdir.glob("hass-*.log"))
    errors = [record for log in hass_logs for record in errors_in_log(log)]
    for record in errors:
        say(f"integration error in the hass log:\n{record}")
    likes = twice = 0
    if run.final_state is not None and run.setup is not None:
        likes = len(likes_of(run.final_state, run.setup.account_pk))
        twice = double_likes(run.final_state, run.setup.account_pk)
    logins = run.logins_after_restart
    silent = "n/a" if run.silent_after_likes is None else run.silent_after_likes
    ha_version = havenv.installed_version(
        venv or havenv.VENV_BIN.parent, "homeassistant"
    )
    instagrapi = havenv.installed_version(venv or havenv.VENV_BIN.parent, "instagrapi")
    if venv is not None and instagrapi is None:
        run.failures.append("Home Assistant's installer did not install instagrapi")
    ok = not run.failures and not errors and logins == 0 and twice == 0
    elapsed = time.monotonic() - started
    if not ok:
        for failure in run.failures:
            say(f"FAILED: {failure}")
        for log in [*hass_logs, workdir / "sandbox.log"]:
            sys.stderr.write(f"\n----- tail of {log} -----\n{tail(log)}\n")
        say(f"kept {workdir} for inspection")
    elif args.keep:
        say(f"kept {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    say(
        f"{'passed' if ok else 'FAILED'} in {elapsed:.1f} s "
        f"(venv {built - started:.1f} s, run {time.monotonic() - built:.1f} s)"
    )
    sys.stdout.write(
        f"e2e: ha={ha_version} instagrapi={instagrapi} likes={likes} "
        f"logins_after_restart={'n/a' if logins is None else logins} "
        f"double_likes={twice} errors_in_log={len(errors)} "
        f"silent_block_after_likes={silent}\n"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
