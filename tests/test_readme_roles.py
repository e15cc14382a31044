"""The README's "Who may do what" table is the code's (core/access.table_rows()), row for
row, so the two cannot drift: change the table in the code, then paste `expected` below."""

from __future__ import annotations

from pathlib import Path

from ccm_timer.core.access import table_rows

README = Path(__file__).resolve().parents[1] / "README.md"
HEADER = ("What", "Who", "Password at that moment", "Scope")


def _markdown() -> list[str]:
    return ["| " + " | ".join(HEADER) + " |", "|---|---|---|---|",
            *("| " + " | ".join(row) + " |" for row in table_rows())]


def _section(text: str) -> list[str]:
    lines = text.splitlines()
    start = lines.index("## Who may do what")
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("## "))
    return lines[start + 1:end]


def _cells(line: str) -> tuple[str, ...]:
    return tuple(cell.strip() for cell in line.strip().strip("|").split("|"))


def test_the_readme_table_is_the_code_s() -> None:
    section = _section(README.read_text(encoding="utf-8"))
    table = [line for line in section if line.startswith("|")]
    expected = _markdown()
    assert table == expected, "README table out of date; paste:\n" + "\n".join(expected)
    # The same, cell by cell: one table, each row once, nothing else shaped like one.
    assert [_cells(line) for line in table[2:]] == [tuple(r) for r in table_rows()]
    assert _cells(table[0]) == HEADER


def test_the_readme_states_the_rules_around_the_table() -> None:
    text = " ".join(" ".join(_section(README.read_text(encoding="utf-8"))).split())
    for words in ("clinician grant NAME --duty admin", "never arguments",
                  "reads one line from standard input", "the fifth wrong one in a row locks",
                  "signin_lock_minutes", "credential_min_length", "--as NAME",
                  "Timing never asks"):
        assert words in text, words


def test_the_command_list_names_the_sign_in_commands() -> None:
    text = README.read_text(encoding="utf-8")
    for command in ("ccm-timer clinician set-password", "ccm-timer clinician reset-password",
                    "ccm-timer clinician grant NAME --duty admin|billing [--revoke]",
                    "--role office --duty billing", "ccm-timer clinician list"):
        assert command in text, command
