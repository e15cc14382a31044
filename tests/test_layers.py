"""Layers point down: the import-linter contracts in pyproject.toml, run as a test, plus
the two rules a contract cannot say (no SQL text in the UI, no OS clock in the core)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "ccm_timer"


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_import_contracts_are_kept() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True,
                          text=True, timeout=240)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


@pytest.mark.parametrize("path", sorted((PACKAGE / "ui").rglob("*.py")),
                         ids=lambda p: str(p.relative_to(PACKAGE / "ui")))
def test_ui_modules_write_no_sql(path: Path) -> None:
    assert "execute(" not in path.read_text(encoding="utf-8")


def test_core_modules_are_pure() -> None:
    for name in ("core/clock_watch.py", "core/reminder.py"):
        imported = _imports(PACKAGE / name)
        assert not {m for m in imported if m.split(".")[0] in (
            "sqlmodel", "sqlalchemy", "os", "time", "PySide6")}, name
