"""Every error a window shows goes through gui_words.error_text, which swaps the command
line's instructions (`--as NAME`, `CCM_TIMER_PASSPHRASE`, `ccm-timer unlock …`) for what to
click, and prefers an error's own window sentence (entry_checks.Overlap's local times)."""

import ast
from pathlib import Path

UI = Path(__file__).resolve().parents[2] / "ccm_timer" / "ui"
# gui_words reads the raw text to reword it; cli_channel answers the command line, whose
# words the sentence is in.
ALLOWED = {"presenters/gui_words.py", "cli_channel.py"}


def _raw_messages(path: Path) -> list[int]:
    """Lines where an exception is turned into text with str()."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    caught = {h.name for h in ast.walk(tree) if isinstance(h, ast.ExceptHandler) and h.name}
    caught |= {"exc", "err", "error"}  # an exception handed on from a worker's signal
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "str"
            and len(node.args) == 1 and isinstance(node.args[0], ast.Name)
            and node.args[0].id in caught]


def test_windows_show_errors_in_the_users_words():
    found = [f"{path.relative_to(UI)}:{line}" for path in sorted(UI.rglob("*.py"))
             if str(path.relative_to(UI)) not in ALLOWED for line in _raw_messages(path)]
    assert not found, f"use gui_words.error_text(exc), not str(exc): {found}"


def test_the_check_finds_what_it_forbids(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("try:\n    pass\nexcept ValueError as err:\n    print(str(err))\n")
    assert _raw_messages(sample) == [4]
