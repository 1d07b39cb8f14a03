"""Bulk targets: pick from the followed accounts, paste a list, the add_targets action.

Real instagrapi against the emulator: each test asserts the subentries and entities
the user sees and the requests Instagram receives.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from custom_components.ig_autoliker.const import DOMAIN, SUBENTRY_TYPE_TARGET
from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from tests.sandbox import Fault, World
from tests.sandbox.testworld import ALICE, MISSING, PRIVATE_STRANGER, PUBLIC

FOLLOWING = "friendships/{id}/following/"
USERNAMEINFO = "users/*/usernameinfo/"


@pytest.fixture
def targets() -> list[str]:
    """One target added the single way, to compare the bulk ones with."""
    return [PUBLIC]


@pytest.fixture
def followed(world: World) -> list[str]:
    """Alice follows 60 more accounts; the emulator pages them 25 at a time."""
    world.following_page_size = 25
    return [user.username for user in world.add_followed_targets(ALICE.username, 60)]


async def open_step(hass: HomeAssistant, entry: MockConfigEntry, step: str) -> Any:
    """Open the add-targets flow and choose `step` in its menu."""
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_TYPE_TARGET), context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.MENU
    return await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"next_step_id": step}
    )


def target_names(entry: MockConfigEntry) -> set[str]:
    """The usernames of the entry's target subentries."""
    return {
        s.data["username"]
        for s in entry.subentries.values()
        if s.subentry_type == SUBENTRY_TYPE_TARGET
    }


def entities_per_target(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, int]:
    """Username -> number of registered entities of its subentry."""
    registry = er.async_get(hass)
    counts = {s.data["username"]: 0 for s in entry.subentries.values()}
    for entity in er.async_entries_for_config_entry(registry, entry.entry_id):
        if entity.config_subentry_id is not None:
            counts[entry.subentries[entity.config_subentry_id].data["username"]] += 1
    return counts


@pytest.mark.parametrize(
    ("language", "shown"),
    [
        ("en", "How do you want to add accounts whose stories and posts alice likes?"),
        (
            "de",
            (
                "Wie möchtest du Konten hinzufügen, deren Storys und Beiträge "
                "alice liken soll?"
            ),
        ),
    ],
)
async def test_menu_text_names_the_account(
    hass: HomeAssistant, setup_integration: MockConfigEntry, language: str, shown: str
) -> None:
    """The menu's text, filled in as the frontend does, names the account."""
    result = await hass.config_entries.subentries.async_init(
        (setup_integration.entry_id, SUBENTRY_TYPE_TARGET),
        context={"source": SOURCE_USER},
    )
    assert result["type"] is FlowResultType.MENU
    translations = Path(__file__).parents[2] / (
        f"custom_components/{DOMAIN}/translations/{language}.json"
    )
    text = json.loads(translations.read_text())["config_subentries"]["target"]["step"][
        "user"
    ]["description"]
    assert text.format(**result["description_placeholders"]) == shown


async def test_pick_fifty_followed(
    hass: HomeAssistant,
    world: World,
    setup_integration: MockConfigEntry,
    followed: list[str],
) -> None:
    """One form adds 50 followed accounts; the list is fetched once, no lookups."""
    entry = setup_integration
    world.clear_log()
    result = await open_step(hass, entry, "pick")

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "pick"
    schema = result["data_schema"].schema
    (field,) = [key for key in schema if str(key) == "accounts"]
    config = schema[field].config
    offered = [option["value"] for option in config["options"]]
    # A checkbox a line (one click an account), A to Z by username.
    assert (config["multiple"], config["mode"]) == (True, "list")
    assert offered == sorted(offered)
    assert set(followed) <= set(offered)
    assert PUBLIC not in offered  # already a target
    assert result["description_placeholders"]["count"] == str(len(offered))
    pages = world.count_route(FOLLOWING, "GET")
    assert pages == -(-len(world.following_of(ALICE.username)) // 25)

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"accounts": followed[:50]}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "targets_added"
    assert result["description_placeholders"]["added"] == "50"
    assert target_names(entry) == {PUBLIC, *followed[:50]}
    counts = entities_per_target(hass, entry)
    assert counts[PUBLIC] > 0
    assert {counts[name] for name in followed[:50]} == {counts[PUBLIC]}
    assert world.count(USERNAMEINFO) == 0
    # Reopening the form uses the cached list: no second fetch.
    await open_step(hass, entry, "pick")
    assert world.count_route(FOLLOWING, "GET") == pages


async def test_paste_fifty_reports_unknown(
    hass: HomeAssistant,
    world: World,
    setup_integration: MockConfigEntry,
    followed: list[str],
) -> None:
    """Pasted names: followed ones matched in the list, the rest looked up one each."""
    entry = setup_integration
    world.clear_log()
    pasted = [f"@{name}" for name in followed[:24]]
    pasted += [f"https://www.instagram.com/{name}/" for name in followed[24:48]]
    text = ", ".join(pasted[:20]) + "\n" + " ".join(pasted[20:])
    text += f"\n{MISSING}; {PRIVATE_STRANGER}\n{PUBLIC.upper()}"
    result = await open_step(hass, entry, "paste")

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"usernames": text}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "targets_partly_added"
    assert result["description_placeholders"] == {
        "added": "48",
        "already": PUBLIC,
        "not_found": MISSING,
        "private": PRIVATE_STRANGER,
        "not_tried": "-",
    }
    assert target_names(entry) == {PUBLIC, *followed[:48]}
    # Only the two names missing from the following list were looked up.
    assert [r.endpoint for r in world.requests(USERNAMEINFO)] == [
        f"users/{MISSING}/usernameinfo/",
        f"users/{PRIVATE_STRANGER}/usernameinfo/",
    ]


async def test_paste_bad_entry_keeps_text(
    hass: HomeAssistant, world: World, setup_integration: MockConfigEntry
) -> None:
    """A bad entry is named on the form; the text stays and nothing is sent."""
    world.clear_log()
    result = await open_step(hass, setup_integration, "paste")
    text = "good_name, https://www.instagram.com/p/Cxyz123/, bad..name"

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"usernames": text}
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"usernames": "invalid_usernames"}
    assert result["description_placeholders"]["invalid"] == (
        "https://www.instagram.com/p/Cxyz123/, bad..name"
    )
    (field,) = [k for k in result["data_schema"].schema if str(k) == "usernames"]
    assert field.description == {"suggested_value": text}
    assert target_names(setup_integration) == {PUBLIC}
    assert world.requests() == []


async def test_add_targets_action(
    hass: HomeAssistant,
    world: World,
    setup_integration: MockConfigEntry,
    followed: list[str],
) -> None:
    """The action adds what it can and names the rest in its response."""
    response = await hass.services.async_call(
        DOMAIN,
        "add_targets",
        {
            "config_entry_id": setup_integration.entry_id,
            "usernames": [*followed[:3], MISSING, "@" + PUBLIC, "bad..name"],
        },
        blocking=True,
        return_response=True,
    )
    await hass.async_block_till_done()

    assert response == {
        "added": followed[:3],
        "already_targets": [PUBLIC],
        "not_found": [MISSING],
        "private": [],
        "invalid": ["bad..name"],
        "not_tried": [],
        "not_tried_reason": None,
    }
    assert target_names(setup_integration) == {PUBLIC, *followed[:3]}


async def test_add_targets_rate_limited(
    hass: HomeAssistant,
    world: World,
    setup_integration: MockConfigEntry,
    followed: list[str],
) -> None:
    """A lookup refused with 429: followed names are added, the rest named untried."""
    world.faults.add("users/*/usernameinfo/", Fault.HTTP_429)
    response = await hass.services.async_call(
        DOMAIN,
        "add_targets",
        {
            "config_entry_id": setup_integration.entry_id,
            "usernames": f"{MISSING} {followed[0]} {PRIVATE_STRANGER} {followed[1]}",
        },
        blocking=True,
        return_response=True,
    )
    await hass.async_block_till_done()

    assert response is not None
    assert response["added"] == followed[:2]
    assert response["not_tried"] == [MISSING, PRIVATE_STRANGER]
    assert response["not_tried_reason"] == "rate_limited"
    assert target_names(setup_integration) == {PUBLIC, *followed[:2]}
    assert world.count(USERNAMEINFO) == 1  # the first refusal stops the lookups
