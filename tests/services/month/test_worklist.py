"""The worklist (services/month/worklist.py): who needs time this month, against the days
left, from the month report's figures, on the busy November of the fixtures (24 November,
7 days left in New York)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from ccm_timer.core.month import YearMonth
from ccm_timer.services.month import worklist
from ccm_timer.services.people import patients
from ccm_timer.store.models import Clinician, Patient
from tests.fixtures.billable import complete_consent, incomplete_consent, make_billable
from tests.fixtures.clinic import AIDE, NURSE, PHYSICIAN, log


@pytest.fixture
def busy_clinic(busy_clinic):
    """Billable: a held claim is a test's own doing (test_held_rows_say_why)."""
    return make_billable(busy_clinic)


def set_patient(ctx, mrn: str, *, care_manager: str | None = None, active: bool = True):
    """The care manager and active columns as stored (migration 0012's column)."""
    with ctx.write() as session:
        row = session.exec(select(Patient).where(Patient.mrn == mrn)).one()
        if care_manager is not None:
            row.care_manager_id = session.exec(
                select(Clinician.id).where(Clinician.name == care_manager)).one()
        row.active = active
        session.add(row)


def test_rows_are_the_consented_patients_by_urgency(busy_clinic):
    wl = worklist.worklist(busy_clinic)
    assert (wl.month, wl.today, wl.days_left) == ("2026-11", date(2026, 11, 24), 7)
    got = [(r.mrn, r.program, r.minutes, r.code, r.threshold_minutes, r.minutes_needed)
           for r in wl.rows]
    # Short of a first code first, most minutes needed first; then the add-ons.
    assert got[:4] == [("T2010", "CCM", 0, "99490", 20, 20), ("T2001", "CCM", 17, "99490", 20, 3),
                       ("T2007", "PCM", 28, "99426", 30, 2), ("T2014", "CCM", 19, "99490", 20, 1)]
    assert all(r.earned for r in wl.rows[4:-1])
    assert [r.minutes_needed for r in wl.rows[4:-1]] == sorted(
        (r.minutes_needed for r in wl.rows[4:-1]), reverse=True)
    # Last, a claim time cannot release: T2009's RPM has no interactive contact recorded.
    last = wl.rows[-1]
    assert (last.mrn, last.program, last.earned) == ("T2009", "RPM", False)
    assert last.hold_reason == ("needs a real-time interactive (audio or video) "
                                "communication with the patient or caregiver this month")
    mrns = {r.mrn for r in wl.rows}
    # No consent (T2002, T2013), not enrolled (T2016): left out.
    assert not mrns & {"T2002", "T2013", "T2016"}
    # T2009 is in CCM and RPM: a row for each.
    assert {r.program for r in wl.rows if r.mrn == "T2009"} == {"CCM", "RPM"}
    assert [r.mrn for r in wl.rows if r.no_contact] == ["T2010"]
    assert wl.rows[1].per_day(wl.days_left) == 3 / 7


def test_thresholds_are_the_billing_rules(busy_clinic):
    """Each row's threshold is the engine's next threshold, as the month report gives it."""
    from ccm_timer.services.month.report import month_report

    report = month_report(busy_clinic, "2026-11")
    for row in worklist.worklist(busy_clinic).rows:
        nexts = report.patient(row.mrn).result.next
        assert any(n.code == row.code and n.threshold_seconds == row.threshold_seconds
                   and n.program == row.program for n in nexts), row


def test_deactivated_and_withdrawn_are_left_out(busy_clinic, clock):
    set_patient(busy_clinic, "T2010", active=False)
    patients.withdraw_consent(busy_clinic, "T2001", "CCM", date(2026, 11, 23), "moved away")
    mrns = {r.mrn for r in worklist.worklist(busy_clinic).rows}
    assert "T2010" not in mrns and "T2001" not in mrns and "T2014" in mrns


def test_filters_by_care_manager_program_and_no_contact(busy_clinic):
    set_patient(busy_clinic, "T2010", care_manager=NURSE)
    set_patient(busy_clinic, "T2003", care_manager=AIDE)
    wl = worklist.worklist(busy_clinic)
    nurse = next(cid for cid, name in wl.care_managers if name == NURSE)
    assert [name for _, name in wl.care_managers] == [NURSE, AIDE]  # by name: Avery, Casey
    assert [r.mrn for r in wl.filtered(care_manager=nurse)] == ["T2010"]
    assert worklist.find_care_manager(wl, "casey aide") != nurse
    none = wl.filtered(care_manager=worklist.NO_CARE_MANAGER)
    assert none and not {"T2010", "T2003"} & {r.mrn for r in none}
    assert {r.program for r in wl.filtered(program="RPM")} == {"RPM"}
    assert [r.mrn for r in wl.filtered(no_contact_only=True)] == ["T2010"]
    assert "PCM" in wl.programs and "RPM" in wl.programs


def test_reminder_counts_only_near_month_end(busy_clinic, clock):
    wl = worklist.worklist(busy_clinic)
    assert wl.days_left == 7 and worklist.reminder_text(wl) is None  # not yet
    clock.advance(timedelta(days=4))  # 28 November: 3 days left
    wl = worklist.worklist(busy_clinic)
    assert wl.days_left == 3
    # T2010, T2001, T2014 under 20 (CCM) and T2007 under 30 (PCM): two thresholds.
    assert worklist.reminder_text(wl) == "3 patients under 20 minutes and 1 under 30, 3 days left"
    ccm = wl.filtered(program="CCM")
    assert worklist.reminder_text(wl, ccm) == "3 patients under 20 minutes, 3 days left"
    assert worklist.reminder_text(wl, ccm[:1]) == "1 patient under 20 minutes, 3 days left"
    assert worklist.reminder_text(wl, ()) is None  # nobody short: no message


def test_days_left_counts_today():
    nov = YearMonth(2026, 11)
    assert nov.days_left(date(2026, 11, 30)) == 1
    assert nov.days_left(date(2026, 12, 1)) == 0
    assert nov.days_left(date(2026, 10, 20)) == 30


def test_running_time_counts_and_another_month(busy_clinic, clock):
    from ccm_timer.services.timing import timers

    timers.start(busy_clinic, patient_mrn="T2014", category_slug="phone-call")
    clock.advance(timedelta(minutes=2))
    assert "T2014" not in {r.mrn for r in worklist.short_of_first_code(
        worklist.worklist(busy_clinic).rows)}  # 21 minutes now, running time counted
    october = worklist.worklist(busy_clinic, "2026-10")
    assert october.days_left == 0 and october.month == "2026-10"
    assert clock.now() > datetime(2026, 11, 24, tzinfo=UTC)


def test_reminder_wording_for_many_thresholds():
    def row(mrn: str, minutes: int) -> worklist.WorkRow:
        return worklist.WorkRow(mrn, "Testpatient", "Alma", "CCM", 0, minutes * 60, "X",
                                minutes * 60, False, True)

    rows = (row("T1", 20), row("T1", 30), row("T2", 30), row("T3", 60), row("T4", 70))
    wl = worklist.Worklist("2026-11", "America/New_York", date(2026, 11, 30), 1, rows)
    # T1 counts once, under its nearest threshold.
    assert worklist.reminder_text(wl, rows[:4]) == (
        "1 patient under 20 minutes, 1 under 30 and 1 under 60, 1 day left")
    assert worklist.reminder_text(wl) == "4 patients short of this month's minutes, 1 day left"


def test_held_rows_say_why_and_are_not_counted(busy_clinic, clock):
    """A claim held whatever time is added: the row says why in the engine's words, its
    lines never count as earned, and the month-end message leaves it out."""
    incomplete_consent(busy_clinic, "T2001", "CCM")
    clock.advance(timedelta(days=4))  # 28 November: 3 days left
    wl = worklist.worklist(busy_clinic)
    alma = next(r for r in wl.rows if r.mrn == "T2001")
    assert alma.held and alma.hold_reason == "the CCM consent is incomplete"
    assert not alma.earned
    walter = next(r for r in wl.rows if r.mrn == "T2004")  # lines on file, none held
    assert not walter.held and walter.hold_reason is None and walter.earned
    assert [r.mrn for r in wl.rows if r.held] == ["T2001", "T2009"]  # last: time pays nothing
    assert all(r.held for r in wl.rows[-2:])
    # T2010, T2014 under 20 and T2007 under 30; T2001's held claim is not counted.
    assert worklist.reminder_text(wl) == "2 patients under 20 minutes and 1 under 30, 3 days left"
    assert alma.to_dict(wl.days_left)["held"] == "the CCM consent is incomplete"


def test_lines_held_on_file_are_not_earned(busy_clinic):
    """T2003's RPM 99470 is on file but held once its consent is incomplete again."""
    incomplete_consent(busy_clinic, "T2003", "RPM")
    row = next(r for r in worklist.worklist(busy_clinic).rows if r.mrn == "T2003")
    assert row.held and row.hold_reason == "the RPM consent is incomplete"
    assert not row.earned


def test_the_practitioner_s_own_minutes_are_said(busy_clinic):
    """The physician at 28 CCM minutes: 99491 is 2 of *her* minutes away, as the overview's
    bar says it."""
    from ccm_timer.services.month.billing_rules import rules_for_month
    from ccm_timer.services.month.report import month_report
    from ccm_timer.ui.overview.progress_figures import program_progress

    log(busy_clinic, "T2010", 28, clinician=PHYSICIAN)
    row = next(r for r in worklist.worklist(busy_clinic).rows if r.mrn == "T2010")
    assert (row.code, row.minutes_needed, row.practitioner_only) == ("99491", 2, True)
    result = month_report(busy_clinic, "2026-11").patient("T2010").result
    bar = program_progress(result, rules_for_month(YearMonth(2026, 11)))[0]
    assert bar.caption == "2 min to 99491 (practitioner)" == row.next_words
    nurse = next(r for r in worklist.worklist(busy_clinic).rows if r.mrn == "T2001")
    assert not nurse.practitioner_only and nurse.next_words == "3 min to 99490"


def test_one_copy_of_an_enrolment_counts(busy_clinic):
    """A hub holds each workstation's copy of an enrolment: the one the report keeps counts
    (the earliest consent, withdrawn by a later copy), not any copy."""
    from ccm_timer.store.models import Enrollment, Program

    with busy_clinic.write() as session:
        pid = session.exec(select(Patient.id).where(Patient.mrn == "T2014")).one()
        session.add(Enrollment(patient_id=pid, program=Program.CCM, consent_date=date(2026, 9, 1),
                               withdrawn_on=date(2026, 11, 20), end_date=date(2026, 11, 20)))
    assert "T2014" not in {r.mrn for r in worklist.worklist(busy_clinic).rows}
    complete_consent(busy_clinic, "T2001", "CCM", date(2026, 1, 5))  # one copy: still in
    assert "T2001" in {r.mrn for r in worklist.worklist(busy_clinic).rows}
