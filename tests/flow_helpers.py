# Copyright (C) 2026 the ig_autoliker authors. SPDX-License-Identifier: MIT
"""
Helpers of the config flow tests: every flow result must be fully translated.

Home Assistant core checks its flows against strings.json in its own test suite; a
custom integration has to bring that check itself. `check_result` verifies one result
of one of our flows against translations/en.json: the step, every field label and
field description, every error and abort key, every selector option, and that each
`{placeholder}` the strings use is provided.
"""

from __future__ import annotations

import json
import string
from functools import cache
from pathlib import Path
from typing import Any

from custom_components.ig_autoliker.const import DOMAIN
from homeassistant.config_entries import (
    ConfigFlow,
    ConfigSubentryFlow,
    OptionsFlow,
)
from homeassistant.data_entry_flow import FlowHandler, FlowResultType
from homeassistant.data_entry_flow import section as form_section
from homeassistant.helpers.selector import Selector

TRANSLATIONS = Path(__file__).parents[1] / "custom_components" / DOMAIN / "translations"


@cache
def translations(language: str = "en") -> dict[str, Any]:
    """The integration's translation file for `language`."""
    return json.loads((TRANSLATIONS / f"{language}.json").read_text(encoding="utf-8"))


def placeholders(text: str) -> set[str]:
    """The `{names}` a translated string expects."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def flow_section(flow: FlowHandler[Any, Any, Any]) -> dict[str, Any] | None:
    """The translation section of one of our flows, or None for other flows."""
    if not type(flow).__module__.startswith(f"custom_components.{DOMAIN}."):
        return None
    strings = translations()
    if isinstance(flow, ConfigSubentryFlow):
        return strings["config_subentries"][flow.handler[1]]  # type: ignore[no-any-return]
    if isinstance(flow, OptionsFlow):
        return strings["options"]  # type: ignore[no-any-return]
    assert isinstance(flow, ConfigFlow)
    return strings["config"]  # type: ignore[no-any-return]


def _check_placeholders(text: str, given: set[str], where: str) -> None:
    missing = placeholders(text) - given
    assert not missing, f"{where} uses {missing} but the flow gives only {given}"


def check_result(flow: FlowHandler[Any, Any, Any], result: dict[str, Any]) -> None:
    """Assert that what this flow result shows the user is fully translated."""
    if (section := flow_section(flow)) is None:
        return
    given = set(result.get("description_placeholders") or {})
    if result["type"] is FlowResultType.ABORT:
        if result.get("translation_domain") in (None, DOMAIN):
            reason = result["reason"]
            assert reason in section.get("abort", {}), f"abort {reason!r} untranslated"
            _check_placeholders(section["abort"][reason], given, f"abort {reason}")
        return
    if result["type"] is not FlowResultType.FORM:
        return
    step_id = result["step_id"]
    assert step_id in section["step"], f"step {step_id!r} untranslated"
    step = section["step"][step_id]
    for key in ("title", "description"):
        assert key in step, f"step {step_id!r} has no {key}"
        _check_placeholders(step[key], given, f"{step_id}.{key}")
    schema = result["data_schema"].schema if result["data_schema"] else {}
    _check_fields(schema, step, given, step_id)
    for field, error in (result.get("errors") or {}).items():
        assert error in section.get("error", {}), (
            f"error {error!r} ({field}) untranslated"
        )
        _check_placeholders(section["error"][error], given, f"error {error}")


def _check_fields(
    schema: dict[Any, Any], step: dict[str, Any], given: set[str], where: str
) -> None:
    """Every field (and section) of a form has a label and a description."""
    for marker, validator in schema.items():
        field = str(marker)
        if isinstance(validator, form_section):
            texts = step.get("sections", {}).get(field, {})
            assert "name" in texts, f"{where}: section {field!r} untranslated"
            _check_fields(validator.schema.schema, texts, given, f"{where}.{field}")
            continue
        assert field in step.get("data", {}), f"{where}: no label for {field!r}"
        descriptions = step.get("data_description", {})
        assert field in descriptions, f"{where}: no data_description for {field!r}"
        _check_placeholders(descriptions[field], given, f"{where}.{field}")
        if isinstance(validator, Selector) and (
            key := validator.config.get("translation_key")
        ):
            names = translations()["selector"][key]["options"]
            for option in validator.config["options"]:
                assert option in names, (
                    f"selector {key}: option {option!r} untranslated"
                )


def leaves(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """Flatten a translation tree to {"a.b.c": text}."""
    flat: dict[str, str] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            flat |= leaves(value, f"{prefix}{key}.")
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def option_texts(language: str, part: str = "data") -> dict[str, str]:
    """Option key -> its label (`data`) or `data_description`, over all sections."""
    sections = translations(language)["options"]["step"]["init"]["sections"]
    return {
        key: text for texts in sections.values() for key, text in texts[part].items()
    }
