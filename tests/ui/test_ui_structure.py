"""The UI's modules form a tree: the app composes the flows, the flows use dialogs, widgets,
the controller and presenters, and nothing reaches back up. Read from the source, so an
import inside a function or under TYPE_CHECKING counts too."""

from __future__ import annotations

import ast
from pathlib import Path

UI = Path(__file__).resolve().parents[2] / "ccm_timer" / "ui"
FLOWS = {"ccm_timer.ui.question_flow", "ccm_timer.ui.record_flow", "ccm_timer.ui.window_flow"}
APP = "ccm_timer.ui.app"
ENTRY_POINT = "ccm_timer.ui.launch"  # starts the app, so it alone may import it


def _name(path: Path, root: Path = UI) -> str:
    parts = ("ccm_timer", "ui", *path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, root: Path = UI) -> set[str]:
    """Every module `path` names in an import, `from a import b` counting as a and a.b."""
    here = _name(path, root).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(package[:len(package) - node.level + 1]) if node.level else ""
            module = ".".join(p for p in (base, node.module or "") if p)
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def ui_graph(root: Path = UI) -> dict[str, set[str]]:
    """Module -> the modules under ccm_timer.ui it imports."""
    paths = sorted(root.rglob("*.py"))
    names = {_name(p, root) for p in paths}
    return {_name(p, root): _imports(p, root) & names for p in paths}


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, as the modules along it, or None."""
    state: dict[str, str] = {}  # "open" while on the current path, then "done"
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = "open"
        path.append(module)
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                return [*path[path.index(target):], target]
            if target not in state and (found := visit(target)):
                return found
        path.pop()
        state[module] = "done"
        return None

    for module in sorted(graph):
        if module not in state and (found := visit(module)):
            return found
    return None


def test_only_the_entry_point_imports_the_app() -> None:
    graph = ui_graph()
    assert APP in graph and ENTRY_POINT in graph
    assert sorted(m for m, targets in graph.items() if APP in targets) == [ENTRY_POINT]


def test_the_flows_do_not_import_each_other() -> None:
    graph = ui_graph()
    assert FLOWS <= graph.keys()
    assert {flow: sorted(graph[flow] & FLOWS) for flow in sorted(FLOWS)} == {
        flow: [] for flow in sorted(FLOWS)}


def test_the_ui_modules_import_no_cycle() -> None:
    assert cycle(ui_graph()) is None


def test_the_checks_see_a_flow_reaching_back(tmp_path: Path) -> None:
    """The checks read what they should: the layout before issue 12, in miniature."""
    (tmp_path / "__init__.py").write_text("")
    (tmp_path / "app.py").write_text("from ccm_timer.ui.record_flow import RecordFlow\n")
    (tmp_path / "record_flow.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
        "    from ccm_timer.ui.app import TrayApp\n"
        "def f():\n    from . import window_flow\n")
    (tmp_path / "window_flow.py").write_text("from ccm_timer.ui import app\n")
    graph = ui_graph(tmp_path)
    assert graph["ccm_timer.ui.record_flow"] == {
        "ccm_timer.ui", "ccm_timer.ui.app", "ccm_timer.ui.window_flow"}
    assert graph["ccm_timer.ui.window_flow"] == {"ccm_timer.ui", "ccm_timer.ui.app"}
    assert cycle(graph) == ["ccm_timer.ui.app", "ccm_timer.ui.record_flow", "ccm_timer.ui.app"]


def test_no_flow_holds_the_app(make_tray, clinic) -> None:
    tray = make_tray(clinic, begin=False)
    for flow in (tray.questions, tray.records, tray.windows):
        assert all(value is not tray for value in vars(flow).values()), type(flow).__name__
