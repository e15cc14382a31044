"""The month rollup equals a full recount from the intervals after any writes (issue 18).

Random writes through the services (entries added by hand across month edges and New
York's DST days, edited, voided; timers started, stopped over a month's end, left running),
raw statements that bypass the ORM (an import's inserts, an interval shortened in place),
and changes of the clinic's zone. After each run of them: the kept rows are exactly a
fresh count (`differences` is 0, nothing waits for the drain), the overlaps kept beside it
are a fresh sweep (store/month_overlaps.py), and month_time read through
the rollup equals month_time from the entries alone (the count the report had before the
rollup), for every grouping the callers ask, with long entries and consent-day cuts. The
rollup is built set-based (count_all: at open, at a zone change) and kept per patient by
compute() (the drain); both are checked against compute() over every month.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from ccm_timer.core.month import YearMonth, month_bounds_utc
from ccm_timer.errors import UserError
from ccm_timer.services.timing import entries, timers
from ccm_timer.store import month_overlaps, month_rollup
from ccm_timer.store.instants import to_db_text
from ccm_timer.store.month_time import _month_time
from tests.fixtures.clinic import corrector
from tests.fixtures.raw_entries import raw_entry

NY = ZoneInfo("America/New_York")
ZONES = (NY, ZoneInfo("America/Los_Angeles"), ZoneInfo("Europe/Berlin"))
MONTHS = (YearMonth(2026, 9), YearMonth(2026, 10), YearMonth(2026, 11), YearMonth(2026, 12),
          YearMonth(2027, 1))
# Month edges in New York, and its two clock changes of 2026 (1 November is both).
EDGES = (datetime(2026, 10, 1, 4, 0, tzinfo=UTC), datetime(2026, 11, 1, 4, 0, tzinfo=UTC),
         datetime(2026, 11, 1, 6, 0, tzinfo=UTC), datetime(2026, 12, 1, 5, 0, tzinfo=UTC),
         datetime(2026, 10, 15, 14, 0, tzinfo=UTC))
LATE = datetime(2027, 1, 1, 4, 0, tzinfo=UTC)  # the clock starts 1 h before 2027 in New York
GROUPS = (("patient", "clinician", "program"), ("patient", "role", "program"), (),
          ("role",), ("patient",))
MRNS = ("T1001", "T1002", "T1003", None)  # None: program-level time

instants = st.builds(lambda edge, minutes, micro: edge + timedelta(minutes=minutes,
                                                                    microseconds=micro),
                     st.sampled_from(EDGES), st.integers(-900, 900), st.integers(0, 999_999))
op = st.one_of(
    st.tuples(st.just("add"), st.sampled_from(MRNS), instants, st.integers(0, 1200),
              st.booleans()),
    st.tuples(st.just("edit"), st.integers(0, 50), st.integers(-1500, 1500),
              st.integers(1, 600)),
    st.tuples(st.just("move"), st.integers(0, 50), st.sampled_from(MRNS[:3])),
    st.tuples(st.just("void"), st.integers(0, 50)),
    st.tuples(st.just("timer"), st.sampled_from(MRNS[:3]), st.integers(1, 180),
              st.booleans()),
    st.tuples(st.just("raw"), st.sampled_from(MRNS), instants, st.integers(0, 3000)),
    st.tuples(st.just("shorten"), st.integers(0, 50), st.integers(1, 60)),
    st.tuples(st.just("zone"), st.sampled_from(ZONES)),
)


def _apply(ctx, clock, step, made: list[uuid.UUID], fixer) -> None:
    kind, *args = step
    try:
        if kind == "add":
            mrn, start, minutes, physician = args
            made.append(entries.add_manual(
                ctx, patient_mrn=mrn, category_slug="phone-call" if mrn else
                "quality-improvement", start=start,
                end=start + timedelta(minutes=minutes, seconds=1),
                clinician="Dr Blake Test" if physician else None, long_ok=True).id)
        elif kind == "edit" and made:
            ref, shift, minutes = args
            start = EDGES[ref % len(EDGES)] + timedelta(minutes=shift)
            made.append(entries.edit(ctx, str(made[ref % len(made)]), start=start,
                                     end=start + timedelta(minutes=minutes),
                                     reason="times corrected", by=fixer, long_ok=True).id)
        elif kind == "move" and made:
            ref, mrn = args
            made.append(entries.edit(ctx, str(made[ref % len(made)]), patient_mrn=mrn,
                                     reason="another patient", by=fixer).id)
        elif kind == "void" and made:
            entries.void(ctx, str(made[args[0] % len(made)]), reason="entered twice", by=fixer)
        elif kind == "timer":
            mrn, minutes, stop = args
            timers.start(ctx, patient_mrn=mrn, category_slug="phone-call")
            clock.advance(timedelta(minutes=minutes, microseconds=1))
            if stop:
                made.append(timers.stop(ctx).id)
        elif kind == "raw":
            _raw_entry(ctx, *args)
        elif kind == "shorten" and made:
            ref, minutes = args
            with ctx.write() as session:  # an interval changed in place, no ORM
                session.connection().execute(text(
                    "UPDATE interval SET end_utc = :end WHERE entry_id = :e AND end_utc IS "
                    "NOT NULL AND start_utc < :end AND (SELECT superseded_at FROM time_entry "
                    "WHERE id = :e) IS NULL"),
                    {"e": made[ref % len(made)].hex,
                     "end": to_db_text(EDGES[ref % len(EDGES)] + timedelta(minutes=minutes))})
        elif kind == "zone":
            with ctx.write() as session:
                month_rollup.ensure(session.connection(), args[0], ctx.now())
    except UserError:
        pass  # refused (an overlap, a superseded version, no timer): nothing changed


def _raw_entry(ctx, mrn: str | None, start: datetime, minutes: int) -> None:
    """An entry as an import writes it: plain INSERTs, two intervals, no ORM."""
    half = start + timedelta(minutes=minutes // 2)
    with ctx.write() as session:
        raw_entry(session.connection(), mrn, [
            (start, half),
            (half + timedelta(minutes=5), half + timedelta(minutes=5 + minutes // 2))])


def _assert_in_step(ctx, clock) -> None:
    with ctx.read() as session:
        conn = session.connection()
        zone = ZoneInfo(month_rollup.zone_of(conn) or "UTC")
        assert conn.execute(text("SELECT count(*) FROM month_rollup_dirty")).scalar() == 0
        # The kept rows, the set-based build of every month (what open and a zone change
        # write) and compute()'s recount month by month (what the drain writes) are one count.
        recount = month_rollup.compute(conn, zone, month_rollup.all_months(conn, zone))
        assert month_rollup.count_all(conn, zone) == recount
        assert month_rollup.differences(conn, zone, recount) == 0
        patients = [r[0] for r in conn.execute(text("SELECT id FROM patient ORDER BY mrn"))]
        cut = {(uuid.UUID(hex=patients[0]), "CCM"): datetime(2026, 11, 12, 5, tzinfo=UTC)}
        # The overlaps kept beside it: the rows are a fresh sweep of the stopped entries of
        # every month, and the report's overlaps (those rows, and live for the patients with
        # a running entry) are a fresh sweep of all the month's entries.
        months = month_rollup.all_months(conn, zone)
        assert month_overlaps.count_all(conn, zone) == month_overlaps.compute(conn, zone, months)
        assert month_overlaps.differing(conn, zone) == set()
        for month in MONTHS:
            lo, hi = month_bounds_utc(month, zone)
            assert month_overlaps.of_month(conn, month, zone, clock.now()) == \
                month_overlaps.found(conn, lo, hi, clock.now()), month
            for pid in patients:
                assert month_overlaps.of_month(conn, month, zone, clock.now(), pid) == \
                    month_overlaps.found(conn, lo, hi, clock.now(), [pid]), (month, pid)
        for month in MONTHS:
            for now in (clock.now(), None):
                for by in GROUPS:
                    kw = {"counted_from": cut} if by[:1] == ("patient",) and "program" in by \
                        else {}
                    for over in (None, 3 * 3600):
                        args = (conn, month, zone, now, by, None, over, kw.get("counted_from"))
                        assert _month_time(*args, rolled=True) == _month_time(
                            *args, rolled=False), (month, now, by, over)


@pytest.fixture
def rolled(clinic, clock):
    clock.advance(LATE - timedelta(hours=1) - clock.now())
    with clinic.engine.connect() as conn:
        assert month_rollup.usable(conn, NY)  # built at the database's first open
    return clinic


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(steps=st.lists(op, min_size=1, max_size=8))
def test_the_rollup_equals_a_full_recount_after_any_writes(rolled, clock, steps):
    fixer = corrector(rolled)
    made: list[uuid.UUID] = []
    for step in steps:
        _apply(rolled, clock, step, made, fixer)
    _assert_in_step(rolled, clock)
    try:
        timers.stop(rolled)  # the next example starts with no timer running
    except UserError:
        pass
    _assert_in_step(rolled, clock)
