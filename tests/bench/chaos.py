"""
`scripts/benchmark --chaos [DAYS] [SEED]`: a week of random faults, kills, restarts.

The harness of `tests/bench/sim.py` (the real coordinator, store, like history and
instagrapi against the emulator, fake clock) at 20 targets, replayed from a seed:

- a share of all requests (`FAULT_SHARE`) meets a fault drawn from every kind the
  emulator has (`FAULTS`, `RandomFaults`);
- on average every 6 simulated hours (exponential gaps) the process stops: a
  graceful stop (Home Assistant's stop: the final save runs), a hard kill (the files
  stay as they were: a pending delayed save is lost) or a kill in the middle of the
  store write (a torn store file, see `tear`); each restart is a new Home Assistant
  over the files on disk as they are;
- a challenge or reauthentication is answered as a user would, after a random delay
  of minutes to hours (log-uniform, 5 min to 8 h).

The auditor (`tests/bench/audit.py`) checks Instagram's truth against the
integration after every restart and at the end. The last line is the `chaos:` line.
"""

from __future__ import annotations

import asyncio
import math
import random
import sys
import tempfile
import time
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any
from unittest.mock import patch

from custom_components.ig_autoliker.const import DOMAIN, EVENT_ACTION_BLOCKED
from custom_components.ig_autoliker.coordinator import IgAutolikerCoordinator
from custom_components.ig_autoliker.engine import client as api_module
from custom_components.ig_autoliker.engine.history import LikeHistory
from custom_components.ig_autoliker.options import limits_from_options, options_of
from homeassistant import loader
from homeassistant.config_entries import (
    SOURCE_REAUTH,
    ConfigEntryState,
    ConfigSubentryData,
)
from homeassistant.data_entry_flow import UnknownFlow
from homeassistant.helpers.storage import STORAGE_DIR
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_test_home_assistant,
)

from tests.bench.audit import Auditor
from tests.bench.sim import (
    DAY,
    HOUR,
    KEEP_ALIVE_CHECK,
    START,
    SimConfig,
    _entry,
    _environment,
    _Simulation,
    build_world,
    seeded_jitter,
)
from tests.integration.test_fault_matrix import (
    CLIENT_TIMEOUT,
    TIMEOUT_DELAY,
    solve_challenge,
)
from tests.sandbox import Fault, Sandbox
from tests.sandbox.faults import FaultRule, Faults

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant


TARGETS = 20
#: Realistic posting, as the silent-block benchmark: an active personal account
#: posts a few stories a day and a post every day or two.
STORIES_PER_DAY = 6.0
POSTS_PER_DAY = 1.5
MEAN_STOP_GAP = 6 * HOUR
#: The share of requests that meet a fault. Each fault makes the integration send
#: less (a cycle ends, a backoff, the adaptive pace, a freeze), so the requests of
#: a week fall as the share rises; README ("A chaos week") gives the measured
#: curve and the choice.
FAULT_SHARE = 0.15
#: Draw weights by what a fault does to the account. The network's own failures
#: (reset, timeout before or after Instagram acted, a broken answer) weigh 1: the
#: integration retries a read and marks a like unsure, and goes on.
NETWORK = 1.0
#: Each of the three 5xx answers: three in ten minutes are a warning (pace.py).
SERVER = 0.3
#: The answers that are warnings about the account (429 with and without
#: Retry-After, `login_required`, a dropped like): each lowers the pace, which
#: slows the rest of the week; drawn as often as the network's failures they
#: would keep the account at its slowest pace all week.
WARNING = 0.2
#: The answers that hold the account for hours (a checkpoint waits for the user;
#: `feedback_required` freezes likes for 12-24 h and longer when it comes again;
#: "Please wait" freezes everything).
RARE = 0.015
#: World seconds within which a slow server acts on a request whose answer the
#: client gave up on (its read timeout is real seconds, during which the simulated
#: clock may run on for many minutes): a slow answer, not a request kept for later.
SLOW_SERVER = 60.0
#: Every fault kind of the emulator, as (kind, rule keywords, endpoint pattern,
#: draw weight).
FAULTS: tuple[tuple[Fault, dict[str, Any], str, float], ...] = (
    (Fault.HTTP_429, {}, "*", WARNING),
    (Fault.HTTP_429, {"retry_after": 600}, "*", WARNING),
    (Fault.HTTP_500, {}, "*", SERVER),
    (Fault.HTTP_502, {}, "*", SERVER),
    (Fault.HTTP_503, {}, "*", SERVER),
    (Fault.CONNECTION_RESET, {"times": 2}, "*", NETWORK),
    (Fault.TIMEOUT, {"delay": TIMEOUT_DELAY}, "*", NETWORK),
    (
        Fault.TIMEOUT,
        {"delay": TIMEOUT_DELAY, "act_late": True, "act_within": SLOW_SERVER},
        "*",
        NETWORK,
    ),
    (Fault.MALFORMED_JSON, {}, "*", NETWORK),
    (Fault.LOGIN_REQUIRED, {}, "*", WARNING),
    (Fault.CHALLENGE_REQUIRED, {}, "*", RARE),
    (Fault.CHALLENGE_CODES, {}, "*", RARE),
    (Fault.FEEDBACK_REQUIRED, {}, "*", RARE),
    (Fault.PLEASE_WAIT, {}, "*", RARE),
    (Fault.SILENT_DROP, {}, "media/*/like/", WARNING),
)
STOPS = ("graceful", "hard", "torn")


class RandomFaults(Faults):
    """
    The emulator's fault rules, plus a random fault on a share of all requests.

    Every request Instagram receives (logins, feeds, likes, keep-alives, the
    retries) is one chance: with probability `share` it meets a fault drawn from
    the kinds of `FAULTS` that apply to its endpoint (the silent drop only to a
    post like), by their weights. Drawn in the emulator's own check, so no
    request between two draws goes unexposed. A connection reset also cuts the
    transparent resend that follows it (`times=2`, see `tests/sandbox/faults.py`).

    Attributes:
        drawn: How many faults were drawn (one per faulted request, a reset
            and its resend count once).
        calm: No more random faults (the end of the run).

    """

    def __init__(self, rng: random.Random, share: float) -> None:
        super().__init__()
        self.rng = rng
        self.share = share
        self.drawn = 0
        self.calm = False

    def check(self, method: str, endpoint: str) -> FaultRule | None:
        """As `Faults.check`; a request no rule faults may meet a random fault."""
        rule = super().check(method, endpoint)
        if rule is not None or self.calm or self.rng.random() >= self.share:
            return rule
        kinds = [item for item in FAULTS if fnmatchcase(endpoint, item[2])]
        kind, keywords, _, _ = self.rng.choices(
            kinds, weights=[item[3] for item in kinds]
        )[0]
        rule = FaultRule(endpoint, kind, calls=1, fired=1, **keywords)
        with self._lock:
            self._rules = [r for r in self._rules if _pending(r)]
            if rule.times is None or rule.times > 1:
                self._rules.append(rule)  # the resend meets it too
        self.drawn += 1
        return rule


def _pending(rule: FaultRule) -> bool:
    """Tell whether a rule may still fire."""
    return rule.times is None or rule.calls < rule.on_call + rule.times - 1


class Timers:
    """
    The store's save timer on the simulated clock.

    The store schedules its delayed write with `async_call_later` (`SAVE_DELAY` s of
    real time); the simulated clock runs thousands of times faster, so without this
    no delayed write would ever land before a kill and every kill would lose hours.
    """

    def __init__(self, sim: _Simulation) -> None:
        self.sim = sim
        self.due: list[tuple[float, Any]] = []

    def call_later(self, _hass: object, delay: float, action: Any) -> Any:
        """`async_call_later` on the simulated clock; returns the cancel callable."""
        item = (self.sim.now + delay, action)
        self.due.append(item)
        return lambda: item in self.due and self.due.remove(item)

    async def fire(self) -> None:
        """Run the timers that are due."""
        for item in [item for item in self.due if item[0] <= self.sim.now]:
            self.due.remove(item)
            await item[1](None)

    def sleeper(self) -> Any:
        """The coordinator's `_sleep`: moves the clock, runs the due timers."""

        async def _sleep(_self: object, seconds: float) -> None:
            self.sim.advance(seconds)
            await self.fire()

        return _sleep


@dataclass
class ChaosResult:
    """The figures of one chaos run (the `chaos:` line) and the auditor's notes."""

    days: float
    faults: int
    restarts: int
    torn_writes: int
    counts: dict[str, int]
    notes: list[str] = field(default_factory=list)
    wall_seconds: float = 0.0
    requests: int = 0
    likes: int = 0

    def line(self) -> str:
        """The benchmark's last line."""
        found = " ".join(f"{key}={value}" for key, value in self.counts.items())
        return (
            f"chaos: days={self.days:g} faults={self.faults} "
            f"restarts={self.restarts} torn_writes={self.torn_writes} {found}"
        )


class Chaos:
    """One chaos run: the simulation, the random faults and stops, the user."""

    def __init__(self, days: float, seed: int) -> None:
        # One stream per kind of draw, so that the draws of one do not shift
        # the others when timing moves a fault by a request.
        self.stops = random.Random(seed + 1)
        self.user = random.Random(seed + 2)
        self.config = SimConfig(
            targets=TARGETS,
            days=days,
            seed=seed,
            stories_per_day=STORIES_PER_DAY,
            posts_per_day=POSTS_PER_DAY,
        )
        self.world = build_world(self.config)
        self.world.faults = self.faults = RandomFaults(random.Random(seed), FAULT_SHARE)
        self.restarts = 0
        self.torn = 0
        self.answer_at: float | None = None
        self.template: MockConfigEntry | None = None
        limits = limits_from_options(options_of(self.config.options))
        self.auditor = Auditor(self.world, limits)

    def _entry(self, entry_id: str) -> MockConfigEntry:
        """
        The same entry in every life: ids as the config entries file keeps them.

        Home Assistant's registries on disk tie devices to the subentry ids, so
        a restart must see the ids it saw before.
        """
        template = self.template or _entry(self.world, self.config)
        self.template = template
        return MockConfigEntry(
            domain=DOMAIN,
            entry_id=entry_id,
            title=template.title,
            unique_id=template.unique_id,
            data=dict(template.data),
            options=dict(template.options),
            subentries_data=[
                ConfigSubentryData(
                    data=dict(sub.data),
                    subentry_id=sub.subentry_id,
                    subentry_type=sub.subentry_type,
                    title=sub.title,
                    unique_id=sub.unique_id,
                )
                for sub in template.subentries.values()
            ],
        )

    # ------------------------------------------------------------------- stops
    def _tear(self, folder: Path, key: str) -> None:
        """
        Leave the store as a kill in the middle of its write can.

        Home Assistant's Store writes through `write_utf8_file_atomic` (a temp file
        in the same folder, flushed, then renamed over the old one), so a process
        that dies mid-write leaves the old file and a stray temp file. The torn file
        is the power cut after the rename on storage that acknowledged a flush it
        had not done (SD cards, some USB disks: the common Raspberry Pi installs):
        the new name holds a prefix of the new text, or nothing. We model both: a
        random prefix, one time in five an empty file. The integration writes its
        state to two files one after the other (the store and its copy); a cut
        interrupts one write, so one of the two, chosen at random, is torn.
        """
        path = folder / self.stops.choice((key, f"{key}.copy"))
        if not path.exists():
            return
        text = path.read_bytes()
        cut = 0 if self.stops.random() < 0.2 else self.stops.randrange(1, len(text))
        path.write_bytes(text[:cut])
        self.torn += 1

    # -------------------------------------------------------------------- life
    async def _life(
        self, sim: _Simulation, config_dir: str, entry_id: str, stop_at: float
    ) -> None:
        """Start Home Assistant over the files on disk, run until `stop_at`."""
        kind = self.stops.choice(STOPS)
        folder = Path(config_dir, STORAGE_DIR)
        key = f"{DOMAIN}.{entry_id}"
        frozen: dict[str, bytes] = {}
        async with async_test_home_assistant(config_dir=config_dir) as hass:
            hass.data.pop(loader.DATA_CUSTOM_COMPONENTS, None)
            entry = self._entry(entry_id)
            entry.add_to_hass(hass)
            hass.bus.async_listen(
                EVENT_ACTION_BLOCKED,
                lambda event: self.auditor.on_blocked(sim.now, dict(event.data)),
            )
            with patch("custom_components.ig_autoliker.async_call_later"):
                await hass.config_entries.async_setup(entry.entry_id)
                await hass.async_block_till_done()
            if entry.state is ConfigEntryState.LOADED:
                self.auditor.after_restart(
                    entry.runtime_data,
                    LikeHistory(folder / f"{key}.history.db"),
                    sim.now,
                )
            try:
                await self._run(hass, entry, sim, stop_at)
            finally:
                self.timers.due.clear()  # they die with the process
            await hass.async_block_till_done()
            if kind != "graceful":
                frozen = _snapshot(folder)
            if sim.now >= sim.end and entry.state is ConfigEntryState.LOADED:
                await self._finish(hass, entry, sim)
            await hass.config_entries.async_unload(entry.entry_id)
            await hass.async_stop(force=True)
        if frozen:  # a kill: the files as they were, nothing the stop wrote
            _restore(folder, frozen)
            if kind == "torn":
                self._tear(folder, key)
        self.auditor.notes.append(f"{kind} stop at {sim.now:.0f}")

    async def _run(
        self,
        hass: HomeAssistant,
        entry: MockConfigEntry,
        sim: _Simulation,
        stop_at: float,
    ) -> None:
        until = min(stop_at, sim.end)
        while sim.now < until:
            await self._user(hass, entry, sim)
            if entry.state is not ConfigEntryState.LOADED:
                sim.advance(KEEP_ALIVE_CHECK)
                await self.timers.fire()
                if entry.state is ConfigEntryState.SETUP_RETRY:
                    with patch("custom_components.ig_autoliker.async_call_later"):
                        await hass.config_entries.async_reload(entry.entry_id)
                continue
            coordinator: IgAutolikerCoordinator = entry.runtime_data
            await coordinator.async_refresh()
            if coordinator.engine.next_cycle_at <= sim.now:  # held (reauth, freeze)
                sim.advance(KEEP_ALIVE_CHECK)
            await self.timers.fire()
            while sim.now < min(coordinator.engine.next_cycle_at, until):
                sim.advance(
                    min(KEEP_ALIVE_CHECK, coordinator.engine.next_cycle_at - sim.now)
                )
                await self.timers.fire()
                await coordinator.async_keep_alive()
                await self._user(hass, entry, sim)
                if entry.state is not ConfigEntryState.LOADED:
                    break

    async def _user(
        self, hass: HomeAssistant, entry: MockConfigEntry, sim: _Simulation
    ) -> None:
        """Answer a reauthentication after a random delay, as a user would."""
        flows = [
            flow
            for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
            if flow["context"]["source"] == SOURCE_REAUTH
        ]
        if not flows:
            self.answer_at = None
            return
        if self.answer_at is None:
            self.answer_at = sim.now + math.exp(
                self.user.uniform(math.log(300), math.log(8 * HOUR))
            )
        if sim.now < self.answer_at:
            return
        self.answer_at = None
        with patch("custom_components.ig_autoliker.async_call_later"):
            try:
                await solve_challenge(hass, entry, self.world)
            except AssertionError:
                # A fault cut the dialog short (a code Instagram took, its answer
                # lost; a sign-in that kept failing): the user closes it, and the
                # integration's next cycle opens a fresh one.
                for flow in flows:
                    with suppress(UnknownFlow):
                        hass.config_entries.flow.async_abort(flow["flow_id"])
                self.auditor.notes.append(f"reauth dialog closed at {sim.now:.0f}")

    async def _finish(
        self, hass: HomeAssistant, entry: MockConfigEntry, sim: _Simulation
    ) -> None:
        """Every cause gone, the user answers at once: two more cycles, the audit.

        A dialog the user had to close is opened afresh by the next cycle; the
        user answers that one too (at most twice).
        """
        self.faults.calm = True
        self.faults.clear()
        for _ in range(2):
            self.answer_at = sim.now
            await self._user(hass, entry, sim)
            for _ in range(2):
                coordinator: IgAutolikerCoordinator = entry.runtime_data
                sim.advance(max(0.0, coordinator.engine.next_cycle_at - sim.now))
                await coordinator.async_refresh()
                await hass.async_block_till_done()
        self.auditor.at_end(hass, entry.runtime_data, sim.now)

    async def run(self) -> ChaosResult:
        """The whole run (see the module docstring)."""
        started = time.perf_counter()
        start = START
        sim = _Simulation(
            self.config,
            self.world,
            start,
        )
        self.world.clock.set(start)
        self.timers = Timers(sim)
        entry_id = f"chaos{self.stops.getrandbits(64):016x}"
        options = api_module.ConnectionOptions(timeout=CLIENT_TIMEOUT)
        with ExitStack() as stack:
            sandbox = stack.enter_context(Sandbox(self.world))
            stack.enter_context(_environment(sandbox.env()))
            config_dir = stack.enter_context(tempfile.TemporaryDirectory())
            stack.enter_context(
                patch.object(IgAutolikerCoordinator, "_now", staticmethod(sim.time))
            )
            stack.enter_context(
                patch.object(IgAutolikerCoordinator, "_sleep", self.timers.sleeper())
            )
            stack.enter_context(seeded_jitter(self.config.seed))
            stack.enter_context(
                patch(
                    "custom_components.ig_autoliker.store.async_call_later",
                    self.timers.call_later,
                )
            )
            stack.enter_context(
                patch(
                    "custom_components.ig_autoliker.executor.InstagramClient",
                    partial(api_module.InstagramClient, options=options),
                )
            )
            while sim.now < sim.end:
                stop_at = sim.now + self.stops.expovariate(1 / MEAN_STOP_GAP)
                await self._life(sim, config_dir, entry_id, stop_at)
                print(
                    f"chaos-life: day={(sim.now - start) / DAY:.2f} "
                    f"faults={self.faults.drawn} requests={len(self.world.requests())} "
                    f"wall_s={time.perf_counter() - started:.0f}",
                    file=sys.stderr,
                )
                if sim.now < sim.end:
                    self.restarts += 1
        return ChaosResult(
            days=self.config.days,
            faults=self.faults.drawn,
            restarts=self.restarts,
            torn_writes=self.torn,
            counts=self.auditor.counts(),
            notes=self.auditor.notes,
            wall_seconds=time.perf_counter() - started,
            requests=len(self.world.requests()),
            likes=self.auditor.likes_kept(),
        )


def _snapshot(folder: Path) -> dict[str, bytes]:
    """The files of the storage folder as a kill leaves them: name -> content."""
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def _restore(folder: Path, frozen: dict[str, bytes]) -> None:
    """Put the storage folder back as `_snapshot` saw it."""
    for path in folder.iterdir():
        if path.is_file() and path.name not in frozen:
            path.unlink()
    for name, data in frozen.items():
        (folder / name).write_bytes(data)


def bench_chaos(days: float = 7.0, seed: int = 1) -> ChaosResult:
    """Run, print the notes and the `chaos:` line last; blocking."""
    result = asyncio.run(Chaos(days, seed).run())
    for note in result.notes:
        print(f"chaos-note: {note}")
    print(
        f"chaos-detail: seed={seed} requests={result.requests} "
        f"likes_kept={result.likes} wall_s={result.wall_seconds:.0f}"
    )
    print(result.line())
    return result
