"""The tray's month figures read the report's new side (issue 15): another practitioner's
time and time before consent shown apart, never mistaken for the billing practitioner's or
counted (NGS Medicare: 99491/99437 count only the billing practitioner's own time;
Noridian JE: consent comes before the service)."""

from __future__ import annotations

from datetime import date

from ccm_timer.services.people import clinicians, conditions, patients
from ccm_timer.ui.overview import open_overview
from ccm_timer.ui.overview.overview_model import NAMES
from ccm_timer.ui.overview.patient_window import PatientMonthView
from tests.fixtures.clinic import CONSENT, NURSE, PHYSICIAN, log


def _open(qtbot, ctx, mrn: str):
    overview = open_overview(ctx)
    qtbot.addWidget(overview)
    qtbot.waitUntil(lambda: not overview.loading, timeout=10_000)  # rows come from a thread
    view = overview.open_patient(mrn)
    assert isinstance(view, PatientMonthView)
    return overview, view


def _cell(overview, mrn: str, column: str) -> str:
    for row in range(overview.proxy.rowCount()):
        if overview.proxy.row_at(row).mrn == mrn:
            return overview.proxy.index(row, NAMES[column]).data()
    raise AssertionError(mrn)


def test_another_practitioner_s_minutes_are_shown_apart(qtbot, nov):
    clinicians.add(nov, name="Dr Nia Other", credential="NP", role="practitioner")
    patients.set_billing_practitioner(nov, "T1001", PHYSICIAN)
    log(nov, "T1001", 35, clinician="Dr Nia Other")
    overview, view = _open(qtbot, nov, "T1001")
    assert view.figures.minutes.text() == (
        "Clinical staff 0 min · Practitioner 0 min · Other practitioners 35 min · "
        "Total 35 min")
    assert view.figures.billable.text() == "No billable code yet this month."  # no 99491
    assert "Dr Nia Other's 35 min of CCM time are not the billing practitioner's own" in (
        view.figures.warnings.text())
    assert _cell(overview, "T1001", "Practitioner min") == "0"
    assert "Another practitioner's time" in _cell(overview, "T1001", "Needs attention")


def test_time_before_a_consent_day_is_shown_apart_and_not_counted(qtbot, nov):
    for code in ("J44.9", "I10"):
        conditions.add(nov, "T1002", code)
    patients.set_consent(nov, "T1002", "CCM", date(2026, 11, 10), CONSENT["consent_method"],
                         by=NURSE, disclosures=CONSENT["disclosures"])
    log(nov, "T1002", 15, day=5)
    log(nov, "T1002", 10, day=12)
    overview, view = _open(qtbot, nov, "T1002")
    assert view.figures.minutes.text() == (
        "Clinical staff 10 min · Practitioner 0 min · Total 10 min · Before consent 15 min "
        "(not counted)")
    assert view.figures.billable.text() == "No billable code yet this month."  # not 99490
    assert "CCM time before consent" in _cell(overview, "T1002", "Needs attention")
