"""The fault matrix: every fault Instagram can throw, in every phase, once and in a row.

Ten fault kinds (429 with and without Retry-After, 5xx, connection reset, client
timeout, malformed JSON, login_required, challenge_required, feedback_required,
"Please wait a few minutes") meet four phases (setup login with a saved session,
fetching a target's feeds, the like request, keep-alive), each once and three times in
a row, each followed by the fault clearing. Every cell is driven through the
emulator's scripted faults with the real instagrapi and asserts what the user sees
(entry state, "Session health", "Rate-limit state", "Backoff until", the challenge
binary sensor, the repair issue, the reauthentication flow), that the integration
recovers by itself where it can and asks where it must, that no like is lost or
doubled (the emulator's like log against the store and the counters) and that no
limit is exceeded.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum
from functools import partial
from typing import TYPE_CHECKING, Any
from unittest.mock import patch

import pytest
from custom_components.ig_autoliker.const import DOMAIN
from custom_components.ig_autoliker.engine import client as api_module
from custom_components.ig_autoliker.engine.events import SessionHealth
from custom_components.ig_autoliker.engine.ratelimit import Action
from custom_components.ig_autoliker.store import (
    STORAGE_MINOR_VERSION,
    STORAGE_VERSION,
    StoredData,
)
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import CONF_CODE, CONF_METHOD, CONF_PASSWORD
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from tests.sandbox import Fault, World
from tests.sandbox.testworld import ALICE, PRIVATE_FOLLOWED

from .conftest import FakeClock, flow_sources, run_cycle
from .test_cycle import coordinator_of, liked_by_alice, media_of
from .test_resilience import max_in_window

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from tests.sandbox.faults import FaultRule

#: The adapter's read timeout in this module, seconds; the TIMEOUT fault answers later.
CLIENT_TIMEOUT = 0.5
TIMEOUT_DELAY = 0.6


class Family(Enum):
    """How the integration must meet a fault kind."""

    THROTTLE = "throttle"  # back off, show until when, send nothing meanwhile
    FREEZE = "freeze"  # an action block: freeze (safety.py), repair issue, until when
    NETWORK = "network"  # retry reads, never resend a like blindly, show "error"
    LOGIN = "login"  # log in again with the saved password and device
    CHALLENGE = "challenge"  # stop everything, tell the user, ask


@dataclass(frozen=True)
class Kind:
    """One fault kind as the emulator scripts it."""

    fault: Fault
    family: Family
    retry_after: int | None = None
    #: libcurl resends once, unseen, when a reused connection is reset: a reset
    #: surfaces only every second time.
    per_failure: int = 1


KINDS: dict[str, Kind] = {
    "429": Kind(Fault.HTTP_429, Family.THROTTLE),
    "429_retry_after": Kind(Fault.HTTP_429, Family.THROTTLE, retry_after=900),
    "5xx": Kind(Fault.HTTP_503, Family.NETWORK),
    "reset": Kind(Fault.CONNECTION_RESET, Family.NETWORK, per_failure=2),
    "timeout": Kind(Fault.TIMEOUT, Family.NETWORK),
    "malformed_json": Kind(Fault.MALFORMED_JSON, Family.NETWORK),
    "login_required": Kind(Fault.LOGIN_REQUIRED, Family.LOGIN),
    "challenge_required": Kind(Fault.CHALLENGE_REQUIRED, Family.CHALLENGE),
    "feedback_required": Kind(Fault.FEEDBACK_REQUIRED, Family.FREEZE),
    "please_wait": Kind(Fault.PLEASE_WAIT, Family.FREEZE),
}

#: The endpoint each phase's fault is scripted on.
PHASES: dict[str, str] = {
    "setup": "accounts/current_user/",
    "fetch": "feed/user/*",
    "like": "media/*/like/",
    "keep_alive": "accounts/current_user/",
}

#: How many faults in a row each variant scripts.
VARIANTS: dict[str, int] = {"once": 1, "three_in_a_row": 3}


@dataclass(frozen=True)
class Seen:
    """What the user sees right after the first faulted step."""

    state: ConfigEntryState
    health: SessionHealth | None = SessionHealth.HEALTHY
    backoff: bool = False
    blocked: bool = False  # an action block: "blocked" until a time, repair issue
    asks: bool = False  # reauthentication flow and repair issue


def expected(kind: Kind, phase: str, in_a_row: bool) -> Seen:  # noqa: PLR0911
    """The first step's outcome the matrix demands, per family and phase."""
    family = kind.family
    if family is Family.CHALLENGE:
        if phase == "setup":
            return Seen(ConfigEntryState.SETUP_ERROR, None, asks=True)
        return Seen(
            ConfigEntryState.LOADED, SessionHealth.CHALLENGE_REQUIRED, asks=True
        )
    if phase == "setup":
        if family is Family.LOGIN and not in_a_row:
            return Seen(ConfigEntryState.LOADED)  # a fresh login with the password
        # Throttled or asked to wait: Home Assistant's quick setup retries send
        # nothing until the backoff or freeze ends (a likes-only block allows it).
        return Seen(
            ConfigEntryState.SETUP_RETRY,
            None,
            backoff=family is Family.THROTTLE or kind.fault is Fault.PLEASE_WAIT,
        )
    if family is Family.THROTTLE:
        return Seen(ConfigEntryState.LOADED, backoff=True)
    if family is Family.FREEZE:
        return Seen(ConfigEntryState.LOADED, blocked=True)
    if phase == "keep_alive":
        return Seen(ConfigEntryState.LOADED)  # the next cycle tells
    if family is Family.LOGIN:
        # A relogin cured it; or Instagram refused the fresh session too: the cycle
        # failed, but the password works, so the user is not asked.
        return Seen(
            ConfigEntryState.LOADED,
            SessionHealth.ERROR if in_a_row else SessionHealth.HEALTHY,
        )
    if phase == "fetch" and not in_a_row:
        return Seen(ConfigEntryState.LOADED)  # a read is retried
    return Seen(ConfigEntryState.LOADED, SessionHealth.ERROR)


# ------------------------------------------------------------------- fixtures --


@pytest.fixture
def targets() -> list[str]:
    """One target with one story and one post: a cycle is five requests."""
    return [PRIVATE_FOLLOWED]


@pytest.fixture(autouse=True)
def short_client_timeout() -> Iterator[None]:
    """The integration's adapter gives up after CLIENT_TIMEOUT (real) seconds."""
    options = api_module.ConnectionOptions(timeout=CLIENT_TIMEOUT)
    with patch(
        "custom_components.ig_autoliker.executor.InstagramClient",
        partial(api_module.InstagramClient, options=options),
    ):
        yield


#: One real login's instagrapi settings, reused by every cell: each cell's setup
#: then validates a saved session (one request), as after a restart.
_SAVED_SESSION: dict[str, Any] = {}


@pytest.fixture
async def setup_integration(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    world: World,
    clock: FakeClock,
    hass_storage: dict[str, Any],
) -> AsyncIterator[MockConfigEntry]:
    """Alice's entry, set up from a saved session; the first cycle has not run."""
    if not _SAVED_SESSION:
        client = await hass.async_add_executor_job(
            api_module.InstagramClient, ALICE.username, ALICE.password
        )
        await hass.async_add_executor_job(client.login)
        _SAVED_SESSION.update(await hass.async_add_executor_job(client.export_session))
    world.restore_session(
        ALICE.username, _SAVED_SESSION["authorization_data"]["sessionid"]
    )
    stored = StoredData.from_dict({"session": dict(_SAVED_SESSION)})
    hass_storage[f"{DOMAIN}.{config_entry.entry_id}"] = {
        "version": STORAGE_VERSION,
        "minor_version": STORAGE_MINOR_VERSION,
        "key": f"{DOMAIN}.{config_entry.entry_id}",
        "data": stored.as_dict(),
    }
    world.clear_log()
    config_entry.add_to_hass(hass)
    with patch("custom_components.ig_autoliker.async_call_later"):
        assert await hass.config_entries.async_setup(config_entry.entry_id)
        await hass.async_block_till_done()
    assert world.count("bloks/*") == 0  # no login flow: the saved session held
    yield config_entry
    if hass.config_entries.async_get_entry(config_entry.entry_id) is not None:
        await hass.config_entries.async_unload(config_entry.entry_id)
        await hass.async_block_till_done()


# -------------------------------------------------------------------- helpers --


def issue_open(hass: HomeAssistant, entry: MockConfigEntry) -> bool:
    """True while the challenge repair issue of the entry is shown."""
    registry = ir.async_get(hass)
    return (
        registry.async_get_issue(DOMAIN, f"challenge_required_{entry.entry_id}")
        is not None
    )


def state_of(hass: HomeAssistant, entity_id: str) -> str | None:
    """The state an entity shows, or None when it does not exist."""
    state = hass.states.get(entity_id)
    return None if state is None else state.state


async def settle(hass: HomeAssistant, world: World) -> None:
    """Wait until the emulator answered every request, late (TIMEOUT) ones too."""
    for _ in range(200):
        await hass.async_block_till_done()
        pending = [rule for rule in world.faults.rules if rule.fault is Fault.TIMEOUT]
        answered = sum(1 for r in world.requests() if r.fault == "timeout")
        if answered >= sum(rule.fired for rule in pending):
            return
        await asyncio.sleep(0.05)
    pytest.fail("the emulator never answered a delayed request")


def wait_for(kind: Kind) -> float:
    """Seconds to let pass before the next step: past any backoff or freeze.

    A repeated `feedback_required` freezes 12 h, 24 h, 48 h (policy.py).
    """
    return 3 * 86400 + 1 if kind.family is Family.FREEZE else 3601


async def retry_setup(hass: HomeAssistant) -> None:
    """Let Home Assistant's own setup retry fire (it waits at most ~80 s)."""
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=200))
    await hass.async_block_till_done(wait_background_tasks=True)


async def step(
    hass: HomeAssistant, entry: MockConfigEntry, phase: str, clock: FakeClock
) -> None:
    """Run the phase once more: a setup retry, a cycle or a keep-alive."""
    if phase == "setup":
        if entry.state is ConfigEntryState.NOT_LOADED:
            await hass.config_entries.async_setup(entry.entry_id)
            await hass.async_block_till_done()
        else:
            await retry_setup(hass)
    elif phase == "keep_alive":
        clock.advance(31 * 60)
        await coordinator_of(entry).async_keep_alive()
        await hass.async_block_till_done()
    else:
        await run_cycle(hass, entry)


async def solve_challenge(
    hass: HomeAssistant, entry: MockConfigEntry, world: World
) -> None:
    """The user opens the reauthentication flow and passes the checkpoint."""
    alice = world.user(ALICE.username)
    assert alice is not None
    flow = next(
        flow
        for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        if flow["context"]["source"] == SOURCE_REAUTH
    )
    result: Any = {
        "type": FlowResultType.FORM,
        "flow_id": flow["flow_id"],
        "step_id": flow["step_id"],
    }
    for _ in range(6):
        if result["type"] is not FlowResultType.FORM:
            break
        challenge = world.challenge_for(alice.pk)
        if result["step_id"] == "reauth_confirm":
            answer: dict[str, Any] = {CONF_PASSWORD: ALICE.password}
        elif result["step_id"] == "challenge":
            answer = {CONF_METHOD: "email"}
        elif result["step_id"] == "challenge_code":
            assert challenge is not None
            answer = {CONF_CODE: challenge.code}
        else:  # confirmed in the Instagram app
            world.clear_challenge(alice.pk)
            answer = {}
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], answer
        )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()


def assert_seen(
    hass: HomeAssistant, entry: MockConfigEntry, seen: Seen, kind: Kind
) -> None:
    """The entry state, entities, repair issue and flows match `seen`."""
    assert entry.state is seen.state
    if seen.health is not None:
        assert state_of(hass, "sensor.alice_session_health") == seen.health.value
        backoff = hass.states.get("binary_sensor.alice_backoff")
        block = hass.states.get("binary_sensor.alice_instagram_block")
        assert backoff is not None
        assert block is not None
        rate = state_of(hass, "sensor.alice_rate_limit_state")
        assert backoff.state == ("on" if seen.backoff else "off")
        assert block.state == ("on" if seen.blocked else "off")
        if seen.backoff:
            assert rate == "backoff"
            until = dt_util.parse_datetime(str(backoff.attributes["until"]))
            assert until is not None
            if kind.retry_after is not None:  # Instagram's figure is honoured
                wait = until.timestamp() - coordinator_of(entry).clock()
                assert wait >= kind.retry_after - 1
        elif seen.blocked:
            assert rate == "blocked"
            assert dt_util.parse_datetime(str(block.attributes["until"])) is not None
            assert any(
                issue_id.startswith(f"action_blocked_{entry.entry_id}")
                for (_domain, issue_id) in ir.async_get(hass).issues
            )
        else:
            assert rate not in {"backoff", "blocked"}
            assert "until" not in backoff.attributes
            assert "until" not in block.attributes
        challenged = seen.health is SessionHealth.CHALLENGE_REQUIRED
        assert state_of(hass, "binary_sensor.alice_challenge_required") == (
            "on" if challenged else "off"
        )
    assert issue_open(hass, entry) is (kind.family is Family.CHALLENGE)
    assert (SOURCE_REAUTH in flow_sources(hass)) is seen.asks


def assert_nothing_lost_or_doubled(
    hass: HomeAssistant, entry: MockConfigEntry, world: World, clock: FakeClock
) -> None:
    """Every live media liked exactly once on Instagram, and recorded exactly once."""
    liked = liked_by_alice(world)
    assert len(liked) == len(set(liked))  # nothing doubled
    assert media_of(world, PRIVATE_FOLLOWED) <= set(liked)  # nothing left out
    coordinator = coordinator_of(entry)
    stored = coordinator.stored
    stories = [pk for pk in liked if world.media(pk).kind == "story"]
    posts = [pk for pk in liked if pk not in stories]
    assert set(stored.liked_posts) == {str(pk) for pk in posts}
    assert set(stored.liked_stories) <= {str(pk) for pk in stories}  # 24 h kept
    target = world.user(PRIVATE_FOLLOWED)
    assert target is not None
    state = stored.target(str(target.pk))
    assert state.stories_liked == len(stories)
    assert state.posts_liked == len(posts)
    recent = [like for like in world.likes if like.at > clock.now - 86400]
    assert coordinator.engine.limiter.count(Action.LIKE, window=86400) == len(recent)


def assert_within_limits(world: World) -> None:
    """No hour saw more likes or requests than the limits allow (40 / 150)."""
    assert max_in_window([like.at for like in world.likes], 3600) <= 40
    assert max_in_window([r.at for r in world.requests()], 3600) <= 150


# ----------------------------------------------------------------------- test --


CELLS = [
    pytest.param((kind, phase, variant), id=f"{kind}-{phase}-{variant}")
    for kind in KINDS
    for phase in PHASES
    for variant in VARIANTS
]


@pytest.mark.parametrize("cell", CELLS)
async def test_fault_matrix(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    clock: FakeClock,
    cell: tuple[str, str, str],
) -> None:
    """One cell: the fault strikes, the user sees it, then it clears and all is well."""
    kind_name, phase, variant = cell
    entry = setup_integration
    kind = KINDS[kind_name]
    in_a_row = VARIANTS[variant] > 1
    if phase == "setup":
        # The saved session is what setup validates: stop, then start with it.
        assert await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()
    elif phase == "keep_alive":
        await run_cycle(hass, entry)  # everything liked; keep-alive is due later
    rule: FaultRule = world.faults.add(
        PHASES[phase],
        kind.fault,
        times=VARIANTS[variant] * kind.per_failure,
        delay=TIMEOUT_DELAY,
        retry_after=kind.retry_after,
    )

    await step(hass, entry, phase, clock)
    await settle(hass, world)

    assert rule.fired >= 1
    seen = expected(kind, phase, in_a_row)
    assert_seen(hass, entry, seen, kind)
    if seen.backoff or seen.blocked or seen.asks:
        # Doing less: while backing off or blocked, nothing reaches Instagram.
        before = len(world.requests())
        if entry.state is ConfigEntryState.LOADED:
            await run_cycle(hass, entry)
            await coordinator_of(entry).async_keep_alive()
        else:
            await retry_setup(hass)
        assert len(world.requests()) == before

    # The fault goes on as scripted, then clears; the user (if asked) answers.
    for _ in range(6):
        if rule.fired >= (rule.times or 0) or seen.asks:
            break
        clock.advance(wait_for(kind))
        await step(hass, entry, phase, clock)
        await settle(hass, world)
    world.faults.clear()
    if seen.asks:
        await solve_challenge(hass, entry, world)
    clock.advance(wait_for(kind))
    if entry.state is ConfigEntryState.SETUP_RETRY:
        await retry_setup(hass)  # Home Assistant's own retry: no user needed
    assert entry.state is ConfigEntryState.LOADED
    await run_cycle(hass, entry)
    await settle(hass, world)

    assert_seen(hass, entry, Seen(ConfigEntryState.LOADED), KINDS["5xx"])
    assert coordinator_of(entry).data.blocked_until is None
    assert state_of(hass, "sensor.alice_rate_limit_state") == "ok"
    assert not issue_open(hass, entry)
    assert_nothing_lost_or_doubled(hass, entry, world, clock)
    assert_within_limits(world)


async def test_a_like_whose_answer_is_lost_counts_against_the_like_limit(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    clock: FakeClock,
) -> None:
    """Sent but unanswered: it may have landed, so the limits count it, once."""
    world.faults.add("media/*/like/", Fault.TIMEOUT, delay=TIMEOUT_DELAY)
    await run_cycle(hass, setup_integration)
    await settle(hass, world)
    coordinator = coordinator_of(setup_integration)
    assert len(world.likes) == 2  # the story, and the post whose answer was lost
    assert coordinator.engine.limiter.count(Action.LIKE) == len(world.likes)

    world.faults.clear()
    clock.advance(3601)
    await run_cycle(hass, setup_integration)

    # The feed shows the post liked: recorded now, but not counted twice.
    assert set(liked_by_alice(world, PRIVATE_FOLLOWED)) == media_of(
        world, PRIVATE_FOLLOWED
    )
    assert coordinator.engine.limiter.count(Action.LIKE, 86400) == len(world.likes)
    assert state_of(hass, "sensor.alice_likes_today") == str(len(world.likes))
