"""The repository is what HACS and Home Assistant accept: manifest, hacs.json, brand."""

from __future__ import annotations

import json
import subprocess
import typing
from importlib import metadata, resources
from pathlib import Path

from awesomeversion import AwesomeVersion, AwesomeVersionStrategy
from custom_components.ig_autoliker.const import DOMAIN
from homeassistant.core import HomeAssistant
from homeassistant.loader import Manifest, async_get_integration
from packaging.markers import default_environment
from packaging.requirements import Requirement
from PIL import Image

ROOT = Path(__file__).parent.parent
PACKAGE = ROOT / "custom_components" / DOMAIN
MANIFEST = json.loads((PACKAGE / "manifest.json").read_text())

#: The keys hacs.json may hold (HACS documentation, "hacs.json").
HACS_KEYS = {
    "name",
    "content_in_root",
    "zip_release",
    "filename",
    "hide_default_branch",
    "country",
    "homeassistant",
    "persistent_directory",
    "hacs",
    "render_readme",
}
#: Manifest keys HACS requires of an integration.
HACS_MANIFEST_KEYS = {
    "codeowners",
    "documentation",
    "domain",
    "issue_tracker",
    "name",
    "version",
}
#: iot_class values Home Assistant documents for integrations.
IOT_CLASSES = {
    "assumed_state",
    "calculated",
    "cloud_polling",
    "cloud_push",
    "local_polling",
    "local_push",
}


def test_manifest_keys_and_types_are_home_assistants() -> None:
    hints = typing.get_type_hints(Manifest)
    assert set(MANIFEST) <= set(hints)
    for key, value in MANIFEST.items():
        expected = typing.get_origin(hints[key]) or hints[key]
        if expected is typing.Literal:
            assert value in typing.get_args(hints[key]), key
        else:
            assert isinstance(value, expected), key
    assert list(MANIFEST)[:2] == ["domain", "name"]
    assert list(MANIFEST)[2:] == sorted(list(MANIFEST)[2:])
    assert set(MANIFEST) >= HACS_MANIFEST_KEYS
    assert MANIFEST["iot_class"] in IOT_CLASSES
    assert MANIFEST["domain"] == DOMAIN
    assert AwesomeVersion(MANIFEST["version"]).strategy is AwesomeVersionStrategy.SEMVER


async def test_home_assistant_loads_it_as_a_custom_integration(
    hass: HomeAssistant, enable_custom_integrations: None
) -> None:
    integration = await async_get_integration(hass, DOMAIN)
    assert not integration.is_built_in
    assert integration.config_flow
    assert integration.version == AwesomeVersion(MANIFEST["version"])
    assert integration.requirements == ["instagrapi>=3.1.0,<4"]


def test_hacs_json() -> None:
    hacs = json.loads((ROOT / "hacs.json").read_text())
    assert set(hacs) <= HACS_KEYS
    assert hacs["name"] == MANIFEST["name"]
    assert hacs["homeassistant"] == "2026.6.0"
    assert hacs["render_readme"] is True
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    assert not (PACKAGE / "strings.json").exists()


def test_brand_icon_is_a_square_png() -> None:
    with Image.open(PACKAGE / "brand" / "icon.png") as icon:
        assert icon.format == "PNG"
        assert icon.size == (256, 256)


def test_instagrapi_resolves_under_home_assistants_constraints() -> None:
    """Every instagrapi requirement that Home Assistant pins is met by the pin."""
    constraints_file = resources.files("homeassistant") / "package_constraints.txt"
    pins = {}
    for line in constraints_file.read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            pin = Requirement(line.split(";")[0].strip())
            pins[pin.name.lower().replace("_", "-")] = next(iter(pin.specifier)).version
    requirement = Requirement(MANIFEST["requirements"][0])
    installed = metadata.version("instagrapi")
    assert requirement.specifier.contains(installed)

    environment = {**default_environment(), "extra": ""}
    checked = 0
    for line in metadata.requires("instagrapi") or []:
        dependency = Requirement(line)
        if dependency.marker is not None and not dependency.marker.evaluate(
            environment
        ):
            continue
        pinned = pins.get(dependency.name.lower().replace("_", "-"))
        if pinned is not None:
            assert dependency.specifier.contains(pinned), (dependency, pinned)
            checked += 1
    assert checked >= 3  # requests, pydantic, Pillow at least are pinned by HA


def _readme_options() -> list[tuple[str, str]]:
    """(section, option) of each row of README's options table."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text[text.index("| Section | Option |") :].split("\n\n", 1)[0]
    rows = [line.split("|")[1:3] for line in table.splitlines()[2:]]
    return [(section.strip(), option.strip()) for section, option in rows]


def test_readme_names_the_options_as_the_form_shows_them() -> None:
    """Each README option row uses the English label and section name of en.json."""
    english = json.loads((PACKAGE / "translations" / "en.json").read_text())
    sections = english["options"]["step"]["init"]["sections"]
    shown = [
        (texts["name"], label)
        for texts in sections.values()
        for label in texts["data"].values()
    ]
    assert _readme_options() == shown


def test_no_file_keeps_merge_conflict_markers() -> None:
    """A merge left half-resolved shows its markers to every reader of the README."""
    tracked = (
        subprocess.run(
            ["git", "ls-files", "-z"],  # noqa: S607 - git from PATH, as scripts use it
            cwd=ROOT,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .split("\0")
    )
    markers = ("<<<<<<< ", ">>>>>>> ")
    found = [
        f"{name}:{number}"
        for name in tracked
        if name.endswith((".py", ".md", ".json", ".yaml", ".toml", ".txt"))
        for number, line in enumerate(
            (ROOT / name).read_text(encoding="utf-8").splitlines(), start=1
        )
        if line.startswith(markers)
    ]
    assert found == []


def test_every_refusal_of_the_gate_has_a_message_in_both_languages() -> None:
    """Whatever the gate refuses with, the user reads why, in English and German."""
    from custom_components.ig_autoliker.engine.safety import (  # noqa: PLC0415
        RefusalReason,
    )
    from custom_components.ig_autoliker.errors import REFUSALS  # noqa: PLC0415

    for language in ("en", "de"):
        texts = json.loads((PACKAGE / "translations" / f"{language}.json").read_text())
        for reason in RefusalReason:
            key = REFUSALS[reason.value][0]
            assert texts["exceptions"][key]["message"], (language, reason)
