"""
Pictures for README.md, and the blueprint acceptance in a real browser.

`scripts/screenshot` runs this (`python -m tests.e2e.screenshot [--keep]`): the same
set-up as scripts/e2e (emulator, real `hass`, onboarding, config flow, two targets,
one cycle), then headless Chromium (Debian's, driven by Playwright) logs in with the
owner's tokens in localStorage (where the frontend keeps them) and saves to
docs/images/:

- account_device.png, target_device.png: the two device pages;
- account_activity.png: the account's Activity card at the cycle's first likes
  ("liked nat_geo_demo's story");
- blueprint_import.png, blueprint_automation.png: Settings > Automations >
  Blueprints > Import blueprint with the repository's "pause outside schedule"
  blueprint (served over HTTP from this checkout, as in scripts/e2e), then an
  automation created from it in the editor, with a schedule helper and the
  Auto-like switch picked in its entity pickers. The run fails unless that
  automation then turns Auto-like off and on with the schedule;
- options.png: the options form (default values) with its sections;
- bulk_pick.png, bulk_added.png: the target subentry flow's "Pick from the accounts
  I follow" step with 50 accounts ticked in one form, and its summary
  (tests/e2e/screenshot_more.py); `--only bulk` takes only these two, right after
  the integration is set up (no cycle);
- logbook_de.png: the Activity page with Home Assistant's and the user's language
  German, the likes in German; logbook_target_de.png: the same page filtered by
  the first target's device (its likes, no "Letztes Like" rows).

The account's Cycle running and the target's Last checked are disabled by default;
the run enables them first, as a user would, so that the device pages show them (and
fails unless Cycle running is off once the cycle ended). The logbook page filtered
by the account device (the Activity card's arrow) is not pictured: the frontend
filters that page by the device's enabled entities only, and a like's event names
the target's Enabled switch (so that the target's views list it), so no like shows
there.

The emulator's media previews point at Instagram's CDN, which this closed network
cannot reach: the browser gets a drawn stand-in picture for them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import signal
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from custom_components.ig_autoliker.const import DEFAULT_OPTIONS
from playwright.async_api import Page, async_playwright

from tests.e2e.harness import (
    DOMAIN,
    REPO,
    E2EError,
    Emulator,
    Hass,
    HassClient,
    Setup,
    say,
    set_options,
    set_up_integration,
    tail,
)
from tests.e2e.run import (
    TARGETS,
    Run,
    phase_first_cycle,
    repository_server,
    set_schedule,
    wait_auto_like,
)
from tests.e2e.screenshot_more import (
    check_not_running,
    enable_for_pictures,
    shoot_bulk_pick,
    shoot_logbook_german,
)

CHROMIUM = "/usr/bin/chromium"
#: Quiet in a closed network: no GPU, QUIC, sync, updates or background fetches.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 1000}
#: The account page down to its last card (Connected devices, the targets).
ACCOUNT_VIEWPORT = {"width": 1280, "height": 1720}
IMAGES = REPO / "docs" / "images"
RENDER_TIMEOUT = 60_000  # ms
#: Instagram's CDN (media previews); answered with STAND_IN in the browser.
CDN = re.compile(r"^https://[^/]+\.cdninstagram\.com/")
STAND_IN = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">'
    '<defs><linearGradient id="g" x2="1" y2="1"><stop offset="0" stop-color="#f58529"/>'
    '<stop offset="1" stop-color="#8134af"/></linearGradient></defs>'
    '<rect width="64" height="64" fill="url(#g)"/>'
    '<circle cx="22" cy="22" r="7" fill="#fff"/>'
    '<path d="M6 56 26 32l12 14 8-8 12 18z" fill="#fff"/></svg>'
)
#: The blueprint imported in the browser (blueprints/automation/ig_autoliker/).
BLUEPRINT = "pause_outside_schedule.yaml"
BLUEPRINT_NAME = "Instagram Auto-Liker — like only while a schedule is on"
#: Scroll the Activity card's list (a lit-virtualizer inside shadow roots) by
#: `delta` pixels, to its end with null; returns the list's bottom edge (px).
SCROLL_ACTIVITY = """(delta) => {
  const find = (root) => {
    for (const el of root.querySelectorAll('*')) {
      if (el.tagName === 'LIT-VIRTUALIZER') return el;
      const found = el.shadowRoot && find(el.shadowRoot);
      if (found) return found;
    }
    return null;
  };
  const list = find(document);
  if (list === null) return null;
  if (delta === null) list.scrollTop = list.scrollHeight;
  else list.scrollTop += delta;
  return list.getBoundingClientRect().bottom;
}"""


def hass_tokens(client: HassClient) -> dict[str, Any]:
    """The `hassTokens` localStorage value the frontend would have saved."""
    tokens = client.tokens
    return {
        "access_token": tokens["access_token"],
        "token_type": "Bearer",
        "expires_in": tokens["expires_in"],
        "refresh_token": tokens["refresh_token"],
        "hassUrl": client.hass.url,
        "clientId": client.client_id,
        "expires": int(time.time() * 1000) + int(tokens["expires_in"]) * 1000,
    }


async def shoot(page: Page, url: str, texts: list[str], path: Path) -> None:
    """Open a page, wait until every text shows, then save a screenshot."""
    say(f"opening {url}")
    await page.goto(url, wait_until="load")
    for text in texts:
        # Playwright's text locators pierce the frontend's shadow DOM.
        await page.get_by_text(text, exact=True).first.wait_for(
            state="visible", timeout=RENDER_TIMEOUT
        )
    await page.wait_for_timeout(2000)  # icons, fonts and state badges settle
    path.parent.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(path))
    say(f"saved {path.relative_to(REPO)}")


async def shoot_activity(page: Page, url: str, text: str, path: Path) -> None:
    """
    Open a device page, scroll its Activity card to the cycle's first `text` entries.

    The card lists the newest first; its end holds the set-up, just above it the
    first cycle, which likes stories first. The oldest `text` entry is put near the
    card's bottom, so the entries above it show.
    """
    say(f"opening {url}")
    await page.goto(url, wait_until="load")
    await page.get_by_text("Activity", exact=True).first.wait_for(
        state="visible", timeout=RENDER_TIMEOUT
    )
    await page.get_by_text(text).first.wait_for(state="visible", timeout=RENDER_TIMEOUT)
    await page.evaluate(SCROLL_ACTIVITY, None)
    for _ in range(60):
        await page.wait_for_timeout(200)
        if await page.get_by_text(text).count():
            break
        await page.evaluate(SCROLL_ACTIVITY, -200)
    entry = page.get_by_text(text).last
    box = await entry.bounding_box()
    bottom = await page.evaluate(SCROLL_ACTIVITY, 0)
    if box is None or bottom is None:
        msg = f"the Activity card shows no {text!r}"
        raise E2EError(msg)
    # 90 px: room for the entry below it ("Cycle running: Running").
    await page.evaluate(SCROLL_ACTIVITY, box["y"] + box["height"] - bottom + 90)
    await page.wait_for_timeout(2000)
    await page.screenshot(path=str(path))
    say(f"saved {path.relative_to(REPO)}")


async def shoot_options(page: Page, base_url: str, path: Path) -> None:
    """
    Open the entry's options (Configure) and save the sectioned form.

    "Pacing" is folded, so that the other sections' titles and fields show.
    """
    url = f"{base_url}/config/integrations/integration/{DOMAIN}"
    say(f"opening {url}")
    await page.goto(url, wait_until="load")
    configure = page.get_by_role("button", name="Configure", exact=True).first
    await configure.wait_for(state="visible", timeout=RENDER_TIMEOUT)
    await configure.click()
    for text in ("Pacing", "Hourly limits", "Daily limit", "Backoff and freezes"):
        await page.get_by_text(text, exact=True).first.wait_for(
            state="visible", timeout=RENDER_TIMEOUT
        )
    await page.get_by_text("Pacing", exact=True).first.click()
    await page.wait_for_timeout(2000)
    await page.screenshot(path=str(path))
    say(f"saved {path.relative_to(REPO)}")


async def blueprint_in_the_browser(page: Page, run: Run) -> None:
    """
    Import the blueprint in the frontend, create an automation from it, check it.

    Settings > Automations > Blueprints > Import blueprint takes any http(s) URL
    (it warns that the source is not GitHub); the automation editor's entity pickers
    get the "Liking" schedule helper and the account's Auto-like switch.

    Raises:
        E2EError: a step did not show, or the automation does not follow the
            schedule.

    """
    client = run.client
    schedule_id = await set_schedule(run, None, on=True)
    async with repository_server() as base:
        url = f"{base}/blueprints/automation/ig_autoliker/{BLUEPRINT}"
        await page.goto(f"{client.hass.url}/config/blueprint/dashboard")
        start = page.get_by_text("Import blueprint", exact=True).first
        await start.wait_for(state="visible", timeout=RENDER_TIMEOUT)
        await start.click()
        address = page.get_by_role("textbox").first
        await address.wait_for(state="visible", timeout=RENDER_TIMEOUT)
        await address.fill(url)
        await page.get_by_text("Preview", exact=True).first.click()
        await page.get_by_text(BLUEPRINT_NAME).first.wait_for(
            state="visible", timeout=RENDER_TIMEOUT
        )
        await page.wait_for_timeout(1000)
        await page.screenshot(path=str(IMAGES / "blueprint_import.png"))
        say("saved docs/images/blueprint_import.png")
        await page.get_by_role("button", name="Import blueprint").last.click()
        row = page.get_by_text(BLUEPRINT_NAME, exact=True).first
        await row.wait_for(state="visible", timeout=RENDER_TIMEOUT)
    say(f"blueprint imported in the browser from {url}")
    await row.click()  # the automation editor, with the blueprint's inputs
    for search in ("Liking", "Auto-like"):
        await page.get_by_text("Select an entity").first.click()
        await page.wait_for_timeout(800)
        await page.keyboard.type(search)
        await page.wait_for_timeout(1000)
        await page.get_by_text(search, exact=True).last.click()
        await page.wait_for_timeout(800)
    await page.get_by_role("button", name="Save").last.click()
    await page.get_by_text("Traces", exact=True).first.wait_for(
        state="visible", timeout=RENDER_TIMEOUT
    )
    say("automation saved in the editor")
    await set_schedule(run, schedule_id, on=False)
    await wait_auto_like(run, "off")
    await set_schedule(run, schedule_id, on=True)
    await wait_auto_like(run, "on")
    say("the automation made in the browser turned Auto-like off and on")
    await page.reload(wait_until="load")
    await page.get_by_text("Auto-like", exact=True).first.wait_for(
        state="visible", timeout=RENDER_TIMEOUT
    )
    await page.wait_for_timeout(2000)
    await page.screenshot(path=str(IMAGES / "blueprint_automation.png"))
    say("saved docs/images/blueprint_automation.png")


async def ignore_other_repairs(client: HassClient) -> None:
    """
    Ignore repair issues of other integrations (the sidebar would count them).

    A throwaway instance raises a few (e.g. http's YAML deprecation); ours stay.
    """
    issues = await client.ws({"type": "repairs/list_issues"})
    for issue in issues["issues"]:
        if issue["domain"] != DOMAIN and not issue.get("ignored"):
            await client.ws(
                {
                    "type": "repairs/ignore_issue",
                    "domain": issue["domain"],
                    "issue_id": issue["issue_id"],
                    "ignore": True,
                }
            )
            say(f"ignored repair issue {issue['domain']}.{issue['issue_id']}")


async def take_pictures(run: Run, workdir: Path, likes: tuple[str, str]) -> None:
    """
    Log into the frontend, take the pictures, import and use the blueprint.

    `likes` is the time window (ISO 8601) of the cycles that liked.
    """
    client, setup = run.client, run.s
    await ignore_other_repairs(client)
    tokens = json.dumps(json.dumps(hass_tokens(client)))
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(workdir / "chromium-profile"),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport=VIEWPORT,  # type: ignore[arg-type]
            device_scale_factor=1,
            locale="en-US",
            timezone_id="UTC",
        )
        try:
            # Logged in as the frontend itself would have saved it.
            await context.add_init_script(
                f"window.localStorage.setItem('hassTokens', {tokens});"
            )
            await context.route(
                CDN,
                lambda route: route.fulfill(
                    content_type="image/svg+xml", body=STAND_IN
                ),
            )
            page = context.pages[0] if context.pages else await context.new_page()
            base = f"{client.hass.url}/config/devices/device"
            await page.set_viewport_size(ACCOUNT_VIEWPORT)  # type: ignore[arg-type]
            await check_not_running(client, setup)
            await shoot(
                page,
                f"{base}/{setup.device('likes_today')}",
                [
                    "Likes today",
                    "Rate-limit state",
                    "Account health",
                    "Cycle running",
                    "Not running",
                    "Run cycle now",
                    "Auto-like",
                    "Connected devices",
                ],
                IMAGES / "account_device.png",
            )
            await page.set_viewport_size(VIEWPORT)  # type: ignore[arg-type]
            await shoot(
                page,
                f"{base}/{setup.device('enabled', TARGETS[0])}",
                [
                    "Enabled",
                    "Like now",
                    "Last liked media",
                    "Last checked",
                    "Posts liked",
                ],
                IMAGES / "target_device.png",
            )
            await shoot_activity(
                page,
                f"{base}/{setup.device('likes_today')}",
                f"liked {TARGETS[0]}'s story",
                IMAGES / "account_activity.png",
            )
            await blueprint_in_the_browser(page, run)
            # The form as a new user sees it: the defaults, not the demo's pacing.
            await set_options(client, setup.entry_id, dict(DEFAULT_OPTIONS))
            await shoot_options(page, client.hass.url, IMAGES / "options.png")
            await shoot_bulk_pick(page, client, setup, IMAGES)
            # Last: German stays on for the rest of the run.
            await shoot_logbook_german(
                playwright,
                client,
                setup,
                tokens=tokens,
                likes=likes,
                images=IMAGES,
                workdir=workdir,
                target=TARGETS[0],
            )
        finally:
            await context.close()


async def take_bulk_pictures(client: HassClient, setup: Setup, workdir: Path) -> None:
    """Log into the frontend and take only the bulk pictures (`--only bulk`)."""
    await ignore_other_repairs(client)
    tokens = json.dumps(json.dumps(hass_tokens(client)))
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        context = await browser.new_context(
            viewport=VIEWPORT,  # type: ignore[arg-type]
            device_scale_factor=1,
            locale="en-US",
            timezone_id="UTC",
        )
        try:
            await context.add_init_script(
                f"window.localStorage.setItem('hassTokens', {tokens});"
            )
            page = await context.new_page()
            try:
                await shoot_bulk_pick(page, client, setup, IMAGES)
            except Exception:
                await page.screenshot(path=str(workdir / "bulk.failed.png"))
                raise
        finally:
            await context.close()
            await browser.close()


async def main_async(workdir: Path, only: str | None = None) -> None:
    """Set everything up like scripts/e2e, then take the pictures."""
    emulator = await Emulator.start(workdir)
    hass = Hass.create(workdir, emulator)
    try:
        async with aiohttp.ClientSession() as session:
            client = HassClient(hass, session)
            await hass.start()
            await client.onboard(frontend=True)
            setup = await set_up_integration(client, emulator, TARGETS)
            if only == "bulk":
                # No cycle is needed: the pick form reads the following list.
                await take_bulk_pictures(client, setup, workdir)
                return
            await enable_for_pictures(client, setup, TARGETS[0])
            run = Run(emulator, hass, client, setup)
            likes_from = datetime.now(UTC).isoformat()
            await phase_first_cycle(run)
            # A fresh story, liked last, so the Activity card's top shows a story.
            before = len(await run.account_likes())
            await emulator.advance_clock(60)
            await emulator.add_story(TARGETS[0])

            async def liked() -> bool:
                return len(await run.account_likes()) > before

            await run.run_cycle("a new story for the Activity picture", liked)
            if run.failures:
                msg = f"the cycle before the pictures failed: {run.failures}"
                raise E2EError(msg)
            likes_to = datetime.now(UTC).isoformat()
            await take_pictures(run, workdir, (likes_from, likes_to))
    finally:
        try:
            await hass.stop(30)
        finally:
            await emulator.stop()


def main(argv: list[str] | None = None) -> int:
    """Entry point of scripts/screenshot."""
    parser = argparse.ArgumentParser(
        prog="scripts/screenshot", description=__doc__.split("\n")[1]
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary directory (logs)"
    )
    parser.add_argument(
        "--only",
        choices=["bulk"],
        help="take only these pictures (bulk: bulk_pick.png and bulk_added.png)",
    )
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    workdir = Path(tempfile.mkdtemp(prefix="ig_autoliker_screenshot."))
    try:
        asyncio.run(main_async(workdir, args.only))
    except KeyboardInterrupt, SystemExit:
        say(f"interrupted; both subprocesses were stopped; kept {workdir}")
        raise
    except Exception as err:  # noqa: BLE001 - report, keep the logs, fail
        say(f"FAILED: {type(err).__name__}: {err}")
        for log in [*sorted(workdir.glob("hass-*.log")), workdir / "sandbox.log"]:
            sys.stderr.write(f"\n----- tail of {log} -----\n{tail(log)}\n")
        say(f"kept {workdir} for inspection")
        return 1
    if args.keep:
        say(f"kept {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
