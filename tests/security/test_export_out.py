"""Issue 13, defect 7: `export --out DIR` with an existing folder committed the export and its
audit events, exited 1, and left the plaintext billing CSV behind as `.ccm-XXXX.partial`.
The file is written first and the record committed second; every failure removes the
partial and records nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from ccm_timer.errors import UserError
from ccm_timer.services.context import AppContext
from ccm_timer.services.exports.month_export import export_month
from ccm_timer.store.models import AuditEvent, Export
from tests.fixtures.clinic import setup_clinic

MONTH = "2026-11"


def _exports(ctx: AppContext) -> int:
    with ctx.read() as session:
        return len(list(session.exec(select(Export))))


def _export_events(ctx: AppContext) -> int:
    with ctx.read() as session:
        return len([e for e in session.exec(select(AuditEvent))
                    if e.action == "export.content"])


def _partials(*folders: Path) -> list[Path]:
    return [p for f in folders for p in f.rglob("*") if p.name.endswith(".partial")]


def test_an_existing_folder_receives_the_file_under_its_usual_name(
        month_clinic, tmp_path: Path) -> None:
    ctx, _ = month_clinic
    folder = tmp_path / "billing"
    folder.mkdir()
    result = export_month(ctx, MONTH, "csv", draft=True, out=folder)
    assert result.path is not None and result.path.parent == folder
    assert result.path.name.startswith(f"ccm-{MONTH}-draft-") and result.path.suffix == ".csv"
    assert result.path.read_bytes() == result.content
    assert _exports(ctx) == 1 and _export_events(ctx) == 1
    assert _partials(tmp_path) == []


def test_a_file_that_cannot_be_placed_records_nothing_and_leaves_nothing(
        month_clinic, tmp_path: Path) -> None:
    ctx, _ = month_clinic
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder should be")
    with pytest.raises(UserError, match="Cannot write the export"):
        export_month(ctx, MONTH, "csv", draft=True, out=blocker / "ccm.csv")
    assert _exports(ctx) == 0 and _export_events(ctx) == 0
    assert _partials(tmp_path) == []


def test_the_command_line_says_one_sentence(home: Path, cli, tmp_path: Path) -> None:
    setup_clinic(home)  # a five-minute call on 2026-11-03
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    done = cli("export", "--month", MONTH, "--format", "csv", "--draft", "--out",
               str(blocker / "ccm.csv"))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1
    assert "Cannot write the export" in done.stderr
    assert _partials(tmp_path, home) == []
