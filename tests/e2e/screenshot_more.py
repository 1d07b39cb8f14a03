"""
More README pictures for `scripts/screenshot` (tests/e2e/screenshot.py runs these).

- `enable_for_pictures`: turns on the entities a user turns on to see them (Cycle
  running on the account, Last checked on a target; both are disabled by default
  to keep the Activity quiet), as the entity settings dialog does;
- `shoot_bulk_pick`: the target subentry flow's "Pick from the accounts I follow"
  step with 50 accounts ticked in the one form at a person's pace, the clicks and
  seconds printed (bulk_pick.png), then the flow's summary after Submit
  (bulk_added.png); the run fails unless 50 targets exist;
- `shoot_logbook_german`: Home Assistant's language and the user's set to German,
  the Activity page with the likes in German (logbook_de.png), then filtered by a
  target device, with each of its likes once (logbook_target_de.png).

Every wait names a text or an element and has a timeout: a page of the frontend
keeps its websocket open, so "network idle" never comes.
"""

from __future__ import annotations

import random
import re
import time
from dataclasses import dataclass, field
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
#: One mouse-wheel step of a person scrolling a list, pixels.
SCROLL = 600


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


@dataclass
class Person:
    """
    A person's pace through a form: a pause before every action, actions counted.

    The pause is 0.5-1 s (seeded, so runs compare): finding the next name in a list
    and moving the pointer there, no reading time. `wait` is the pause.
    """

    rng: random.Random = field(default_factory=lambda: random.Random(19))  # noqa: S311
    clicks: int = 0
    scrolls: int = 0
    keystrokes: int = 0

    async def wait(self, page: Page) -> None:
        """Pause as a person does before the next action."""
        await page.wait_for_timeout(self.rng.uniform(500, 1000))


async def _tick(
    page: Page, person: Person, username: str, area: tuple[float, float]
) -> None:
    """
    Scroll the form (mouse wheel) until `username`'s checkbox shows, then tick it.

    `area` is the top and bottom of the dialog's scrolling part, in page pixels.
    """
    # Options read "<username> (<full name>)"; the box is the checkbox's control.
    box = (
        page.locator("ha-checkbox", has_text=f"{username} (")
        .first.locator("[part~=control]")
        .first
    )
    top, bottom = area
    while True:
        where = await box.bounding_box()
        if where is None:
            msg = f"no checkbox for {username} in the pick form"
            raise E2EError(msg)
        if top <= where["y"] and where["y"] + where["height"] <= bottom:
            break
        await person.wait(page)
        # One turn of the mouse wheel over the list, down or up to the name.
        await page.mouse.move(640, (top + bottom) / 2)
        down = where["y"] + where["height"] > bottom
        await page.mouse.wheel(0, SCROLL if down else -SCROLL)
        person.scrolls += 1
        await page.wait_for_timeout(300)  # the scroll settles
    await person.wait(page)
    await box.click()
    person.clicks += 1


#: Milliseconds the frontend takes to render a pick list of N accounts (the
#: frontend's own select selector, list mode, as the form renders it), by N.
RENDER_LIST = """async (counts) => {
  const hass = document.querySelector('home-assistant').hass;
  const result = {};
  for (const n of counts) {
    const element = document.createElement('ha-selector-select');
    element.hass = hass;
    const options = Array.from(
      {length: n}, (_, i) => ({value: `user${i}`, label: `user${i} (User ${i})`}));
    element.selector = {select: {multiple: true, mode: 'list', options}};
    element.value = [];
    const start = performance.now();
    document.body.appendChild(element);
    await element.updateComplete;
    const boxes = element.shadowRoot.querySelectorAll('ha-checkbox');
    await Promise.all(Array.from(boxes, (box) => box.updateComplete));
    // Two frames: the layout and paint of the new rows are done.
    await new Promise((done) => requestAnimationFrame(
      () => requestAnimationFrame(done)));
    result[n] = Math.round(performance.now() - start);
    element.remove();
  }
  return result;
}"""
#: List sizes whose rendering is timed: many people follow 200; 2,000 is the most
#: the form offers (following.py MAX_PAGES x PAGE_SIZE).
RENDER_SIZES = (200, 2000)


async def _area(page: Page) -> tuple[float, float]:
    """The top and bottom (page pixels) of the pick dialog's scrolling part."""
    title = await page.get_by_text(
        "Pick from the accounts you follow"
    ).first.bounding_box()
    submit = await page.get_by_role("button", name="Submit").last.bounding_box()
    if title is None or submit is None:
        msg = "the pick form shows no title or no Submit button"
        raise E2EError(msg)
    return title["y"] + title["height"] + 16, submit["y"] - 16


async def shoot_bulk_pick(
    page: Page, client: HassClient, setup: Setup, images: Path
) -> None:
    """
    Add 50 followed accounts in one "Pick from the accounts I follow" form.

    A person's actions, at a person's pace (`Person`): open the entry's "Add target
    accounts", choose "Pick", scroll to and tick 50 names, Submit. The run prints
    the clicks, scroll steps and keystrokes, and the seconds from the form showing
    to Submit (README "Bulk targets").

    Raises:
        E2EError: The entry does not have 50 more targets afterwards.

    """
    from tests.sandbox.demo import DEMO_FOLLOWED  # noqa: PLC0415

    before = await _targets(client, setup)
    present = await _target_names(client, setup)
    url = f"{client.hass.url}/config/integrations/integration/{DOMAIN}"
    say(f"opening {url}")
    await page.goto(url, wait_until="load")
    person = Person()
    add = page.get_by_text("Add target accounts", exact=True).first
    await add.wait_for(state="visible", timeout=TIMEOUT)
    await person.wait(page)
    await add.click()
    menu = page.get_by_text("Pick from the accounts I follow", exact=True).first
    await menu.wait_for(state="visible", timeout=TIMEOUT)
    await person.wait(page)
    await menu.click()
    person.clicks += 2
    await page.get_by_text("Pick from the accounts you follow").first.wait_for(
        state="visible", timeout=TIMEOUT
    )
    started = time.monotonic()
    area = await _area(page)
    picks = [name for name in DEMO_FOLLOWED if name not in present][:BULK]
    for username in picks:
        await _tick(page, person, username, area)
    seconds = time.monotonic() - started
    # The picture shows the form's top (what it says, the first ticks); the
    # scrolling back for it is no part of the timed actions.
    await page.mouse.move(640, (area[0] + area[1]) / 2)
    await page.mouse.wheel(0, -100 * SCROLL)
    await page.wait_for_timeout(1500)
    await _save(page, images / "bulk_pick.png")
    # The form says the browser's search finds a name: Chromium's find-in-page
    # (`window.find`) must reach the labels inside the dialog's shadow roots.
    # A label reads "<username> (<display name>)": one text, so either is found.
    name = picks[-1]
    if not await page.evaluate("(text) => window.find(text)", name):
        msg = f"the browser's find does not find {name!r} in the pick form"
        raise E2EError(msg)
    say(f"the browser's find finds {name!r} in the form")
    started = time.monotonic()
    await person.wait(page)
    await page.get_by_role("button", name="Submit").last.click()
    person.clicks += 1
    seconds += time.monotonic() - started
    say(
        f"picked {BULK} accounts in one form: {person.clicks} clicks (with the menu's"
        f" 2 and Submit), {person.scrolls} wheel steps of {SCROLL} px,"
        f" {person.keystrokes} keystrokes; {seconds:.0f} s from the form to Submit"
        " at a person's pace (0.5-1 s before each action)"
    )
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
    # The form's element is loaded now; time it on longer lists than the demo's.
    rendered = await page.evaluate(RENDER_LIST, list(RENDER_SIZES))
    say(
        "a pick list renders in "
        + ", ".join(f"{ms} ms for {n} accounts" for n, ms in rendered.items())
    )
    await page.get_by_text("Close", exact=True).last.click()


async def _target_names(client: HassClient, setup: Setup) -> set[str]:
    """The usernames (titles) of the entry's targets."""
    rows = await client.ws(
        {"type": "config_entries/subentries/list", "entry_id": setup.entry_id}
    )
    return {row["title"] for row in rows if row.get("subentry_type") == "target"}


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
