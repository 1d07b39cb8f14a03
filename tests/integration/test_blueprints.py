"""The blueprints in blueprints/automation/ig_autoliker: valid, and they work."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from custom_components.ig_autoliker.const import EVENT_ACTION_BLOCKED
from homeassistant.components.automation.config import AUTOMATION_BLUEPRINT_SCHEMA
from homeassistant.components.blueprint.models import Blueprint
from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import selector
from homeassistant.setup import async_setup_component
from homeassistant.util.yaml import load_yaml_dict
from pytest_homeassistant_custom_component.common import MockConfigEntry

from tests.sandbox import Fault, World
from tests.sandbox.testworld import ALICE

from .conftest import run_cycle
from .test_controls import entity_id

ROOT = Path(__file__).parents[2]
BLUEPRINTS = ROOT / "blueprints" / "automation" / "ig_autoliker"
REPOSITORY = "https://github.com/ig-autoliker/ig_autoliker"
NAMES = sorted(path.name for path in BLUEPRINTS.glob("*.yaml"))


@pytest.mark.parametrize("name", NAMES)
def test_blueprint_passes_home_assistants_schema(name: str) -> None:
    path = BLUEPRINTS / name
    blueprint = Blueprint(
        load_yaml_dict(str(path)),
        path=str(path),
        expected_domain="automation",
        schema=AUTOMATION_BLUEPRINT_SCHEMA,
    )
    assert blueprint.domain == "automation"
    relative = path.relative_to(ROOT).as_posix()
    assert blueprint.metadata["source_url"] == f"{REPOSITORY}/blob/main/{relative}"


def test_readme_links_each_blueprint_for_import() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"blueprint_url=([^)\s]+)", readme)
    assert sorted(link.rsplit("%2F", 1)[-1] for link in links) == NAMES
    assert len(NAMES) == 3


@pytest.fixture
def calls(hass: HomeAssistant) -> list[ServiceCall]:
    """A `test.notify` action that records its calls (the user's notify action)."""
    recorded: list[ServiceCall] = []
    hass.services.async_register("test", "notify", recorded.append)
    return recorded


async def use_blueprint(hass: HomeAssistant, tmp_path: Path, name: str, **inputs: Any):
    """Install the repository's blueprints as an import would, and use one."""
    hass.config.config_dir = str(tmp_path)
    target = tmp_path / "blueprints" / "automation" / "ig_autoliker"
    shutil.copytree(BLUEPRINTS, target)
    notify = [{"action": "test.notify", "data": {"message": "{{ message }}"}}]
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "alias": name,
                "use_blueprint": {
                    "path": f"ig_autoliker/{name}",
                    "input": {"notify": notify, **inputs}
                    if "notify" in name
                    else inputs,
                },
            }
        },
    )
    await hass.async_block_till_done()


async def test_sign_in_blueprint_notifies_on_a_challenge(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    calls: list[ServiceCall],
    tmp_path: Path,
) -> None:
    alert = entity_id(hass, "event", f"{setup_integration.unique_id}_alert")
    await use_blueprint(hass, tmp_path, "notify_sign_in_needed.yaml", alert=alert)
    world.faults.add("feed/user/*/", Fault.CHALLENGE_REQUIRED)

    await run_cycle(hass, setup_integration)
    await hass.async_block_till_done()

    assert len(calls) == 1
    message = calls[0].data["message"]
    assert f"Instagram asks {ALICE.username} for a security check." in message


async def test_action_block_blueprint_says_until_when(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    calls: list[ServiceCall],
    tmp_path: Path,
) -> None:
    await use_blueprint(
        hass,
        tmp_path,
        "notify_action_blocked.yaml",
        account=setup_integration.entry_id,
    )
    event = {"kind": "feedback_required", "until": "2026-12-02 06:00", "message": "x"}
    hass.bus.async_fire(EVENT_ACTION_BLOCKED, {"config_entry_id": "other", **event})
    hass.bus.async_fire(
        EVENT_ACTION_BLOCKED,
        {"config_entry_id": setup_integration.entry_id, **event},
    )
    await hass.async_block_till_done()

    assert len(calls) == 1
    message = " ".join(calls[0].data["message"].split())
    assert "blocked liking (feedback_required) until 2026-12-02 06:00" in message


async def test_schedule_blueprint_switches_auto_like(
    hass: HomeAssistant, setup_integration: MockConfigEntry, tmp_path: Path
) -> None:
    assert await async_setup_component(
        hass, "schedule", {"schedule": {"liking": {"name": "Liking"}}}
    )
    auto_like = entity_id(hass, "switch", f"{setup_integration.unique_id}_auto_like")
    await use_blueprint(
        hass,
        tmp_path,
        "pause_outside_schedule.yaml",
        schedule="schedule.liking",
        auto_like=auto_like,
    )
    # The schedule's own timer is not what is under test: set its state as it would.
    hass.states.async_set("schedule.liking", STATE_OFF)
    hass.states.async_set("schedule.liking", STATE_ON)
    await hass.async_block_till_done()
    assert hass.states.get(auto_like).state == STATE_ON

    hass.states.async_set("schedule.liking", STATE_OFF)
    await hass.async_block_till_done()
    assert hass.states.get(auto_like).state == STATE_OFF
    assert setup_integration.runtime_data.stored.auto_like is False


def entities_offered(hass: HomeAssistant, config: dict[str, Any]) -> set[str]:
    """The entities an entity selector offers, as the frontend filters them.

    Home Assistant validates the selector's config (`selector.selector`) but not
    the filter against a choice; the frontend's entity picker applies it: the
    registry's platform is `integration`, the state's `device_class` attribute
    the device class.
    """
    validated = selector.selector(config).config
    offered: set[str] = set()
    for entry in er.async_get(hass).entities.values():
        state = hass.states.get(entry.entity_id)
        for one in validated["filter"]:
            if one.get("integration") not in (None, entry.platform):
                continue
            if one.get("domain") and entry.domain not in one["domain"]:
                continue
            device_class = state.attributes.get("device_class") if state else None
            if one.get("device_class") and device_class not in one["device_class"]:
                continue
            offered.add(entry.entity_id)
    return offered


async def test_schedule_blueprint_offers_only_the_auto_like_switch(
    hass: HomeAssistant, setup_integration: MockConfigEntry
) -> None:
    """The "Auto-like switch" picker lists no target's switch."""
    blueprint = load_yaml_dict(str(BLUEPRINTS / "pause_outside_schedule.yaml"))
    picker = blueprint["blueprint"]["input"]["auto_like"]["selector"]
    switches = {
        entry.entity_id
        for entry in er.async_entries_for_config_entry(
            er.async_get(hass), setup_integration.entry_id
        )
        if entry.domain == "switch"
    }
    assert len(switches) == 1 + 3 * 2  # Auto-like; Enabled, stories, posts each

    offered = entities_offered(hass, picker)

    assert offered == {
        entity_id(hass, "switch", f"{setup_integration.unique_id}_auto_like")
    }


async def test_schedule_blueprint_applies_the_schedule_when_created(
    hass: HomeAssistant, setup_integration: MockConfigEntry, tmp_path: Path
) -> None:
    """Saved in the editor while the schedule is off: Auto-like goes off at once."""
    assert await async_setup_component(
        hass, "schedule", {"schedule": {"liking": {"name": "Liking"}}}
    )
    hass.states.async_set("schedule.liking", STATE_OFF)
    auto_like = entity_id(hass, "switch", f"{setup_integration.unique_id}_auto_like")
    assert hass.states.get(auto_like).state == STATE_ON
    hass.config.config_dir = str(tmp_path)
    shutil.copytree(BLUEPRINTS, tmp_path / "blueprints" / "automation" / "ig_autoliker")
    assert await async_setup_component(hass, "automation", {"automation": []})
    # The editor writes the automation and reloads automations, as here.
    automation = {
        "id": "liking_hours",
        "alias": "Liking hours",
        "use_blueprint": {
            "path": "ig_autoliker/pause_outside_schedule.yaml",
            "input": {"schedule": "schedule.liking", "auto_like": auto_like},
        },
    }
    (tmp_path / "configuration.yaml").write_text(
        yaml.safe_dump({"automation": [automation]}), encoding="utf-8"
    )

    await hass.services.async_call("automation", "reload", blocking=True)
    await hass.async_block_till_done()

    assert hass.states.get(auto_like).state == STATE_OFF
    assert setup_integration.runtime_data.stored.auto_like is False
