"""The tray starts without the worklist: only office_flow.py names it, inside the functions
that open the window and start the reminder."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3] / "ccm_timer"


def test_only_office_flow_imports_it_and_only_inside_a_function() -> None:
    found = []
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT).parts
        if "worklist" in parts or parts[0] == "cli" and parts[-1] == "worklist.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top = {id(n) for n in tree.body}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                    "ccm_timer.ui.worklist"):
                found.append((str(path.relative_to(ROOT)), id(node) in top))
    assert found == [("ui/office_flow.py", False)]
