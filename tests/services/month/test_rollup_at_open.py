"""The month rollup is built where issue 18 wants it: at open when it is missing (a
database from before it) or counted in another zone, and when the clinic's zone changes
(set here, or by another program in the settings file), so the report reads it from the
first day and says what the entries say. A damaged database, opened read-only, never
builds it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ccm_timer.services.context import open_app
from ccm_timer.services.month import report
from ccm_timer.services.timing import entries
from ccm_timer.store import month_rollup


def _history(ctx) -> None:
    """Time in October and November, one entry over the night between them."""
    for start, mrn in ((datetime(2026, 10, 31, 23, 0, tzinfo=UTC), "T1001"),
                       (datetime(2026, 11, 1, 3, 50, tzinfo=UTC), "T1002"),
                       (datetime(2026, 11, 2, 15, 0, tzinfo=UTC), "T1001")):
        entries.add_manual(ctx, patient_mrn=mrn, category_slug="phone-call", start=start,
                           end=start + timedelta(minutes=40))


def _unbuild(ctx) -> None:
    """As a database from before the rollup (or an interrupted first build)."""
    with ctx.engine.begin() as conn:
        for table in ("month_rollup_state", "month_rollup", "month_rollup_dirty"):
            conn.exec_driver_sql(f"DELETE FROM {table}")


def _zone(ctx) -> str | None:
    with ctx.engine.connect() as conn:
        return month_rollup.zone_of(conn)


def _in_step(ctx) -> bool:
    with ctx.engine.connect() as conn:
        zone = ctx.zone
        fresh = month_rollup.compute(conn, zone, month_rollup.all_months(conn, zone))
        return bool(fresh) and month_rollup.differences(conn, zone, fresh) == 0


def _reports(ctx) -> list[dict]:
    return [report.month_report(ctx, m).to_dict() for m in ("2026-10", "2026-11")]


def test_open_builds_the_missing_rollup_and_the_report_reads_the_same(clinic, home, clock):
    _history(clinic)
    assert _zone(clinic) == "America/New_York"  # a new database: built at its first open
    _unbuild(clinic)
    from_entries = _reports(clinic)  # not built: counted from the entries
    clinic.close()
    ctx = open_app(str(home), clock=clock)
    try:
        assert _zone(ctx) == "America/New_York" and _in_step(ctx)
        assert _reports(ctx) == from_entries
    finally:
        ctx.close()


def test_a_zone_change_counts_it_again_in_the_new_zone(clinic, home, clock):
    _history(clinic)
    clinic.update_settings(clinic_timezone="America/Los_Angeles")
    assert _zone(clinic) == "America/Los_Angeles" and _in_step(clinic)
    rolled = _reports(clinic)
    _unbuild(clinic)
    assert _reports(clinic) == rolled  # the same from the entries, in Los Angeles time
    clinic.update_settings(clinic_timezone="America/New_York")
    # Another program sets the zone in the file: read again, counted again.
    settings = home / "settings.toml"
    settings.write_text(settings.read_text(encoding="utf-8").replace(
        "America/New_York", "Europe/Berlin"), encoding="utf-8")
    assert clinic.reload_settings()
    assert _zone(clinic) == "Europe/Berlin" and _in_step(clinic)


def test_a_zone_changed_inside_a_write_is_counted_again_after_it(clinic):
    # The Settings dialog and the setup change the zone in the transaction of their audit
    # event; the rebuild's own write would wait on that held lock until "database is busy".
    _history(clinic)
    with clinic.write():
        clinic.update_settings(clinic_timezone="America/Chicago")
        assert _zone(clinic) == "America/New_York"  # not yet: the lock is ours
    assert _zone(clinic) == "America/Chicago" and _in_step(clinic)


def test_a_damaged_database_opened_read_only_never_builds_it(clinic, home, clock):
    _history(clinic)
    _unbuild(clinic)
    with clinic.engine.connect() as conn:
        root = conn.exec_driver_sql(
            "SELECT rootpage FROM sqlite_master WHERE name = 'audit_event'").scalar()
    clinic.close()
    with open(home / "ccm-timer.db", "r+b") as handle:  # one byte of a page goes bad
        handle.seek((root - 1) * 4096 + 1000)
        byte = handle.read(1)[0]
        handle.seek((root - 1) * 4096 + 1000)
        handle.write(bytes([byte ^ 0x55]))
    database = (home / "ccm-timer.db").read_bytes()
    ctx = open_app(str(home), clock=clock, always_check=True)
    try:
        assert ctx.read_only
        assert _zone(ctx) is None
    finally:
        ctx.close()
    assert (home / "ccm-timer.db").read_bytes() == database
