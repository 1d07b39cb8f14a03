"""Scriptable fault injection for the sandbox, per endpoint and per nth call.

An endpoint is the request path as instagrapi names it: the part after `/api/v1/`
(`media/123/like/`, `accounts/login/`), `v2/` plus the rest for `/api/v2/`
(`v2/media/seen/`), or `graphql_www`. Patterns are `fnmatch` patterns on that
string (`*` also matches `/`), e.g. `"media/*/like/"` or `"feed/user/*/story/"`.

    rule = world.faults.add("media/*/like/", Fault.HTTP_429, on_call=3)

fires on the third matching request counted from the moment the rule was added (and
only then: `times=1`). `times=None` keeps firing on every matching call from
`on_call` on. Rules are checked in the order they were added; the first that fires
wins, but every matching rule counts the call.

SILENT_DROP and SILENT_UNDO are silent like blocks: the like (`media/<pk>/like/`,
`story_interactions/send_story_like`) is answered `{"status": "ok"}` as usual, but
SILENT_DROP keeps nothing and SILENT_UNDO keeps it for `delay` seconds of *world*
time; the feeds (`has_liked`) tell the truth. On any other endpoint a matching rule
still counts and "fires", but the request is answered normally. For a block that
lasts (every like of an account from a time on) use `World.silent_block`.

    world.faults.add("media/*/like/", Fault.SILENT_DROP, times=None)
    world.faults.add("story_interactions/send_story_like", Fault.SILENT_UNDO,
                     delay=120)

CONNECTION_RESET cuts the client's CONNECT tunnel with a TCP RST. libcurl (instagrapi's
transport) transparently resends a request once when a *reused* connection dies before
any answer, so a single reset is usually invisible to the caller: use `times=2` to
make it surface.

TIMEOUT is Instagram acting on a request whose answer never reaches the client in
time: the request is handled when it arrives (a like lands, a feed shows it at once)
and only the answer waits `delay` seconds. `act_late=True` is the slow server
instead: it handles the request only after the delay, when the client may have
given up and looked again.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from enum import StrEnum
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .world import World as _World


class Fault(StrEnum):
    """What the sandbox does instead of answering normally.

    The status-type faults answer the captured bodies of `captures.py` (their
    sources are in SOURCES.md); RAW answers whatever status, body and headers the
    rule sets.
    """

    HTTP_429 = "http_429"  # 429 "rate limited"; `retry_after` adds Retry-After
    HTTP_500 = "http_500"  # 5xx with Instagram's HTML error page
    HTTP_502 = "http_502"
    HTTP_503 = "http_503"
    CONNECTION_RESET = "connection_reset"  # TCP reset of the client's tunnel
    TIMEOUT = "timeout"  # acts at once, answers only after `delay` s (real time)
    MALFORMED_JSON = "malformed_json"  # 200 with a body that is not JSON
    LOGIN_REQUIRED = "login_required"  # 403 login_required (the session stays valid)
    # challenge_required, native_flow true (Instagram's default): opens a checkpoint
    # that the user confirms in the app (admin API / World.confirm_challenge).
    CHALLENGE_REQUIRED = "challenge_required"
    # challenge_required, native_flow false: a checkpoint passed by an email/SMS code.
    CHALLENGE_CODES = "challenge_codes"
    # The older wording: message checkpoint_required + checkpoint_url (native).
    CHECKPOINT_REQUIRED = "checkpoint_required"
    ACCOUNT_SUSPENDED = "account_suspended"  # challenge_required, /suspended/ URL
    FEEDBACK_REQUIRED = "feedback_required"  # "We restrict certain activity...", spam
    FEEDBACK_BLOCKED = "feedback_blocked"  # "This action was blocked...", spam
    PLEASE_WAIT = "please_wait"  # 400 "Please wait a few minutes..." (`status` too)
    NEEDS_UPGRADE = "needs_upgrade"  # 400 needs_upgrade: the app is too old
    IP_BLOCK = "ip_block"  # 400 ip_block on a login (the message names the username)
    INVALID_USER = "invalid_user"  # 400 unknown username with error_type invalid_user
    RAW = "raw"  # answers `status` with `body` and `headers` verbatim
    # The image CDN's 403 "URL signature expired" (cdn.py): a picture URL too old.
    CDN_SIGNATURE_EXPIRED = "cdn_signature_expired"
    # Silent like blocks (likes only; see module docstring): answered ok, but...
    SILENT_DROP = "silent_drop"  # ...not kept: every later feed shows it unliked
    SILENT_UNDO = "silent_undo"  # ...kept for `delay` world seconds, then removed


#: Faults that answer normally and change what the world keeps.
SILENT_FAULTS = frozenset({Fault.SILENT_DROP, Fault.SILENT_UNDO})


@dataclass
class FaultRule:
    """One scripted fault.

    Attributes:
        pattern: fnmatch pattern on the endpoint (see module docstring).
        fault: What happens.
        on_call: 1-based number of the first matching call that faults.
        times: How many consecutive matching calls fault; None = all from on_call on.
        method: Only requests with this HTTP method match (None = any).
        delay: Seconds the TIMEOUT fault waits before answering (real time); for
            SILENT_UNDO, world-clock seconds the like stays before it is removed.
        act_late: TIMEOUT only: handle the request after the delay (a slow server)
            instead of on arrival (an answer lost after Instagram acted).
        act_within: act_late only: the slow server acts at the latest this many
            world-clock seconds after the request arrived, even if `delay` real
            seconds have not passed (a simulation moves the world clock far
            faster than real time; None: real time only).
        retry_after: Seconds for a Retry-After header (HTTP_429 / PLEASE_WAIT only).
        status / body / headers: The verbatim answer of a RAW fault (`status` also
            sets PLEASE_WAIT's status when not 200; `headers` are added to any
            status-type fault's answer).
        calls: Matching calls seen so far (updated by the sandbox).
        fired: How often this rule has fired.
    """

    pattern: str
    fault: Fault
    on_call: int = 1
    times: int | None = 1
    method: str | None = None
    delay: float = 5.0
    act_late: bool = False
    act_within: float | None = None
    retry_after: int | None = None
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    calls: int = 0
    fired: int = 0

    def matches(self, method: str, endpoint: str) -> bool:
        """True when a request with this method and endpoint is counted by the rule."""
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return fnmatchcase(endpoint, self.pattern)

    def as_dict(self) -> dict[str, object]:
        """JSON-safe view (admin API)."""
        return {
            "endpoint": self.pattern,
            "fault": self.fault.value,
            "on_call": self.on_call,
            "times": self.times,
            "method": self.method,
            "delay": self.delay,
            "act_late": self.act_late,
            "retry_after": self.retry_after,
            "status": self.status,
            "headers": dict(self.headers),
            "calls": self.calls,
            "fired": self.fired,
        }


@dataclass
class Faults:
    """Thread-safe list of fault rules, consulted once per Instagram request."""

    _rules: list[FaultRule] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(
        self,
        pattern: str,
        fault: Fault | str,
        *,
        on_call: int = 1,
        times: int | None = 1,
        method: str | None = None,
        delay: float = 5.0,
        act_late: bool = False,
        act_within: float | None = None,
        retry_after: int | None = None,
        status: int = 200,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
    ) -> FaultRule:
        """Script a fault; returns the rule (its `calls`/`fired` update live)."""
        if on_call < 1:
            msg = "on_call is 1-based"
            raise ValueError(msg)
        if times is not None and times < 1:
            msg = "times must be >= 1 or None"
            raise ValueError(msg)
        rule = FaultRule(
            pattern=pattern,
            fault=Fault(fault),
            on_call=on_call,
            times=times,
            method=method,
            delay=delay,
            act_late=act_late,
            act_within=act_within,
            retry_after=retry_after,
            status=status,
            body=body,
            headers=dict(headers or {}),
        )
        with self._lock:
            self._rules.append(rule)
        return rule

    def remove(self, rule: FaultRule) -> None:
        """Remove one rule (no error when it is gone already)."""
        with self._lock:
            if rule in self._rules:
                self._rules.remove(rule)

    def clear(self) -> None:
        """Remove every rule."""
        with self._lock:
            self._rules.clear()

    @property
    def rules(self) -> list[FaultRule]:
        """A copy of the current rules."""
        with self._lock:
            return list(self._rules)

    def check(self, method: str, endpoint: str) -> FaultRule | None:
        """Count the request against every matching rule; return the one that fires."""
        chosen: FaultRule | None = None
        with self._lock:
            for rule in self._rules:
                if not rule.matches(method, endpoint):
                    continue
                rule.calls += 1
                last = None if rule.times is None else rule.on_call + rule.times - 1
                due = rule.calls >= rule.on_call and (
                    last is None or rule.calls <= last
                )
                if due and chosen is None:
                    rule.fired += 1
                    chosen = rule
        return chosen


@dataclass
class SoftThrottle:
    """Warnings that rise with the like rate, then a hard block if the account goes on.

    The pattern peer users report before an action block (tests/sandbox/SOURCES.md,
    "Soft throttle"): going too fast first earns rate-limit answers, and an account
    that keeps the rate up gets `feedback_required`. Driven from the world clock
    (`tick(world, now)` after each move, e.g. a benchmark's `on_tick`): while more
    than `warn_above` like requests arrived in the last `window` seconds, the next
    like is armed to be answered HTTP 429 (with `retry_after`), at most one warning
    per `spacing` seconds, so the faster the account, the more warnings. Once
    `block_after` warnings fell within `memory` seconds and the rate is still above,
    the next like gets `feedback_required` instead (a hard block); the throttle
    ends there. An armed warning whose rate dropped before a like came is disarmed.
    The thresholds are scenario parameters, not captured values.
    """

    since: float
    until: float
    warn_above: int = 25
    window: float = 3600.0
    spacing: float = 900.0
    block_after: int = 5
    memory: float = 6 * 3600.0
    retry_after: int = 60
    pattern: str = "*like*"
    #: Times the warnings and the hard block were armed (world seconds).
    warnings: list[float] = field(default_factory=list)
    blocks: list[float] = field(default_factory=list)
    _armed: FaultRule | None = None

    def tick(self, world: _World, now: float) -> None:
        """Arm or disarm the next like's warning or block for the rate at `now`."""
        armed = self._armed
        if armed is not None and armed.fired:
            self._armed = armed = None
        if not self.since <= now < self.until or self.blocks:
            return
        rate = sum(
            r.at > now - self.window for r in world.requests(self.pattern, "POST")
        )
        if rate <= self.warn_above:
            if armed is not None:
                world.faults.remove(armed)
                block = armed.fault is Fault.FEEDBACK_REQUIRED
                (self.blocks if block else self.warnings).pop()
                self._armed = None
            return
        if armed is not None:
            return
        recent = sum(at > now - self.memory for at in self.warnings)
        if recent >= self.block_after:
            self.blocks.append(now)
            self._armed = world.faults.add(
                self.pattern, Fault.FEEDBACK_REQUIRED, method="POST"
            )
        elif not self.warnings or now - self.warnings[-1] >= self.spacing:
            self.warnings.append(now)
            self._armed = world.faults.add(
                self.pattern,
                Fault.HTTP_429,
                method="POST",
                retry_after=self.retry_after,
            )
