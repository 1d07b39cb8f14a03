# Copyright (C) 2026 the ig_autoliker authors. SPDX-License-Identifier: MIT
"""The layout holds: the engine imports no Home Assistant, only the client imports
instagrapi, and the coordinator, the classes and the modules stay small."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ENGINE = Path(__file__).parent.parent / "custom_components" / "ig_autoliker" / "engine"


def _imports(path: Path) -> list[str]:
    """Return every module `path` imports, relative ones with their leading dots."""
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.append("." * node.level + (node.module or ""))
    return names


@pytest.mark.parametrize("path", sorted(ENGINE.glob("*.py")), ids=lambda p: p.name)
def test_engine_module_stays_free_of_home_assistant(path: Path) -> None:
    forbidden = [
        name
        for name in _imports(path)
        if name.split(".")[0] in {"homeassistant", "custom_components"}
        or name.startswith("..")
    ]
    assert forbidden == []


INTEGRATION = ENGINE.parent
SOURCES = sorted(INTEGRATION.rglob("*.py"))


def test_only_the_client_imports_instagrapi() -> None:
    importers = [
        path.relative_to(INTEGRATION).as_posix()
        for path in SOURCES
        if any(name.split(".")[0] == "instagrapi" for name in _imports(path))
    ]
    # The InstagramClient building block: its class and its feed reads.
    assert importers == ["engine/client.py", "engine/feeds.py"]


#: The layout's limits: a thin coordinator, small classes and modules.
MAX_COORDINATOR_LINES = 300
MAX_CLASS_LINES = 350
MAX_MODULE_LINES = 650


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_modules_and_classes_stay_small(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    lines = len(source.splitlines())
    limit = MAX_COORDINATOR_LINES if path.name == "coordinator.py" else MAX_MODULE_LINES
    assert lines <= limit
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ClassDef):
            assert node.end_lineno is not None
            assert node.end_lineno - node.lineno + 1 <= MAX_CLASS_LINES, node.name
