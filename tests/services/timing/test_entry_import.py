"""Entry import (issue 18, point 3): every row checked as `entry add` checks it, every bad
row named, all rows or none, in short batches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from ccm_timer.errors import UserError
from ccm_timer.services.people import clinicians
from ccm_timer.services.security import audit
from ccm_timer.services.timing import entries, entry_import
from ccm_timer.services.timing.entry_import import ImportRefused
from tests.fixtures.clinic import NURSE, PHYSICIAN

HEADER = "mrn,category,clinician,start,end,note\n"


def _file(tmp_path: Path, body: str, name: str = "entries.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def _count(ctx) -> tuple[int, int, int]:
    with ctx.read() as session:
        return tuple(session.exec(text(  # type: ignore[return-value]
            "SELECT (SELECT count(*) FROM time_entry), (SELECT count(*) FROM interval), "
            "(SELECT count(*) FROM audit_event)")).one())


def _refused(ctx, path: Path, **kw) -> dict[int, str]:
    before = _count(ctx)
    with pytest.raises(ImportRefused) as info:
        entry_import.import_file(ctx, path, **kw)
    assert str(info.value).startswith("Nothing was imported")
    assert _count(ctx) == before  # nothing written, not even an audit event
    return dict(info.value.problems)


def test_a_good_file_imports_every_row_as_an_audited_import(clinic, tmp_path):
    path = _file(tmp_path, f"T1001,phone-call,{NURSE},2026-11-02T09:00,2026-11-02T09:20,"
                 "called about meds\n"
                 f"T1003,rpm-treatment,{PHYSICIAN},2026-11-02T14:00:00Z,2026-11-02T14:30Z,\n"
                 f"T1001,care-plan,{NURSE},2026-10-30T16:00-04:00,2026-10-30T16:45-04:00\n")
    result = entry_import.import_file(clinic, path)
    assert result.imported == 3 and result.writes == 1
    views = entries.list_entries(clinic)
    assert [(v.patient_mrn, v.category, v.clinician, v.source, v.seconds) for v in views] == [
        ("T1001", "care-plan", NURSE, "import", 45 * 60),
        ("T1001", "phone-call", NURSE, "import", 20 * 60),
        ("T1003", "rpm-treatment", PHYSICIAN, "import", 30 * 60)]
    # Local time in the clinic's zone (New York, EST on 2 November), offsets as given.
    assert views[1].start == datetime(2026, 11, 2, 14, 0, tzinfo=UTC)
    assert views[2].start == datetime(2026, 11, 2, 14, 0, tzinfo=UTC)
    assert views[0].start == datetime(2026, 10, 30, 20, 0, tzinfo=UTC)
    assert views[1].note == "called about meds"
    with clinic.read() as session:
        actions = [e.action for e in audit.history(session, result.import_id)]
        assert audit.verify(session).ok  # each entry's evidence is in the batch's event
    assert actions == ["entry.import.begin", "entry.import.batch", "entry.import"]


def test_each_kind_of_bad_row_gives_its_line_and_reason_and_nothing_is_written(
        clinic, clock, tmp_path):
    with clinic.write() as session:  # a deactivated patient and an office person
        session.exec(text("UPDATE patient SET active = 0 WHERE mrn = 'T1002'"))
    clinicians.add(clinic, name="Casey Office", credential="CPC", role="office")
    rows = [
        f"T9999,phone-call,{NURSE},2026-11-02T09:00,2026-11-02T09:10",  # 2
        f"T1002,phone-call,{NURSE},2026-11-02T09:00,2026-11-02T09:10",  # 3
        f"T1001,no-such,{NURSE},2026-11-02T09:00,2026-11-02T09:10",  # 4
        "T1001,phone-call,Nobody Here,2026-11-02T09:00,2026-11-02T09:10",  # 5
        "T1001,phone-call,Casey Office,2026-11-02T09:00,2026-11-02T09:10",  # 6
        f"T1001,phone-call,{NURSE},02/11/2026 09:00,2026-11-02T09:10",  # 7
        f"T1001,phone-call,{NURSE},2026-11-02T10:00,2026-11-02T09:10",  # 8
        f"T1001,phone-call,{NURSE},2026-11-03T09:00,2026-11-03T11:00",  # 9: future
        f"T1001,phone-call,{NURSE},1926-11-02T09:00,1926-11-02T09:10",  # 10
        f"T1001,phone-call,{NURSE},2026-10-01T08:00,2026-10-02T09:00",  # 11: 25 h
        f"T1001,phone-call,{NURSE},2026-10-05T06:00,2026-10-05T19:00",  # 12: 13 h
        f"T1001,,{NURSE},2026-11-02T09:00,2026-11-02T09:10",  # 13
        f",phone-call,{NURSE},2026-11-02T11:00,2026-11-02T11:10",  # 14
        f"T1001,phone-call,{NURSE},2026-03-08T02:30,2026-03-08T03:30",  # 15: DST gap
        f"T1001,phone-call,{NURSE},2026-11-02T12:00,2026-11-02T12:10,\x1b[31mred",  # 16
        f"T1001,phone-call,{NURSE},2026-11-02T13:00,2026-11-02T13:10,fine",  # 17: good
    ]
    problems = _refused(clinic, _file(tmp_path, "\n".join(rows) + "\n"))
    assert 17 not in problems and len(problems) == 15, sorted(problems.items())
    expect = {2: "no patient has MRN 'T9999'", 3: "'T1002' is deactivated",
              4: "no activity category 'no-such'", 5: "no clinician 'Nobody Here'",
              6: "times no care-management work", 7: "is not a time",
              8: "the end is not after the start", 9: "the end is in the future",
              10: "before 2000-01-01", 11: "more than 24 hours", 12: "more than 12 hours",
              13: "no activity category ''", 14: "needs a patient",
              15: "does not exist", 16: "note"}
    for line, words in expect.items():
        assert words in problems[line], (line, problems[line])
    # Confirmed, the 13-hour row alone would do.
    good = _file(tmp_path, rows[10] + "\n", "long.csv")
    assert entry_import.import_file(clinic, good, long_ok=True).imported == 1


def test_rows_that_overlap_each_other_or_recorded_time_are_refused(clinic, clock, tmp_path):
    entries.add_manual(clinic, patient_mrn="T1003", category_slug="rpm-treatment",
                       start=datetime(2026, 11, 2, 15, 0, tzinfo=UTC),
                       end=datetime(2026, 11, 2, 15, 30, tzinfo=UTC))  # 10:00 to 10:30 EST
    path = _file(tmp_path, "".join([
        f"T1001,phone-call,{NURSE},2026-11-02T09:00,2026-11-02T09:20\n",  # 2
        f"T1001,med-rec,{NURSE},2026-11-02T09:10,2026-11-02T09:15\n",  # 3: inside line 2
        f"T1001,phone-call,{PHYSICIAN},2026-11-02T09:00,2026-11-02T09:20\n",  # another person
        f"T1001,care-plan,{NURSE},2026-11-02T09:20,2026-11-02T09:30\n",  # 5: just after
    ]))
    problems = _refused(clinic, path)
    assert problems == {3: "it overlaps line 2 (from 9:00 to 9:20 AM yesterday)"}
    later = _file(tmp_path, f"T1001,care-plan,{NURSE},2026-11-02T10:20,2026-11-02T10:40\n"
                  f"T1001,care-plan,{NURSE},2026-11-02T10:40,2026-11-02T10:50\n", "b.csv")
    assert _refused(clinic, later) == {2: "it overlaps remote monitoring: data review and "
                                          "treatment management already recorded from 10:00 "
                                          "to 10:30 AM yesterday"}


def test_a_time_recorded_meanwhile_that_overlaps_takes_the_whole_import_back(clinic, tmp_path):
    start = datetime(2026, 10, 1, 13, 0, tzinfo=UTC)
    body = "".join(
        f"T1001,phone-call,{NURSE},{(start + timedelta(minutes=10 * i)).isoformat()},"
        f"{(start + timedelta(minutes=10 * i + 5)).isoformat()}\n" for i in range(1_200))
    seen: list[int] = []

    def meanwhile(done: int, total: int) -> None:
        seen.append(done)
        if len(seen) == 2:  # someone adds by hand time the file has later
            entries.add_manual(clinic, patient_mrn="T1001", category_slug="med-rec",
                               start=start + timedelta(minutes=10 * 1_100 + 1),
                               end=start + timedelta(minutes=10 * 1_100 + 3))
    with pytest.raises(UserError, match="line 1102: time that overlaps it was recorded"):
        entry_import.import_file(clinic, _file(tmp_path, body), on_batch=meanwhile,
                                 batch_rows=300)
    assert seen == [300, 600]
    views = entries.list_entries(clinic)
    assert [v.category for v in views] == ["med-rec"]  # the import counts for nothing
    with clinic.read() as session:
        assert audit.verify(session).ok
        voided = session.exec(text("SELECT count(*) FROM time_entry WHERE source = 'IMPORT' "
                                   "AND superseded_at IS NULL AND voided = 1")).one()[0]
    assert voided == 600


def test_twenty_thousand_rows_go_in_several_short_batches(clinic, tmp_path):
    start = datetime(2026, 1, 5, 14, 0, tzinfo=UTC)
    body = "".join(
        f"T1001,phone-call,{NURSE},{(start + timedelta(minutes=20 * i)).isoformat()},"
        f"{(start + timedelta(minutes=20 * i + 10)).isoformat()}\n" for i in range(20_000))
    written: list[int] = []
    result = entry_import.import_file(clinic, _file(tmp_path, body),
                                      on_batch=lambda done, total: written.append(done))
    assert result.imported == 20_000 and result.writes >= 4 and written[-1] == 20_000
    assert written == sorted(written) and len(written) == result.writes
    # Sized from the last one's time (the bound on it is measured alone, in tests/security).
    assert len(set(b - a for a, b in zip([0, *written], written, strict=False))) > 1
    with clinic.read() as session:
        assert session.exec(text("SELECT count(*) FROM time_entry WHERE source = 'IMPORT'"
                                 )).one()[0] == 20_000
