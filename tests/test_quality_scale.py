"""The quality scale file is complete and honest about the tier the manifest claims."""

from __future__ import annotations

import json
from pathlib import Path

from homeassistant.util.yaml import load_yaml_dict

PACKAGE = Path(__file__).parent.parent / "custom_components" / "ig_autoliker"

#: Home Assistant's rules per tier. hassfest is not in the homeassistant wheel, so the
#: list is copied from home-assistant/core script/hassfest/quality_scale.py (ALL_RULES)
#: at commit 008538e822535b1d6155c91f6642127afa184ed1; add rules that appear there.
RULES: dict[str, list[str]] = {
    "bronze": [
        "action-setup",
        "appropriate-polling",
        "brands",
        "common-modules",
        "config-flow",
        "config-flow-test-coverage",
        "dependency-transparency",
        "docs-actions",
        "docs-conditions",
        "docs-high-level-description",
        "docs-installation-instructions",
        "docs-removal-instructions",
        "docs-triggers",
        "entity-event-setup",
        "entity-unique-id",
        "has-entity-name",
        "runtime-data",
        "test-before-configure",
        "test-before-setup",
        "unique-config-entry",
    ],
    "silver": [
        "action-exceptions",
        "config-entry-unloading",
        "docs-configuration-parameters",
        "docs-installation-parameters",
        "entity-unavailable",
        "integration-owner",
        "log-when-unavailable",
        "parallel-updates",
        "reauthentication-flow",
        "test-coverage",
    ],
    "gold": [
        "devices",
        "diagnostics",
        "discovery",
        "discovery-update-info",
        "docs-data-update",
        "docs-examples",
        "docs-known-limitations",
        "docs-supported-devices",
        "docs-supported-functions",
        "docs-troubleshooting",
        "docs-use-cases",
        "dynamic-devices",
        "entity-category",
        "entity-device-class",
        "entity-disabled-by-default",
        "entity-translations",
        "exception-translations",
        "icon-translations",
        "reconfiguration-flow",
        "repair-issues",
        "stale-devices",
    ],
    "platinum": ["async-dependency", "inject-websession", "strict-typing"],
}
TIERS = list(RULES)


def _rules() -> dict[str, str | dict[str, str]]:
    rules = load_yaml_dict(str(PACKAGE / "quality_scale.yaml"))["rules"]
    assert isinstance(rules, dict)
    return rules


def _status(value: str | dict[str, str]) -> str:
    return value if isinstance(value, str) else value["status"]


def test_every_rule_home_assistant_has_is_in_the_file() -> None:
    rules = _rules()
    missing = [rule for tier in RULES.values() for rule in tier if rule not in rules]
    assert missing == []
    known = {rule for tier in RULES.values() for rule in tier}
    assert set(rules) <= known  # no misspelt rule


def test_the_manifest_claims_the_highest_tier_the_file_reaches() -> None:
    rules = _rules()
    reached = None
    for tier in TIERS:
        if any(_status(rules[rule]) == "todo" for rule in RULES[tier]):
            break
        reached = tier
    manifest = json.loads((PACKAGE / "manifest.json").read_text())
    assert manifest["quality_scale"] == reached == "gold"


def test_every_exemption_and_todo_says_why() -> None:
    for name, value in _rules().items():
        if _status(value) in {"exempt", "todo"}:
            assert isinstance(value, dict), name
            assert len(value.get("comment", "")) > 20, name
