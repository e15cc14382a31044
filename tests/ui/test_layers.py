"""Layers point down: the UI calls services only, never the store or an SQL library; the
services and core modules the tray relies on never import Qt."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "ccm_timer"
BELOW_UI = ["core/clock_watch.py", "core/reminder.py", "services/sleep_gaps.py",
            "services/recent.py", "services/totals.py", "services/patient_search.py",
            "services/autostart.py", "services/change_watch.py", "services/tray_status.py",
            "services/tray_text.py", "services/local_times.py"]


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


@pytest.mark.parametrize("path", sorted((PACKAGE / "ui").glob("*.py")), ids=lambda p: p.name)
def test_ui_modules_use_services_only(path: Path) -> None:
    bad = {m for m in _imports(path)
           if m.split(".")[0] in ("sqlmodel", "sqlalchemy", "sqlcipher3", "sqlite3")
           or m.startswith("ccm_timer.store")}
    assert not bad, f"{path.name} imports {sorted(bad)}: call a service instead"
    assert "execute(" not in path.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", BELOW_UI)
def test_modules_below_the_ui_never_import_qt(name: str) -> None:
    bad = {m for m in _imports(PACKAGE / name)
           if m.startswith("PySide6") or m.startswith("ccm_timer.ui")}
    assert not bad, f"{name} imports {sorted(bad)}"


def test_core_modules_are_pure() -> None:
    for name in ("core/clock_watch.py", "core/reminder.py"):
        imported = _imports(PACKAGE / name)
        assert not {m for m in imported if m.split(".")[0] in (
            "sqlmodel", "sqlalchemy", "os", "time", "PySide6")}, name
