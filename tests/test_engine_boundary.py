# Copyright (C) 2026 the ig_autoliker authors. SPDX-License-Identifier: MIT
"""The engine package imports neither Home Assistant nor the integration's modules."""

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
