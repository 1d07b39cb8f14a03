"""
Pictures of the account device and a target device for README.md.

`scripts/screenshot` runs this (`python -m tests.e2e.screenshot [--keep]`): the same
set-up as scripts/e2e (emulator, real `hass`, onboarding, config flow, two targets,
one cycle), then headless Chromium (Debian's, driven by Playwright) opens the two
device pages with the owner's tokens in localStorage (where the frontend keeps them)
and saves docs/images/account_device.png and docs/images/target_device.png, the
account's Activity (account_activity.png, "liked nat_geo_demo's story") and the
options form with its sections (options.png).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
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
    set_up_integration,
    tail,
)
from tests.e2e.run import TARGETS, Run, phase_first_cycle

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
#: Tall enough for the account page's last card (Diagnostic) with the sidebar docked.
VIEWPORT = {"width": 1280, "height": 1000}
IMAGES = REPO / "docs" / "images"
RENDER_TIMEOUT = 60_000  # ms


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
    """Open a device page, scroll its Activity card to `text`, save a screenshot."""
    say(f"opening {url}")
    await page.goto(url, wait_until="load")
    entry = page.get_by_text(text).first
    await entry.wait_for(state="visible", timeout=RENDER_TIMEOUT)
    await entry.scroll_into_view_if_needed()
    await page.wait_for_timeout(2000)
    await page.screenshot(path=str(path))
    say(f"saved {path.relative_to(REPO)}")


async def shoot_options(page: Page, base_url: str, path: Path) -> None:
    """Open the entry's options (Configure) and save the sectioned form."""
    url = f"{base_url}/config/integrations/integration/{DOMAIN}"
    say(f"opening {url}")
    await page.goto(url, wait_until="load")
    configure = page.get_by_text("Configure", exact=True).first
    await configure.wait_for(state="visible", timeout=RENDER_TIMEOUT)
    await configure.click()
    for text in ("Pacing", "Hourly limits", "Daily limit", "Backoff and freezes"):
        await page.get_by_text(text, exact=True).first.wait_for(
            state="visible", timeout=RENDER_TIMEOUT
        )
    await page.wait_for_timeout(2000)
    await page.screenshot(path=str(path))
    say(f"saved {path.relative_to(REPO)}")


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


async def take_pictures(client: HassClient, setup: Setup, workdir: Path) -> None:
    """Log into the frontend and photograph the two device pages."""
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
            page = context.pages[0] if context.pages else await context.new_page()
            base = f"{client.hass.url}/config/devices/device"
            await shoot(
                page,
                f"{base}/{setup.device('likes_today')}",
                ["Likes today", "Run cycle now", "Auto-like"],
                IMAGES / "account_device.png",
            )
            await shoot(
                page,
                f"{base}/{setup.device('enabled', TARGETS[0])}",
                ["Enabled", "Stories liked", "Posts liked"],
                IMAGES / "target_device.png",
            )
            await shoot_activity(
                page,
                f"{base}/{setup.device('likes_today')}",
                f"liked {TARGETS[0]}'s story",
                IMAGES / "account_activity.png",
            )
            await shoot_options(page, client.hass.url, IMAGES / "options.png")
        finally:
            await context.close()


async def main_async(workdir: Path) -> None:
    """Set everything up like scripts/e2e, then take the pictures."""
    emulator = await Emulator.start(workdir)
    hass = Hass.create(workdir, emulator)
    try:
        async with aiohttp.ClientSession() as session:
            client = HassClient(hass, session)
            await hass.start()
            await client.onboard(frontend=True)
            setup = await set_up_integration(client, emulator, TARGETS)
            run = Run(emulator, hass, client, setup)
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
            await take_pictures(client, setup, workdir)
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
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    workdir = Path(tempfile.mkdtemp(prefix="ig_autoliker_screenshot."))
    try:
        asyncio.run(main_async(workdir))
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
