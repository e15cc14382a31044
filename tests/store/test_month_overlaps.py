"""Each patient-month's overlapping entries kept beside the month rollup (issue 18,
store/month_overlaps.py, revision 0016): kept by the drain, including the earlier months a
partner's change reaches, counted live for a patient with a running entry, checked and
repaired by `doctor`'s check, and built by the open after the upgrade."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from ccm_timer.core.month import YearMonth, month_bounds_utc
from ccm_timer.services.context import open_app
from ccm_timer.services.month import report
from ccm_timer.store import migrate, month_overlaps, month_rollup
from ccm_timer.store.engine import make_engine
from ccm_timer.store.instants import to_db_text
from tests.fixtures.clinic import add_people
from tests.fixtures.raw_entries import raw_entry

OCT, NOV = YearMonth(2026, 10), YearMonth(2026, 11)
AT = datetime(2026, 10, 20, 14, 0, tzinfo=UTC)
NY = ZoneInfo("America/New_York")


def _kept(conn) -> list[tuple[str, str, str, int]]:
    return [tuple(r) for r in conn.execute(text(
        "SELECT month, entry_a, entry_b, seconds FROM month_overlap "
        "ORDER BY month, entry_a, entry_b"))]


def _pair(a: str, b: str) -> tuple[str, str]:
    """Two stored ids as the report names an overlap's entries, in order."""
    first, second = sorted(str(uuid.UUID(v)) for v in (a, b))
    return first, second


def test_a_partner_added_in_november_reaches_octobers_overlaps(clinic, clock):
    """P and C overlap in October; C runs into November, where O is added later, sharing
    C's time. October lists C's partners, O among them, though O's own span is November's
    only: the drain recounts October too (the months of the entries touching O's span)."""
    clock.advance(datetime(2026, 12, 2, 15, 0, tzinfo=UTC) - clock.now())
    with clinic.write() as session:
        conn = session.connection()
        p = raw_entry(conn, "T1001", [(AT, AT + timedelta(hours=1))])
        c = raw_entry(conn, "T1001", [(AT + timedelta(minutes=30), AT + timedelta(days=16))])
    with clinic.engine.connect() as conn:
        assert _kept(conn) == [("2026-10", *_pair(p, c), 30 * 60)]
    nov_2 = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
    with clinic.write() as session:
        o = raw_entry(session.connection(), "T1001", [(nov_2, nov_2 + timedelta(minutes=20))])
    with clinic.engine.connect() as conn:
        assert _kept(conn) == sorted([("2026-10", *_pair(p, c), 30 * 60),
                                      ("2026-10", *_pair(c, o), 20 * 60),
                                      ("2026-11", *_pair(c, o), 20 * 60)])
        for month in (OCT, NOV):
            lo, hi = month_bounds_utc(month, NY)
            assert month_overlaps.of_month(conn, month, NY, clock.now()) == \
                month_overlaps.found(conn, lo, hi, clock.now())


def test_a_running_entry_is_counted_live_then_kept_once_stopped(clinic, clock):
    clock.advance(datetime(2026, 11, 10, 15, 0, tzinfo=UTC) - clock.now())
    start = clock.now() - timedelta(hours=2)
    with clinic.write() as session:
        conn = session.connection()
        done = raw_entry(conn, "T1002", [(start, start + timedelta(hours=1))])
        running = raw_entry(conn, "T1002", [(start + timedelta(minutes=45), None)])
    with clinic.engine.connect() as conn:
        assert _kept(conn) == []  # a running entry is never kept
        found = report.month_report(clinic, "2026-11").patient("T1002").result
        shown = [w for w in found.to_dict()["warnings"] if w["code"] == "overlap"]
        assert len(shown) == 1 and set(shown[0]["entry_ids"]) == set(_pair(done, running))
    with clinic.write() as session:
        session.connection().execute(text(
            "UPDATE interval SET end_utc = :end WHERE entry_id = :e"),
            {"e": running, "end": to_db_text(clock.now())})
    with clinic.engine.connect() as conn:
        assert _kept(conn) == [("2026-11", *_pair(done, running), 15 * 60)]


def test_the_check_repairs_kept_overlaps_that_differ(clinic, clock):
    clock.advance(datetime(2026, 12, 2, 15, 0, tzinfo=UTC) - clock.now())
    with clinic.write() as session:
        conn = session.connection()
        raw_entry(conn, "T1001", [(AT, AT + timedelta(hours=1))])
        raw_entry(conn, "T1001", [(AT + timedelta(minutes=50), AT + timedelta(hours=2))])
    with clinic.engine.begin() as conn:  # behind the app's back, no trigger on the table
        kept = _kept(conn)
        conn.exec_driver_sql("UPDATE month_overlap SET seconds = seconds + 60")
    with clinic.write() as session:
        said = month_rollup.check_and_repair(session.connection(), clinic.zone, clinic.now())
    assert said is not None and "1 patient-month(s)" in said
    with clinic.engine.connect() as conn:
        assert _kept(conn) == kept
    with clinic.write() as session:
        assert month_rollup.check_and_repair(session.connection(), clinic.zone,
                                             clinic.now()) is None


def test_0016_is_built_by_the_open_after_it_and_goes_back_to_0015(home, clock):
    clock.advance(datetime(2026, 12, 2, 15, 0, tzinfo=UTC) - clock.now())
    ctx = open_app(str(home), clock=clock)
    try:
        add_people(ctx)
        with ctx.write() as session:
            conn = session.connection()
            raw_entry(conn, "T1003", [(AT, AT + timedelta(hours=1))])
            raw_entry(conn, "T1003", [(AT + timedelta(minutes=10), AT + timedelta(hours=2))])
        with ctx.engine.connect() as conn:
            assert len(_kept(conn)) == 1
        engine = ctx.engine
    finally:
        ctx.close()
    # Back to 0015 (its table gone), with the rollup built as 0015 left it.
    cfg = Config()
    cfg.set_main_option("script_location", str(migrate.MIGRATIONS))
    key = engine.ccm_key
    engine = make_engine(home / "ccm-timer.db", key)
    try:
        with engine.execution_options(ccm_write=True).begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0015")
        assert "month_overlap" not in migrate.table_names(engine)
        with engine.connect() as conn:
            assert month_rollup.zone_of(conn) == "America/New_York"
    finally:
        engine.dispose()
    ctx = open_app(str(home), clock=clock)  # upgrades, and builds rollup and overlaps
    try:
        assert migrate.current_revision(ctx.engine) == "0017"
        with ctx.engine.connect() as conn:
            assert month_rollup.zone_of(conn) == "America/New_York"
            assert len(_kept(conn)) == 1
            assert month_overlaps.differing(conn, ctx.zone) == set()
    finally:
        ctx.close()


def _vm_steps(conn, work) -> int:
    """The virtual-machine instructions SQLite runs for `work` on `conn`: a
    count that does not depend on the machine's speed or load."""
    raw = conn.connection.driver_connection
    steps = [0]

    def tick() -> int:
        steps[0] += 1
        return 0  # 0: go on

    raw.set_progress_handler(tick, 1)
    try:
        work()
    finally:
        raw.set_progress_handler(None, 1)
    return steps[0]


def test_a_patients_overlaps_cost_their_entries_not_the_clinics_history(clinic, clock):
    """The sweep of one patient's month reads that patient's entries: 1,500 earlier entries
    of another patient leave its cost as it was. A plan that finds the partners by walking
    the intervals by start (SQLite's planner may take it; forced, it costs 31 times as much
    here) reads the clinic's whole history before the candidate, once per candidate."""
    clock.advance(datetime(2026, 12, 2, 15, 0, tzinfo=UTC) - clock.now())
    nov_20 = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
    with clinic.write() as session:
        conn = session.connection()
        a = raw_entry(conn, "T1001", [(nov_20, nov_20 + timedelta(minutes=30))])
        b = raw_entry(conn, "T1001", [(nov_20 + timedelta(minutes=10),
                                       nov_20 + timedelta(minutes=50))])
    lo, hi = month_bounds_utc(NOV, NY)

    def sweep(conn):
        pid = conn.execute(text("SELECT id FROM patient WHERE mrn = 'T1001'")).scalar()
        got = month_overlaps.found(conn, lo, hi, clock.now(), [pid], stopped=True)
        assert [(o.entry_a, o.entry_b, o.seconds) for o in got[pid]] == \
            [(*_pair(a, b), 20 * 60)]

    with clinic.engine.connect() as conn:
        alone = _vm_steps(conn, lambda: sweep(conn))
    oct_1 = datetime(2026, 10, 1, 4, 0, tzinfo=UTC)
    with clinic.write() as session:
        conn = session.connection()
        for i in range(1500):
            at = oct_1 + timedelta(minutes=20 * i)
            raw_entry(conn, "T1002", [(at, at + timedelta(minutes=10))])
    with clinic.engine.connect() as conn:
        beside = _vm_steps(conn, lambda: sweep(conn))
    assert beside <= alone * 1.5 + 20, (alone, beside)
