"""What the bars and the overview rows say, from the billing engine's results (no Qt)."""

from __future__ import annotations

import uuid
from datetime import date

from ccm_timer.core.billing import (
    EnrollmentInput,
    MonthFlags,
    PatientMonthTotals,
    evaluate_patient_month,
)
from ccm_timer.services.month.billing_rules import rules_for_month
from ccm_timer.services.month.report import PatientReport
from ccm_timer.ui.overview.progress_figures import program_progress
from ccm_timer.ui.overview.rows import OverviewRow, exact, hours, month_counts

RULES = rules_for_month("2026-11")


def _result(seconds: dict, programs=("CCM",), consent=True, flags: MonthFlags | None = None):
    enrolled = tuple(EnrollmentInput(p, date(2026, 1, 5) if consent else None, None, None)
                     for p in programs)
    return evaluate_patient_month(PatientMonthTotals(seconds), enrolled, flags, "2026-11", RULES)


def _row(result) -> OverviewRow:
    report = PatientReport(uuid.uuid4(), "T1", "Testpatient", "Alma", None, result)
    return OverviewRow(report, program_progress(result, RULES))


def test_ccm_short_of_20_minutes_is_near_99490_with_ticks_at_each_threshold():
    (ccm,) = program_progress(_result({("clinical_staff", "CCM"): 17 * 60 + 1}), RULES)
    assert [(t.seconds // 60, t.codes) for t in ccm.ticks] == [
        (20, "99490"), (40, "99439"), (60, "99439")]
    assert (ccm.scale, ccm.seconds_needed, ccm.near, ccm.earned) == (3600, 179, True, False)
    assert ccm.caption == "3 min to 99490"  # 2 min 59 s still to work is 3 minutes


def test_19_minutes_59_seconds_is_not_20_and_6_minutes_is_not_near():
    (ccm,) = program_progress(_result({("clinical_staff", "CCM"): 20 * 60 - 1}), RULES)
    assert (ccm.earned, ccm.caption, ccm.near) == (False, "1 min to 99490", True)
    (far,) = program_progress(_result({("clinical_staff", "CCM"): 14 * 60}), RULES)
    assert (far.caption, far.near) == ("6 min to 99490", False)


def test_rpm_shows_both_tracks_and_aims_at_the_code_that_pays_more():
    result = _result({("clinical_staff", "RPM"): 12 * 60}, programs=("RPM",),
                     flags=MonthFlags(interactive_contact=True))
    (rpm,) = program_progress(result, RULES)
    assert [t.codes for t in rpm.ticks][:2] == ["99470", "99457"]
    assert (rpm.earned, rpm.held, rpm.caption) == (True, False, "8 min to 99457")


def test_complex_ccm_ticks_appear_once_the_flags_make_it_available():
    staff = {("clinical_staff", "CCM"): 95 * 60}
    (plain,) = program_progress(_result(staff), RULES)
    assert 90 * 60 not in [t.seconds for t in plain.ticks]
    assert plain.caption == "every unit earned"  # staff CCM is capped at 60 minutes
    flags = MonthFlags(complex_mdm=True, care_plan_revised=True)
    (complex_,) = program_progress(_result(staff, flags=flags), RULES)
    assert [(t.seconds // 60, t.codes) for t in complex_.ticks] == [
        (60, "99487"), (90, "99489"), (120, "99489")]  # staff CCM is behind: no 20/40 ticks
    assert (complex_.scale, complex_.caption) == (120 * 60, "25 min to 99489")
    # Flagged at 45 minutes: staff CCM is billed, and 60 minutes would earn 99439 or 99487.
    (both,) = program_progress(_result({("clinical_staff", "CCM"): 45 * 60}, flags=flags),
                               RULES)
    assert [t.codes for t in both.ticks][:3] == ["99490", "99439", "99439/99487"]


def test_practitioner_time_names_whose_minutes_reach_the_next_code():
    (ccm,) = program_progress(_result({("practitioner", "CCM"): 28 * 60}), RULES)
    assert ccm.caption == "2 min to 99491 (practitioner)"


def test_a_held_line_colours_the_bar_and_marks_the_row_missing_consent():
    result = _result({("clinical_staff", "CCM"): 25 * 60}, consent=False)
    row = _row(result)
    assert (row.progress[0].held, row.missing_consent) == (True, True)
    assert (row.billable_text, row.codes_text, row.billable_cents) == ("", "held: 99490", 0)
    assert row.attention == ("No CCM consent",)
    assert "consent is documented" in row.attention_tooltip


def test_row_texts_and_month_counts():
    billed = _row(_result({("clinical_staff", "CCM"): 62 * 60, ("practitioner", "CCM"): 30}))
    assert (billed.staff_seconds, billed.practitioner_seconds, billed.total_seconds) == (
        3720, 30, 3750)
    assert billed.codes_text == "99490, 99439 ×2" and billed.billable_cents == 16213
    near = _row(_result({("clinical_staff", "CCM"): 18 * 60}))
    held = _row(_result({("clinical_staff", "CCM"): 25 * 60}, consent=False))
    counts = month_counts([billed, near, held])
    assert counts.text == ("3 patients · 1 with billable codes · 1 within 5 minutes of a "
                           "threshold · 1 missing consent")
    assert (exact(0), exact(1199), hours(89 * 60 + 59), hours(45 * 60)) == (
        "0 min", "19 min 59 s", "1 h 29 min", "45 min")
