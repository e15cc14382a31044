"""`doctor`'s check of the month rollup (issue 18): built when missing, a row out of step or
a rollup counted in another zone is said in one sentence and counted again, and the report
reads the same before and after."""

from __future__ import annotations

import json
from datetime import timedelta
from zoneinfo import ZoneInfo

from ccm_timer.core.month import YearMonth
from ccm_timer.services.context import open_app
from ccm_timer.services.month import report
from ccm_timer.services.security import integrity
from ccm_timer.services.timing import timers
from ccm_timer.store import month_rollup
from ccm_timer.store.month_time import month_time
from tests.fixtures.clinic import setup_clinic


def _rollup(ctx) -> list[tuple]:
    with ctx.engine.connect() as conn:
        return conn.exec_driver_sql("SELECT month, seconds FROM month_rollup").all()


def test_the_check_builds_then_finds_and_repairs_a_row_out_of_step(clinic, clock):
    timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
    clock.advance(timedelta(minutes=21))
    timers.stop(clinic)
    before = report.month_report(clinic, "2026-11").to_dict()
    assert integrity.month_rollup_check(clinic) == (True, None)  # built at open: in step
    assert _rollup(clinic) == [("2026-11", 21 * 60)]
    assert integrity.month_rollup_check(clinic) == (True, None)  # in step
    with clinic.engine.begin() as conn:  # a row changed behind the app's back
        conn.exec_driver_sql("UPDATE month_rollup SET seconds = seconds + 600")
    assert report.month_report(clinic, "2026-11").to_dict() != before  # what it repairs
    checked, said = integrity.month_rollup_check(clinic)
    assert checked and said == (
        "The month totals kept for the report differed from the time entries for 1 "
        "patient-month(s); they were counted again from the entries, so the report is "
        "right again.")
    assert _rollup(clinic) == [("2026-11", 21 * 60)]
    assert report.month_report(clinic, "2026-11").to_dict() == before


def test_a_new_clinic_zone_is_counted_at_once_and_the_check_repairs_another(clinic, clock):
    clock.advance(timedelta(days=27, hours=12))  # 30 November, 22:00 in New York
    timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
    clock.advance(timedelta(hours=3))  # 01:00 on 1 December in New York; 23:00 in Denver
    timers.stop(clinic)
    assert integrity.month_rollup_check(clinic) == (True, None)
    assert sorted(_rollup(clinic)) == [("2026-11", 2 * 3600), ("2026-12", 3600)]
    clinic.update_settings(clinic_timezone="America/Denver")  # counted again at the change
    denver = ZoneInfo("America/Denver")
    assert _rollup(clinic) == [("2026-11", 3 * 3600)]
    with clinic.engine.connect() as conn:
        assert month_rollup.usable(conn, denver)
        assert month_time(conn, YearMonth(2026, 11), denver, None, by=()).seconds == {
            (): 3 * 3600}
    assert integrity.month_rollup_check(clinic) == (True, None)
    with clinic.write() as session:  # counted in another zone behind the app's back
        month_rollup.rebuild(session.connection(), ZoneInfo("America/New_York"), clinic.now())
    checked, said = integrity.month_rollup_check(clinic)
    assert said == ("The month totals kept for the report were counted in America/New_York "
                    "time, not the clinic's America/Denver; they were counted again from the "
                    "time entries.")
    assert _rollup(clinic) == [("2026-11", 3 * 3600)]
    with clinic.engine.connect() as conn:
        assert month_rollup.usable(conn, denver)


def test_doctor_says_the_month_totals_were_repaired(home, cli):
    setup_clinic(home)
    assert "Month totals:     ok" in cli("doctor").stdout
    ctx = open_app(str(home))
    try:
        with ctx.engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM month_rollup")
    finally:
        ctx.close()
    info = json.loads(cli("doctor", "--json").stdout)
    assert info["month_totals"] == {"checked": True, "repaired": (
        "The month totals kept for the report differed from the time entries for 1 "
        "patient-month(s); they were counted again from the entries, so the report is "
        "right again.")}
    assert info["ok"] is True
    assert "Month totals:     ok" in cli("doctor").stdout  # repaired: in step again
