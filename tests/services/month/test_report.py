from datetime import UTC, datetime, timedelta

import pytest

from ccm_timer.core.access import Action
from ccm_timer.errors import UserError
from ccm_timer.services.month import report
from ccm_timer.services.timing import entries, timers
from tests.fixtures.clinic import NURSE, signer

# 2026-11-02 10:00 in New York.
DAY = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)


def _add(ctx, start, seconds, mrn="T1001", category="phone-call", clinician=None):
    return entries.add_manual(ctx, patient_mrn=mrn, category_slug=category, start=start,
                              end=start + timedelta(seconds=seconds), clinician=clinician)


def _patient(ctx, mrn="T1001", month="2026-11"):
    return report.month_report(ctx, month).patient(mrn)


def _codes(p, held=False):
    return [(line.code, line.units) for line in p.result.lines if line.held == held]


@pytest.mark.parametrize("seconds, codes", [
    (19 * 60 + 59, []), (20 * 60, [("99490", 1)]), (39 * 60 + 59, [("99490", 1)]),
    (40 * 60, [("99490", 1), ("99439", 1)]), (60 * 60, [("99490", 1), ("99439", 2)]),
])
def test_thresholds_in_seconds(clinic, seconds, codes):
    _add(clinic, DAY, seconds)
    assert _codes(_patient(clinic)) == codes


def test_time_adds_up_across_entries_and_shows_next_threshold(clinic):
    _add(clinic, DAY, 600)
    _add(clinic, DAY + timedelta(hours=1), 599)
    p = _patient(clinic)
    assert p.result.seconds_by_role["clinical_staff"] == 1199
    [ccm_next] = [n for n in p.result.next if n.program == "CCM" and n.chosen]
    assert (ccm_next.code, ccm_next.seconds_needed) == ("99490", 1)


def test_entry_crossing_month_end_is_split_in_clinic_time(clinic, clock):
    clock.advance(timedelta(days=40))
    # 23:50 on 30 November in New York, 30 minutes: 10 in November, 20 in December.
    start = datetime(2026, 12, 1, 4, 50, tzinfo=UTC)
    _add(clinic, start, 1800)
    assert _patient(clinic).result.seconds_by_role["clinical_staff"] == 600
    assert _patient(clinic, month="2026-12").result.seconds_by_role["clinical_staff"] == 1200


def test_voided_and_superseded_versions_do_not_count(clinic):
    a = _add(clinic, DAY, 1500)
    nurse = signer(clinic, NURSE, Action.CORRECT_ENTRY)
    entries.edit(clinic, str(a.id), reason="shorter", end=DAY + timedelta(minutes=10),
                 by=nurse)
    b = _add(clinic, DAY + timedelta(hours=2), 1500)
    entries.void(clinic, str(b.id), reason="wrong patient", by=nurse)
    assert _patient(clinic).result.seconds_by_role["clinical_staff"] == 600


def test_no_consent_holds_the_line(clinic):
    _add(clinic, DAY, 1500, mrn="T1002")  # enrolled in CCM, consent pending
    p = _patient(clinic, "T1002")
    assert _codes(p) == [] and _codes(p, held=True) == [("99490", 1)]
    assert "no_consent" in [w.code for w in p.result.warnings]


def test_overlap_and_long_entry_warnings(clinic, clock):
    clock.advance(timedelta(days=2))
    a = _add(clinic, DAY, 1200)
    b = _add(clinic, DAY + timedelta(minutes=10), 1200, clinician="Dr Blake Test")
    c = _add(clinic, DAY + timedelta(hours=3), 5 * 3600)
    warnings = {w.code: w for w in _patient(clinic).result.warnings}
    assert set(warnings["overlap"].entry_ids) == {str(a.id), str(b.id)}
    assert warnings["long_entry"].entry_ids == (str(c.id),)


def test_program_level_time_is_separate(clinic):
    entries.add_manual(clinic, patient_mrn=None, category_slug="quality-improvement",
                       start=DAY, end=DAY + timedelta(minutes=45))
    result = report.month_report(clinic, "2026-11")
    assert result.program_level_seconds == 2700
    assert all(p.result.total_seconds == 0 for p in result.patients)


def test_running_timer_counts_up_to_now(clinic, clock):
    timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
    clock.advance(1300)
    assert _codes(_patient(clinic)) == [("99490", 1)]


def test_enrolled_patients_without_time_are_listed(clinic):
    mrns = [p.mrn for p in report.month_report(clinic, "2026-11").patients]
    assert mrns == ["T1003", "T1002", "T1001"]  # by family name: Example, Sample, Testpatient


def test_one_patient_and_bad_input(clinic):
    _add(clinic, DAY, 1500)
    only = report.month_report(clinic, "2026-11", patient_mrn="T1001")
    assert [p.mrn for p in only.patients] == ["T1001"]
    with pytest.raises(UserError, match="No patient has MRN"):
        report.month_report(clinic, "2026-11", patient_mrn="NOPE")
    with pytest.raises(UserError, match="No billing rules for 2031"):
        report.month_report(clinic, "2031-01")
    with pytest.raises(UserError, match="not a month"):
        report.month_report(clinic, "2026/11")


def test_json_contract(clinic):
    _add(clinic, DAY, 1500)
    data = report.month_report(clinic, "2026-11").to_dict()
    assert data["month"] == "2026-11" and data["rules"]["year"] == 2026
    p = next(p for p in data["patients"] if p["mrn"] == "T1001")
    assert p["minutes"] == {"clinical_staff": 25, "practitioner": 0, "other_practitioner": 0}
    assert p["minutes_before_consent"] == {} and p["other_practitioners"] == []
    assert {"code": "99490", "units": 1}.items() <= p["lines"][0].items()
    assert isinstance(p["next"], list) and isinstance(p["warnings"], list)
