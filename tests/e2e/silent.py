"""
The silent like block in a real `hass` (a phase of scripts/e2e, tests/e2e/run.py).

The emulator starts a silent block of the demo account (every like answered
`{"status": "ok"}` and not kept: tests/sandbox/SOURCES.md, "Silent like blocks"),
new posts of a target wait, and cycles run until the integration notices. Then,
through Home Assistant's own APIs only:

- the bus event `ig_autoliker_action_blocked` came with `kind` "silent" (a
  websocket `subscribe_events`, open before the block starts);
- the "Account health" sensor reads `blocked`, its `dropped_like` attribute counts
  the dropped likes, and "Rate-limit state" reads `blocked`;
- `repairs/list_issues` lists the entry's silent-block repair issue;
- the account's "Instagram alert" event entity shows `action_blocked`, kind silent;
- at most five likes went into the block (README "Account safety").
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import TYPE_CHECKING, Any

import aiohttp

from tests.e2e.harness import DOMAIN, E2EError, HassClient, say, wait_until

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from tests.e2e.run import Run

#: The integration's bus event for an action block (const.EVENT_ACTION_BLOCKED).
EVENT_ACTION_BLOCKED = "ig_autoliker_action_blocked"
#: Posts published for the block: more than the likes it takes to notice it.
POSTS = 8
#: At most this many likes may go into a silent block before it is noticed
#: (issue acceptance; engine/outcomes.py explains the bound).
MAX_WASTED = 5
#: Cycles tried before giving up (one is enough when the feed shows the drops at
#: once; a second reads the post feed again, as the integration test allows).
CYCLES = 3
#: Seconds one cycle may take.
CYCLE_TIMEOUT = 90.0


@contextlib.asynccontextmanager
async def watch_events(
    client: HassClient, event_type: str
) -> AsyncIterator[list[dict[str, Any]]]:
    """
    Subscribe to one bus event type over the websocket; yield the events seen so far.

    The list fills while the context is open (a reader task); each item is the
    websocket's `event` object (event_type, data, time_fired ...).
    """
    received: list[dict[str, Any]] = []
    async with client.session.ws_connect(
        f"{client.hass.url}/api/websocket",
        timeout=aiohttp.ClientWSTimeout(ws_close=10),
    ) as socket_:
        await asyncio.wait_for(socket_.receive_json(), 10)  # auth_required
        await socket_.send_json(
            {"type": "auth", "access_token": client.tokens["access_token"]}
        )
        answer = await asyncio.wait_for(socket_.receive_json(), 10)
        if answer.get("type") != "auth_ok":
            msg = f"websocket auth failed: {answer}"
            raise E2EError(msg)
        await socket_.send_json(
            {"id": 1, "type": "subscribe_events", "event_type": event_type}
        )
        answer = await asyncio.wait_for(socket_.receive_json(), 10)
        if not answer.get("success"):
            msg = f"subscribe_events {event_type} failed: {answer}"
            raise E2EError(msg)

        async def read() -> None:
            async for message in socket_:
                if message.type is not aiohttp.WSMsgType.TEXT:
                    break
                data = json.loads(message.data)
                if data.get("type") == "event":
                    received.append(data["event"])

        reader = asyncio.create_task(read())
        try:
            yield received
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader


async def _cycles_until(run: Run, seen: list[dict[str, Any]]) -> None:
    """Run cycles until the block event came (CYCLES at most)."""
    for attempt in range(1, CYCLES + 1):
        before = await run.last_cycle()
        called = time.time()
        await run.client.call(DOMAIN, "run_cycle", {"config_entry_id": run.s.entry_id})
        say(f"cycle {attempt} into the silent block started")

        async def over(before: float | None = before, called: float = called) -> bool:
            if seen:
                return True
            ended = await run.last_cycle()
            return ended is not None and ended != before and ended >= called - 1

        await wait_until(f"cycle {attempt} or the block event", over, CYCLE_TIMEOUT)
        if seen:
            return


async def phase_silent_block(run: Run, target: str) -> int | None:
    """
    Start a silent block, let cycles run, check what Home Assistant shows.

    Args:
        run: The run (set up, Auto-like on, not frozen).
        target: A target whose new posts are liked into the block.

    Returns:
        How many likes went into the block before it was noticed (None: never).

    """
    client, setup = run.client, run.s
    async with watch_events(client, EVENT_ACTION_BLOCKED) as seen:
        await run.emulator.advance_clock(60)
        for _ in range(POSTS):
            await run.emulator.add_post(target, "photo")
        block = await run.emulator.silent_block(run.emulator.username)
        say(f"silent block of {run.emulator.username} from {block['since']}")
        try:
            await _cycles_until(run, seen)
            await wait_until("the block event", lambda: _truthy(seen), 10)
        except E2EError as err:
            run.check(ok=False, message=f"silent block: {err}")
            return None
    wasted = sum(bool(like.get("dropped")) for like in await run.account_likes())
    run.check(
        0 < wasted <= MAX_WASTED,
        f"silent block noticed after {wasted} dropped likes (at most {MAX_WASTED})",
    )
    event = seen[0]["data"]
    run.check(
        len(seen) == 1
        and event.get("kind") == "silent"
        and event.get("config_entry_id") == setup.entry_id,
        f"one {EVENT_ACTION_BLOCKED} event, kind {event.get('kind')!r}, "
        f"until {event.get('until')}",
    )
    await _check_states(run)
    await _check_issue(run)
    return wasted


async def _truthy(items: list[dict[str, Any]]) -> bool:
    return bool(items)


async def _check_states(run: Run) -> None:
    """Account health and Rate-limit state read blocked; the alert entity says why."""
    client, setup = run.client, run.s
    health_id = setup.entity("account_health")

    async def blocked() -> dict[str, Any] | None:
        state = await client.state(health_id)
        return state if state["state"] == "blocked" else None

    try:
        health = await wait_until(f"{health_id} to read blocked", blocked, 15)
    except E2EError as err:
        run.check(ok=False, message=str(err))
        health = await client.state(health_id)
    dropped = health["attributes"].get("dropped_like")
    run.check(
        health["state"] == "blocked" and bool(dropped),
        f"Account health = {health['state']}, dropped likes (24 h) = {dropped}",
    )
    limit = (await client.state(setup.entity("rate_limit_state")))["state"]
    run.check(limit == "blocked", f"Rate-limit state = {limit}")
    alert = await client.state(setup.entity("alert"))
    attributes = alert["attributes"]
    run.check(
        attributes.get("event_type") == "action_blocked"
        and attributes.get("kind") == "silent",
        f"Instagram alert: event_type {attributes.get('event_type')!r}, "
        f"kind {attributes.get('kind')!r}",
    )


async def _check_issue(run: Run) -> None:
    """`repairs/list_issues` lists the entry's silent-block issue."""
    wanted = f"action_blocked_{run.s.entry_id}_silent"
    issues = (await run.client.ws({"type": "repairs/list_issues"}))["issues"]
    found = [
        issue
        for issue in issues
        if issue["domain"] == DOMAIN and issue["issue_id"] == wanted
    ]
    run.check(
        len(found) == 1
        and found[0].get("translation_key") == "action_blocked_silent"
        and found[0].get("severity") == "warning",
        f"repair issue {wanted}: "
        + (
            f"{found[0].get('translation_key')}, {found[0].get('severity')}"
            if found
            else "missing"
        ),
    )
