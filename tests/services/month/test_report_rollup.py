"""The month report, the exports' document, the hub's seconds and the stop confirmation are
the same read through the month rollup as they were before it (issue 18), on the tests'
own clinics: November 2026 with its consent days and a physician's own time, and the busy
November of the overview; with a timer running over the month's end, and with an entry
over the long-entry bound."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ccm_timer.services.delivery import hub
from ccm_timer.services.exports.gather import build
from ccm_timer.services.month import report
from ccm_timer.services.timing import entries, timers, totals
from ccm_timer.store import month_rollup


def _figures(ctx) -> dict:
    return {month: (report.month_report(ctx, month).to_dict(),
                    hub.month_seconds(ctx.engine, month, ctx.zone, ctx.now()),
                    hub.month_seconds(ctx.engine, month, ctx.zone))
            for month in ("2026-10", "2026-11", "2026-12")}


def _unbuild(ctx) -> None:
    """As a database from before the rollup: the figures are counted from the entries."""
    with ctx.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM month_rollup_state")
        conn.exec_driver_sql("DELETE FROM month_rollup")


def _build(ctx) -> None:
    with ctx.write() as session:
        assert month_rollup.ensure(session.connection(), ctx.zone, ctx.now())
    with ctx.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM month_rollup").scalar() > 0
        assert month_rollup.usable(conn, ctx.zone)


def test_the_november_clinic_reads_the_same_through_the_rollup(month_clinic, clock):
    ctx, _ = month_clinic
    _unbuild(ctx)  # built at open: the figures before are the entries' own
    # A night over the month's end, long enough to be listed as a long entry.
    start = datetime(2026, 11, 30, 20, 0, tzinfo=UTC)  # 15:00 to 04:00 in New York
    entries.add_manual(ctx, patient_mrn="T1003", category_slug="phone-call", start=start,
                       end=start + timedelta(hours=13), program="RPM", long_ok=True)
    timers.start(ctx, patient_mrn="T1001", category_slug="phone-call")
    clock.advance(timedelta(minutes=17))
    before = _figures(ctx)
    document = build(ctx, "2026-11", draft=True)
    seconds = totals.patient_month_seconds(ctx, "T1001")
    _build(ctx)
    assert _figures(ctx) == before
    assert build(ctx, "2026-11", draft=True) == document
    assert totals.patient_month_seconds(ctx, "T1001") == seconds
    timers.stop(ctx)  # the drain counts it into the rollup, which still reads the same
    clock.advance(timedelta(minutes=1))
    with ctx.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM month_rollup_dirty").scalar() == 0
        assert month_rollup.differences(conn, ctx.zone) == 0


def test_the_busy_november_reads_the_same_through_the_rollup(busy_clinic):
    _unbuild(busy_clinic)
    before = _figures(busy_clinic)
    _build(busy_clinic)
    assert _figures(busy_clinic) == before
