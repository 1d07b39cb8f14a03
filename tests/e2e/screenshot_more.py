"""
More README pictures for `scripts/screenshot` (tests/e2e/screenshot.py runs these).

- `enable_for_pictures`: turns on the entities a user turns on to see them (Cycle
  running on the account, Last checked on a target; both are disabled by default
  to keep the Activity quiet), as the entity settings dialog does;
- `shoot_bulk_pick`: the target subentry flow's "Pick from the accounts I follow"
  step with 50 accounts picked in the one form (bulk_pick.png), then the flow's
  summary after Submit (bulk_added.png); the run fails unless 50 targets exist;
- `shoot_logbook_german`: Home Assistant's language and the user's set to German,
  the Activity page with the likes in German (logbook_de.png), then filtered by a
  target device, with each of its likes once (logbook_target_de.png).

Every wait names a text or an element and has a timeout: a page of the frontend
keeps its websocket open, so "network idle" never comes.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from tests.e2e.harness import DOMAIN, REPO, E2EError, HassClient, Setup, say, wait_until

if TYPE_CHECKING:
    from pathlib import Path

    from playwright.async_api import Page, Playwright

#: Milliseconds one element may take to show.
TIMEOUT = 60_000
#: How many followed accounts the bulk picture picks (the demo world's DEMO_FOLLOWED).
BULK = 50


async def enable_for_pictures(client: HassClient, setup: Setup, target: str) -> None:
    """
    Enable the account's Cycle running and a target's Last checked; wait for them.

    The registry change is what the entity settings dialog sends.
    """
    entity_ids = [setup.entity("cycle_running"), setup.entity("last_checked", target)]
    for entity_id in entity_ids:
        await client.ws(
            {
                "type": "config/entity_registry/update",
                "entity_id": entity_id,
                "disabled_by": None,
            }
        )
        say(f"enabled {entity_id}")

    # Home Assistant would reload the entry 30 s later by itself
    # (config_entries.RELOAD_AFTER_UPDATE_DELAY); this reload makes them show now.
    await client.request(
        "POST", f"/api/config/config_entries/entry/{setup.entry_id}/reload"
    )
    await client.wait_loaded(setup.entry_id)

    async def shown() -> bool:
        for entity_id in entity_ids:
            try:
                state = await client.state(entity_id)
            except E2EError:  # 404 until the reload added it
                return False
            if state["state"] == "unavailable":
                return False
        return True

    await wait_until("the enabled entities after the entry's reload", shown, 60, 1)
    await client.wait_loaded(setup.entry_id)


async def check_not_running(client: HassClient, setup: Setup) -> None:
    """Cycle running reads off once the cycle ended (no stale "Running")."""
    entity_id = setup.entity("cycle_running")

    async def off() -> bool:
        return (await client.state(entity_id))["state"] == "off"

    await wait_until(f"{entity_id} to be off after the cycle", off, 15)
    say(f"{entity_id} is off after the cycle")


async def _pick(page: Page, username: str) -> None:
    """Open the Accounts picker, search `username`, pick it (the picker closes)."""
    await page.get_by_text("Accounts", exact=True).first.click()
    search = page.get_by_role("textbox").last
    # Typing before the search box shows would go to the page: "a" opens Assist.
    await search.wait_for(state="visible", timeout=TIMEOUT)
    await search.fill(username)
    # Options read "<username> (<full name>)".
    await page.get_by_text(f"{username} (").first.click(timeout=TIMEOUT)


async def shoot_bulk_pick(
    page: Page, client: HassClient, setup: Setup, images: Path
) -> None:
    """
    Add 50 followed accounts in one "Pick from the accounts I follow" form.

    Raises:
        E2EError: The entry does not have 50 more targets afterwards.

    """
    from tests.sandbox.demo import DEMO_FOLLOWED  # noqa: PLC0415

    before = await _targets(client, setup)
    url = f"{client.hass.url}/config/integrations/integration/{DOMAIN}"
    say(f"opening {url}")
    await page.goto(url, wait_until="load")
    add = page.get_by_text("Add target accounts", exact=True).first
    await add.wait_for(state="visible", timeout=TIMEOUT)
    await add.click()
    menu = page.get_by_text("Pick from the accounts I follow", exact=True).first
    await menu.wait_for(state="visible", timeout=TIMEOUT)
    await menu.click()
    await page.get_by_text("Pick from the accounts you follow").first.wait_for(
        state="visible", timeout=TIMEOUT
    )
    started = time.monotonic()
    for username in DEMO_FOLLOWED[:BULK]:
        await _pick(page, username)
    say(f"picked {BULK} accounts in {time.monotonic() - started:.0f} s (scripted)")
    await page.wait_for_timeout(1500)
    await _save(page, images / "bulk_pick.png")
    await page.get_by_role("button", name="Submit").last.click()
    await page.get_by_text(f"Added {BULK} target accounts").first.wait_for(
        state="visible", timeout=TIMEOUT
    )
    await page.wait_for_timeout(1500)
    await _save(page, images / "bulk_added.png")
    after = await _targets(client, setup)
    if after - before != BULK:
        msg = f"the pick form added {after - before} targets, not {BULK}"
        raise E2EError(msg)
    say(f"the entry has {after} targets ({BULK} added in one form)")
    await page.get_by_text("Close", exact=True).last.click()


async def _targets(client: HassClient, setup: Setup) -> int:
    """How many target subentries the entry has."""
    rows = await client.ws(
        {"type": "config_entries/subentries/list", "entry_id": setup.entry_id}
    )
    return sum(row.get("subentry_type") == "target" for row in rows)


async def shoot_logbook_german(
    playwright: Playwright,
    client: HassClient,
    setup: Setup,
    *,
    tokens: str,
    likes: tuple[str, str],
    images: Path,
    workdir: Path,
    target: str,
) -> None:
    """
    Set Home Assistant's and the user's language to German, save the Activity page.

    The page shows the time window `likes` (ISO 8601 start and end) of the cycles.

    The entry is reloaded after the change, so that entity names are German too
    (Home Assistant names entities in the language set when they are added).
    """
    await client.ws({"type": "config/core/update", "language": "de"})
    await client.request(
        "POST", f"/api/config/config_entries/entry/{setup.entry_id}/reload"
    )
    await client.wait_loaded(setup.entry_id)
    say("Home Assistant's language is German; entry reloaded")
    from tests.e2e.screenshot import CHROMIUM, CHROMIUM_ARGS  # noqa: PLC0415

    # A browser of its own: the English pictures' profile stays English.
    browser = await playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    context = await browser.new_context(
        viewport={"width": 1280, "height": 800},
        device_scale_factor=1,
        locale="de-DE",
        timezone_id="UTC",
    )
    try:
        # The frontend keeps the user's language in localStorage (JSON-encoded).
        await context.add_init_script(
            f"window.localStorage.setItem('hassTokens', {tokens});"
            "window.localStorage.setItem('selectedLanguage', JSON.stringify('de'));"
        )
        page = await context.new_page()
        # The cycles' time window: later rows (reloads) would push the likes down.
        query = urlencode({"start_date": likes[0], "end_date": likes[1]})
        url = f"{client.hass.url}/logbook?{query}"
        say(f"opening {url} in German")
        await page.goto(url, wait_until="load")
        try:
            await page.get_by_text("Aktivität", exact=True).first.wait_for(
                state="visible", timeout=TIMEOUT
            )
            await page.get_by_text("hat die Story von").first.wait_for(
                state="visible", timeout=TIMEOUT
            )
        except Exception:
            # What the page showed instead, next to the run's logs.
            await page.screenshot(path=str(workdir / "logbook_de.failed.png"))
            raise
        await page.wait_for_timeout(2000)
        await _save(page, images / "logbook_de.png")
        await _shoot_target_activity(page, client, setup, query, target, images)
    finally:
        await context.close()
        await browser.close()


async def _shoot_target_activity(  # noqa: PLR0917 - one page's inputs
    page: Page,
    client: HassClient,
    setup: Setup,
    query: str,
    target: str,
    images: Path,
) -> None:
    """
    The Activity page filtered by a target device (its card's arrow): its likes.

    Fails unless the target's likes show ("hat ... von <target> gelikt") and no
    row of its "Letztes Like" sensor does (disabled by default; each like was a
    second row). The list is virtualized, so rows are not counted here; the
    logbook tests count them through the same API (tests/integration).
    """
    device = setup.device("enabled", target)
    url = f"{client.hass.url}/logbook?{query}&{urlencode({'device_id': device})}"
    say(f"opening {url} in German")
    await page.goto(url, wait_until="load")
    liked = page.get_by_text(re.compile(rf"hat (die|das) \w+ von {target} gelikt"))
    try:
        await liked.first.wait_for(state="visible", timeout=TIMEOUT)
    except Exception:
        await page.screenshot(path=str(images / "logbook_target_de.failed.png"))
        raise
    await page.wait_for_timeout(2000)
    if await page.get_by_text("Letztes Like").count():
        await page.screenshot(path=str(images / "logbook_target_de.failed.png"))
        msg = f"the Activity of {target} shows a 'Letztes Like' row"
        raise E2EError(msg)
    await _save(page, images / "logbook_target_de.png")


async def _save(page: Page, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(path))
    say(f"saved {path.relative_to(REPO)}")
