"""The set-based build of the month rollup (count_all, issue 18) on the cases a random
history rarely draws: a sub-second piece over a month's edge (a group present at 0
seconds), an entry of no length at a month's first instant (counted in the month before
too, the first month included), program-level time, an entry over three months in two
intervals, an entry still running, a voided one. It must be compute()'s count exactly."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from ccm_timer.store import month_rollup
from ccm_timer.store.instants import to_db_text

EDGE = datetime(2026, 11, 1, 4, 0, tzinfo=UTC)  # 1 November 00:00 in New York
SEPT = datetime(2026, 9, 1, 4, 0, tzinfo=UTC)  # the earliest entry's first instant


def _entry(conn, mrn, spans, voided=False) -> None:
    """An entry as an import writes it (plain INSERTs); an end None: still running."""
    patient = conn.execute(text("SELECT id FROM patient WHERE mrn = :m"),
                           {"m": mrn}).scalar() if mrn else None
    nurse, category = conn.execute(text(
        "SELECT (SELECT id FROM clinician WHERE name = 'Avery Nurse'), "
        "(SELECT id FROM category WHERE slug = 'phone-call')")).one()
    entry = uuid.uuid4().hex
    conn.execute(text(
        "INSERT INTO time_entry (id, origin_id, version, clinician_id, patient_id, "
        "category_id, program, note, source, state, workstation, tz_name, voided, "
        "created_at) VALUES (:id, :id, 1, :c, :p, :k, 'CCM', '', 'IMPORT', 'STOPPED', "
        "'ws-test-1', 'America/New_York', :v, :at)"),
        {"id": entry, "c": nurse, "p": patient, "k": category, "v": voided,
         "at": to_db_text(spans[0][0])})
    for lo, hi in spans:
        conn.execute(text("INSERT INTO interval (id, entry_id, start_utc, end_utc) "
                          "VALUES (:i, :e, :lo, :hi)"),
                     {"i": uuid.uuid4().hex, "e": entry, "lo": to_db_text(lo),
                      "hi": None if hi is None else to_db_text(hi)})


def test_the_set_based_build_is_computes_count_on_the_rare_cases(clinic):
    half = timedelta(microseconds=500_000)
    with clinic.write() as session:
        conn = session.connection()
        _entry(conn, "T1001", [(SEPT, SEPT)])  # no length, at the first month's start
        _entry(conn, "T1001", [(EDGE, EDGE)])  # no length, at a month's start
        _entry(conn, "T1002", [(EDGE - half, EDGE + timedelta(minutes=3))])  # 0 s in Oct
        _entry(conn, None, [(EDGE - timedelta(minutes=9), EDGE + timedelta(minutes=4))])
        _entry(conn, "T1003", [(datetime(2026, 10, 31, 20, tzinfo=UTC),
                                datetime(2026, 11, 1, 2, tzinfo=UTC)),
                               (datetime(2026, 11, 20, tzinfo=UTC),
                                datetime(2026, 12, 2, 7, tzinfo=UTC))])
        _entry(conn, "T1002", [(EDGE + timedelta(days=3), None)])  # running
        _entry(conn, "T1003", [(EDGE - timedelta(hours=1), EDGE + timedelta(hours=1))],
               voided=True)
        ny = clinic.zone
        months = month_rollup.all_months(conn, ny)
        assert str(months[0]) == "2026-08"  # the month before the first
        recount = month_rollup.compute(conn, ny, months)
        built = month_rollup.count_all(conn, ny)
        assert built == recount
        october = {k: v for k, v in built.items() if k[1] == "2026-10"}
        assert [0, 0] in october.values()  # the half second over the edge: a 0 s group
        assert any(k[0] is None for k in built)  # program-level time
        assert {k[1] for k in built} == {"2026-08", "2026-09", "2026-10", "2026-11",
                                         "2026-12"}
        month_rollup.rebuild(conn, ny, clinic.now())
        assert month_rollup.differences(conn, ny, recount) == 0
