"""The set-based build of the month rollup (count_all, issue 18) on the cases a random
history rarely draws: a sub-second piece over a month's edge (a group present at 0
seconds), an entry of no length at a month's first instant (counted in the month before
too, the first month included), program-level time, an entry over three months in two
intervals, an entry still running, a voided one. It must be compute()'s count exactly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ccm_timer.store import month_rollup
from tests.fixtures.raw_entries import raw_entry

EDGE = datetime(2026, 11, 1, 4, 0, tzinfo=UTC)  # 1 November 00:00 in New York
SEPT = datetime(2026, 9, 1, 4, 0, tzinfo=UTC)  # the earliest entry's first instant


def test_the_set_based_build_is_computes_count_on_the_rare_cases(clinic):
    half = timedelta(microseconds=500_000)
    with clinic.write() as session:
        conn = session.connection()
        raw_entry(conn, "T1001", [(SEPT, SEPT)])  # no length, at the first month's start
        raw_entry(conn, "T1001", [(EDGE, EDGE)])  # no length, at a month's start
        raw_entry(conn, "T1002", [(EDGE - half, EDGE + timedelta(minutes=3))])  # 0 s in Oct
        raw_entry(conn, None, [(EDGE - timedelta(minutes=9), EDGE + timedelta(minutes=4))])
        raw_entry(conn, "T1003", [(datetime(2026, 10, 31, 20, tzinfo=UTC),
                                datetime(2026, 11, 1, 2, tzinfo=UTC)),
                               (datetime(2026, 11, 20, tzinfo=UTC),
                                datetime(2026, 12, 2, 7, tzinfo=UTC))])
        raw_entry(conn, "T1002", [(EDGE + timedelta(days=3), None)])  # running
        raw_entry(conn, "T1003", [(EDGE - timedelta(hours=1), EDGE + timedelta(hours=1))],
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
