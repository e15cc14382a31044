"""The per-day chart of a practitioner-only track counts the practitioner's own time only:
staff minutes never bring G0181 (CPO) or 99491 closer (CMS: the billing practitioner's
personal time)."""

from __future__ import annotations

from datetime import date

from ccm_timer.services.month import report, trends
from ccm_timer.services.people import patients
from ccm_timer.ui.presenters import trends as words
from tests.fixtures.clinic import NURSE, PHYSICIAN, log


def test_staff_minutes_do_not_count_toward_a_practitioner_only_threshold(nov):
    patients.set_consent(nov, "T1001", "CPO_HOME_HEALTH", date(2026, 11, 1))
    log(nov, "T1001", 25, day=5, clinician=NURSE, program="CPO_HOME_HEALTH")
    log(nov, "T1001", 10, day=6, clinician=PHYSICIAN, program="CPO_HOME_HEALTH")
    days = trends.patient_days(nov, "T1001", "2026-11")
    cpo = days.program("CPO_HOME_HEALTH")
    result = report.month_report(nov, "2026-11").patient("T1001").result
    assert cpo.counted_seconds == result.track_for("CPO_HOME_HEALTH").chosen_seconds == 600
    assert cpo.worked_seconds == 35 * 60 and cpo.own_time_only
    assert [t.code for t in cpo.thresholds] == ["G0181"]
    said = words.daily_caption(days, cpo)
    assert "10 min of the practitioner's own time counted" in said
    assert "20 min to G0181" in said and "35 min in all" in said


def test_a_staff_track_counts_everyones_time_as_before(month_clinic):
    ctx, _ = month_clinic
    days = trends.patient_days(ctx, "T1001", "2026-11")
    ccm = days.program("CCM")
    result = report.month_report(ctx, "2026-11").patient("T1001").result
    assert not ccm.own_time_only
    assert ccm.counted_seconds == result.track_for("CCM").chosen_seconds
    assert words.daily_caption(days, ccm).startswith(
        f"CCM: {ccm.counted_seconds // 60} min counted")
