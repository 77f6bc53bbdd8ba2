"""Imports go downhill (STYLE.md, issue 13): scraping and generator import lyrics, not back.

A lower layer never imports a higher one, not even inside a function: lyrics loads without
generator, and common (plain-Python helpers) loads without Django apps at all. The model core
(generator/ml) imports no Django.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# package -> the first-party packages it must never import
FORBIDDEN = {
    "common": {"scraping", "lyrics", "generator", "raplyrics", "django"},
    "scraping": {"generator", "raplyrics"},
    "lyrics": {"scraping", "generator", "raplyrics"},
    "generator/ml": {"django", "rest_framework", "celery", "raplyrics", "lyrics", "scraping"},
}


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def upward_imports(package: str) -> list[str]:
    found = []
    for path in sorted((REPO / package).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for root in sorted(imported_roots(path) & FORBIDDEN[package]):
            found.append(f"{path.relative_to(REPO)} imports {root}")
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_a_layer_never_imports_a_higher_one(package: str) -> None:
    assert upward_imports(package) == []


def test_the_check_sees_an_import_inside_a_function(tmp_path: Path) -> None:
    module = tmp_path / "door.py"
    module.write_text("def act():\n    from generator.tasks import send_training_task\n")
    assert imported_roots(module) == {"generator"}
