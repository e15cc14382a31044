"""The dashboard's figures: each month as the month report decides it, and one patient's
minutes per clinic day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import event

from ccm_timer.core.month import parse_month
from ccm_timer.services.month import report, trends
from ccm_timer.services.month.trends import MonthState
from ccm_timer.services.people import patients
from ccm_timer.services.timing import entries
from tests.fixtures.clinic import NURSE, PHYSICIAN, log


def test_a_closed_month_counts_billable_and_held_patients_as_the_report_does(month_clinic):
    ctx, _ = month_clinic  # the clock on 1 December: November is closed
    found = trends.month_trends(ctx)
    assert [t.month for t in found] == [f"2026-{m:02d}" for m in range(1, 13)]
    november = next(t for t in found if t.month == "2026-11")
    the_report = report.month_report(ctx, "2026-11")
    billable = {p.mrn for p in the_report.patients if p.result.billable_lines}
    assert billable == {"T1001"}  # T1002 has no consent, T1003 no interactive contact
    assert november.state is MonthState.HELD
    assert (november.billable_patients, november.held_patients) == (1, 2)
    ccm, rpm = november.program("CCM"), november.program("RPM")
    assert (ccm.billable_patients, ccm.held_patients, ccm.patients_with_time) == (1, 1, 2)
    assert (rpm.billable_patients, rpm.held_patients) == (0, 1)
    for program in ("CCM", "RPM"):
        assert november.program(program).seconds == sum(
            p.result.seconds_by_program.get(program, 0) for p in the_report.patients)
    december = found[-1]
    assert december.state is MonthState.IN_PROGRESS and december.days_left == 31
    assert december.billable_patients == 0 and december.seconds == 0


def test_months_come_newest_first_and_a_year_without_rules_is_not_known(clinic):
    seen = []
    found = trends.month_trends(clinic, [parse_month("2024-06"), parse_month("2026-10")],
                                each=lambda t: seen.append(t.month))
    assert seen == ["2026-10", "2024-06"]
    unknown = found[0]
    assert unknown.month == "2024-06" and unknown.state is MonthState.NO_RULES
    assert unknown.problem == "No billing rules for 2024: what is billable is not known."


def test_a_month_of_many_entries_takes_as_many_queries_as_a_month_of_few(nov, clock):
    """The totals are one aggregate per month, not a query (or a row read) per entry."""

    def statements(ctx) -> int:
        seen: list[str] = []

        def listener(*args) -> None:
            seen.append(args[2])  # the statement's text

        event.listen(ctx.engine, "before_cursor_execute", listener)
        try:
            trends.month_trends(ctx, [parse_month("2026-10"), parse_month("2026-11")])
        finally:
            event.remove(ctx.engine, "before_cursor_execute", listener)
        return len(seen)

    log(nov, "T1001", 5, day=2)
    few = statements(nov)
    for day in range(3, 19):
        log(nov, "T1001", 3, day=day)
        log(nov, "T1003", 4, day=day, hour=16, program="RPM")
    assert statements(nov) == few


def test_a_patients_minutes_are_counted_per_clinic_day(month_clinic):
    ctx, _ = month_clinic
    days = trends.patient_days(ctx, "T1001", "2026-11")
    assert (days.mrn, days.name, days.days, days.today) == (
        "T1001", "Testpatient, Alma", 30, None)
    ccm = days.program("CCM")
    assert ccm is days.main
    # Three nurse calls of 12 minutes on 3, 4 and 5 November, the physician's 31:20 on the 9th.
    assert [(d + 1, s) for d, s in enumerate(ccm.seconds_by_day) if s] == [
        (3, 720), (4, 720), (5, 720), (9, 1880)]
    expected = report.month_report(ctx, "2026-11").patient("T1001").result
    assert ccm.counted_seconds == expected.seconds_by_program["CCM"]
    assert ccm.billable_codes == tuple(
        line.code for line in expected.billable_lines if line.program == "CCM")
    assert [t.code for t in ccm.thresholds][:1] == [expected.lines[0].code]


def test_a_day_ends_at_local_midnight_and_time_before_consent_is_apart(nov, clock):
    # 23:50 to 00:20 in New York (UTC-5 in November): 10 minutes on the 9th, 20 on the 10th.
    start = datetime(2026, 11, 10, 4, 50, tzinfo=UTC)
    entries.add_manual(nov, patient_mrn="T1002", category_slug="phone-call", start=start,
                       end=start + timedelta(minutes=30), clinician=NURSE)
    log(nov, "T1002", 15, day=16, clinician=PHYSICIAN)
    patients.set_consent(nov, "T1002", "CCM", date(2026, 11, 12))
    days = trends.patient_days(nov, "T1002", "2026-11")
    assert days.today == 20
    ccm = days.program("CCM")
    assert ccm.before_consent_by_day[8:10] == (600, 1200)
    assert sum(ccm.seconds_by_day) == ccm.seconds_by_day[15] == 900 == ccm.counted_seconds


def test_a_patient_with_no_time_has_the_programs_first_threshold(nov):
    days = trends.patient_days(nov, "T1003", "2026-11")
    rpm = days.program("RPM")
    assert sum(rpm.seconds_by_day) == 0 and rpm.thresholds
    assert days.program("CCM") is None
