"""`ccm-timer approve` and `ccm-timer export` as a user runs them (real subprocesses)."""

from __future__ import annotations

import csv
import io
import json
import os
import re
from datetime import timedelta
from pathlib import Path

import pytest

from ccm_timer.services.timing import entries
from tests.fixtures.cli import ok, run_cli
from tests.fixtures.clinic import T0, add_people


@pytest.fixture
def setup(home: Path, ctx, clock) -> Path:
    """A nurse (default), a physician and one patient with 25 minutes in November 2026,
    added in-process (fast); the commands under test run as subprocesses."""
    add_people(ctx, mrns=("T1001",), born=("T1001",))
    clock.advance(timedelta(hours=1))
    entries.add_manual(ctx, patient_mrn="T1001", category_slug="phone-call",
                       start=T0, end=T0 + timedelta(minutes=25), note="=1+1 BP call")
    return home


def test_approve_then_export_each_format(setup: Path):
    listed = json.loads(ok(setup, "approve", "--month", "2026-11", "--list", "--json"))
    assert [(s["mrn"], s["approved"]) for s in listed] == [("T1001", False)]
    assert ok(setup, "approve", "--month", "2026-11", "--as", "Dr Blake Test") == (
        "Approved 1 patient month(s) of 2026-11 as Dr Blake Test.\n")
    for fmt, ext in (("csv", "csv"), ("json", "json"), ("fhir", "fhir.json"),
                     ("ehr-text", "txt"), ("pdf", "pdf")):
        # A billing file asks the exporter's password (typed on stdin); the notes do not.
        said = json.loads(ok(setup, "export", "--month", "2026-11", "--format", fmt,
                             "--as", "Dr Blake Test", "--json"))
        path = Path(said["path"])
        assert path.parent == setup / "exports"
        assert re.fullmatch(rf"ccm-2026-11-[0-9a-f]{{8}}\.{re.escape(ext)}", path.name)
        assert "T1001" not in path.name
    rows = list(csv.DictReader(io.StringIO(
        next((setup / "exports").glob("*.csv")).read_text(encoding="utf-8-sig"))))
    assert [(r["mrn"], r["code"], r["units"], r["status"]) for r in rows] == [
        ("T1001", "99490", "1", "approved")]
    assert not list((setup / "exports").glob(".ccm-*"))  # no temporary file left
    assert next((setup / "exports").glob("*.pdf")).read_bytes().startswith(b"%PDF-")


def test_standard_output_and_drafts(setup: Path):
    out = ok(setup, "export", "--month", "2026-11", "--format", "ehr-text", "--out", "-")
    assert out.startswith("Care management monthly summary: November 2026\n")
    assert "=1+1 BP call" in out  # notes are text for the chart, not spreadsheet cells
    assert not (setup / "exports").exists() or not list((setup / "exports").iterdir())
    drafted = ok(setup, "export", "--month", "2026-11", "--format", "csv", "--draft",
                 "--out", "-")
    assert '"draft"' in drafted and drafted.startswith("\ufeff")


def test_refusals_are_one_sentence(setup: Path, tmp_path: Path):
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    for args, says in (
        (["export", "--month", "2026-11", "--format", "csv", "--as", "Dr Blake Test"],
         "is approved for billing"),
        (["export", "--month", "2026-11", "--format", "csv"],
         "Avery Nurse (clinical staff) may not export billing files"),
        (["approve", "--month", "2026-11"],
         "Avery Nurse (clinical staff) may not approve a month for billing"),
        (["export", "--month", "2026-11", "--format", "csv", "--draft", "--out",
          str(blocker / "x.csv")], "Cannot write the export to"),
        (["export", "--month", "2026-11", "--format", "xlsx"], "invalid choice"),
        (["export", "--month", "2026-13", "--format", "csv"], "not a real month"),
    ):
        result = run_cli(setup, *args)
        assert result.returncode != 0
        assert says in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert "Traceback" not in result.stderr
    assert not (setup / "exports").exists() or not list((setup / "exports").iterdir())


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder(setup: Path, tmp_path: Path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        result = run_cli(setup, "export", "--month", "2026-11", "--format", "csv", "--draft",
                         "--out", str(locked / "x.csv"))
    finally:
        locked.chmod(0o700)
    assert result.returncode == 1
    assert "Cannot write the export to" in result.stderr
    assert list(locked.iterdir()) == []
