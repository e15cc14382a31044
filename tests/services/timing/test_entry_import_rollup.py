"""The month rollup around an entry import (issue 18, point 3): a large import sets it aside
(the report counts from the entries meanwhile) and builds it again at its end, imported or
taken back; a small one keeps it row by row. Either way it ends equal to a full count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ccm_timer.errors import UserError
from ccm_timer.services.timing import entries, entry_import, entry_import_rollup
from tests.fixtures.clinic import NURSE
from tests.fixtures.rollup_state import rollup_state

START = datetime(2026, 8, 30, 13, 0, tzinfo=UTC)  # the rows run over three months


def _file(tmp_path: Path, rows: int) -> Path:
    path = tmp_path / "entries.csv"
    path.write_text("mrn,category,clinician,start,end\n" + "".join(
        f"T100{1 + i % 2},phone-call,{NURSE},{(START + timedelta(hours=2 * i)).isoformat()},"
        f"{(START + timedelta(hours=2 * i, minutes=7)).isoformat()}\n" for i in range(rows)),
        encoding="utf-8")
    return path


@pytest.fixture
def aside_from_100(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 100-row file counts as large: the set-aside path without a 20,000-row file."""
    monkeypatch.setattr(entry_import_rollup, "ASIDE_ROWS", 100)


def test_a_large_import_sets_the_rollup_aside_and_builds_it_again(clinic, tmp_path,
                                                                    aside_from_100):
    seen: list[str | None] = []
    result = entry_import.import_file(
        clinic, _file(tmp_path, 600), batch_rows=200,
        on_batch=lambda done, total: seen.append(rollup_state(clinic)[0]))
    assert result.imported == 600 and result.writes == 3
    assert seen == [None, None, None]  # absent while the batches go in: counted live
    assert rollup_state(clinic) == ("America/New_York", 0, 600 * 7 * 60)


def test_a_large_import_taken_back_leaves_the_rollup_built_and_right(clinic, tmp_path,
                                                                     aside_from_100):
    def meanwhile(done: int, total: int) -> None:
        if done == 200:  # someone records time the file has later
            entries.add_manual(clinic, patient_mrn="T1001", category_slug="med-rec",
                               start=START + timedelta(hours=2 * 500, minutes=1),
                               end=START + timedelta(hours=2 * 500, minutes=3))
    with pytest.raises(UserError, match="line 502: time that overlaps it was recorded"):
        entry_import.import_file(clinic, _file(tmp_path, 600), batch_rows=200,
                                 on_batch=meanwhile)
    assert rollup_state(clinic) == ("America/New_York", 0, 2 * 60)  # the hand-added time only


def test_a_small_import_keeps_the_rollup_row_by_row(clinic, tmp_path):
    seen: list[str | None] = []
    entry_import.import_file(clinic, _file(tmp_path, 90), batch_rows=30,
                             on_batch=lambda done, total: seen.append(rollup_state(clinic)[0]))
    assert seen == ["America/New_York"] * 3
    assert rollup_state(clinic) == ("America/New_York", 0, 90 * 7 * 60)


def test_time_recorded_while_the_rollup_is_aside_is_in_it_once_built(clinic):
    with clinic.write() as session:
        entry_import_rollup.keep_aside(session.connection())
    entries.add_manual(clinic, patient_mrn="T1001", category_slug="med-rec",
                       start=START, end=START + timedelta(minutes=4))
    assert rollup_state(clinic)[0] is None  # no note kept of it: the report counted it live
    entry_import_rollup.restore(clinic)
    assert rollup_state(clinic) == ("America/New_York", 0, 4 * 60)
