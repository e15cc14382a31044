"""The month overview over a real database: rows, filters, sorting, the month picker."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt

from ccm_timer.services.people import conditions, patients
from ccm_timer.ui.overview import open_overview
from ccm_timer.ui.overview.overview_model import NAMES
from ccm_timer.ui.overview.overview_window import MonthOverview
from tests.fixtures.clinic import (
    BUSY_EXTRA_ENROLLMENTS,
    BUSY_PATIENTS,
    CONSENT,
    MONTH,
    NURSE,
    log,
)

# Chronic conditions on file, enough for each program's eligibility (issue 14).
CHRONIC = {"CCM": ("E11.9", "I10"), "PCM": ("I50.9",)}


def _overview(qtbot, ctx) -> MonthOverview:
    window = open_overview(ctx)
    qtbot.addWidget(window)
    assert isinstance(window, MonthOverview)
    qtbot.waitUntil(lambda: not window.loading, timeout=10_000)  # rows come from a thread
    return window


def _complete_record(ctx, mrn: str, program: str, consent: date) -> None:
    """A whole consent (how, by whom, the three disclosures), the program's chronic
    conditions and the billing practitioner (Dr Blake Test, whose own minutes then count
    toward 99491: issue 15), so the month bills on its minutes alone."""
    patients.set_consent(ctx, mrn, program, consent, CONSENT["consent_method"], by=NURSE,
                         disclosures=CONSENT["disclosures"])
    patients.set_billing_practitioner(ctx, mrn, "Dr Blake Test")
    for code in CHRONIC.get(program, ()):
        conditions.add(ctx, mrn, code)


def _cell(window: MonthOverview, mrn: str, column: str) -> str:
    proxy = window.proxy
    for row in range(proxy.rowCount()):
        if proxy.row_at(row).mrn == mrn:
            return proxy.index(row, NAMES[column]).data()
    raise AssertionError(f"{mrn} is not shown; shown: {window.visible_mrns()}")


def test_one_row_per_patient_with_minutes_codes_and_next_threshold(qtbot, nov):
    log(nov, "T1001", 25)
    log(nov, "T1001", 4, day=5, clinician="Dr Blake Test")
    log(nov, "T1002", 17, day=6)
    window = _overview(qtbot, nov)
    assert window.windowTitle() == "Month overview — November 2026"
    assert window.month == MONTH
    assert window.visible_mrns() == ["T1003", "T1002", "T1001"]  # by name: Example, Sample, ...
    assert [_cell(window, "T1001", c) for c in ("Patient", "Staff min", "Practitioner min",
                                                "Total min", "Codes earned")] == [
        "Testpatient, Alma", "25", "4", "29", "99490"]
    assert _cell(window, "T1001", "Next threshold") == "11 min to 99439"
    assert _cell(window, "T1002", "Next threshold") == "3 min to 99490"
    assert _cell(window, "T1002", "Needs attention") == "No CCM consent"
    assert _cell(window, "T1003", "Total min") == "0"  # enrolled, no time yet: still listed
    assert window.summary.text().startswith("3 patients · 1 with billable codes")


def test_filters_near_a_threshold_missing_consent_and_search(qtbot, nov):
    log(nov, "T1001", 16)  # 4 min to 99490: near
    log(nov, "T1002", 30, day=5)  # no consent, 10 min to 99439: not near
    log(nov, "T1003", 8, day=6, category="rpm-treatment")  # 2 min to 99470: near
    window = _overview(qtbot, nov)
    window.near.setChecked(True)
    assert window.visible_mrns() == ["T1003", "T1001"]
    assert window.summary.text().startswith("Showing 2 of 3 patients")
    window.consent.setChecked(True)
    assert window.visible_mrns() == []
    assert window.empty.isVisibleTo(window) and "clear a filter" in window.empty.text()
    window.near.setChecked(False)
    assert window.visible_mrns() == ["T1002"]
    window.consent.setChecked(False)
    qtbot.keyClicks(window.search, "alm")
    assert window.visible_mrns() == ["T1001"]
    window.search.setText("t1003")
    assert window.visible_mrns() == ["T1003"]


def test_columns_sort_by_seconds_and_value_not_by_text(qtbot, nov):
    patients.add(nov, mrn="T1004", name="Aaron, Zed", program="CCM")
    _complete_record(nov, "T1004", "CCM", nov.now().date().replace(day=1))
    log(nov, "T1001", 45)  # 99490 + 99439; 15 min to the second 99439
    log(nov, "T1002", 100, day=5)  # no consent: held; capped, nothing ahead
    log(nov, "T1003", 10, day=6, category="rpm-treatment")  # 99470 held; 10 min to 99457
    log(nov, "T1004", 25.5, day=7)  # 99490; 14 min 30 s to 99439, shown as "15 min"
    window = _overview(qtbot, nov)
    total = NAMES["Total min"]
    window.table.sortByColumn(total, Qt.SortOrder.AscendingOrder)
    assert window.visible_mrns() == ["T1003", "T1004", "T1001", "T1002"]  # text: 10, 100, ...
    window.table.sortByColumn(total, Qt.SortOrder.DescendingOrder)
    assert window.visible_mrns() == ["T1002", "T1001", "T1004", "T1003"]
    window.table.sortByColumn(NAMES["Next threshold"], Qt.SortOrder.AscendingOrder)
    assert _cell(window, "T1004", "Next threshold") == _cell(window, "T1001", "Next threshold")
    assert window.visible_mrns() == ["T1003", "T1004", "T1001", "T1002"]  # seconds decide
    window.table.sortByColumn(NAMES["Codes earned"], Qt.SortOrder.DescendingOrder)
    assert window.visible_mrns()[:2] == ["T1001", "T1004"]  # billable value; held is none
    window.table.sortByColumn(NAMES["Patient"], Qt.SortOrder.AscendingOrder)
    assert window.visible_mrns() == ["T1004", "T1003", "T1002", "T1001"]  # Aaron first


def test_month_picker_reloads_and_says_when_a_month_is_empty(qtbot, nov, settled):
    log(nov, "T1001", 25)
    window = _overview(qtbot, nov)
    assert window.month_box.itemText(0) == "November 2026"
    with qtbot.waitSignal(window.reloaded):
        window.set_month("2025-11")
    assert window.windowTitle() == "Month overview — November 2025"
    # Only T1002 is enrolled then (pending consent, no start date); nobody has time.
    assert window.visible_mrns() == ["T1002"] and _cell(window, "T1002", "Total min") == "0"
    window.set_month("2026-11")
    settled(window)
    assert window.visible_mrns() == ["T1003", "T1002", "T1001"]


def test_an_empty_month_says_so(qtbot, ctx):
    window = _overview(qtbot, ctx)
    assert window.model.rows == [] and window.empty.isVisibleTo(window)
    assert window.empty.text().endswith("choose another month.")


def test_a_month_without_billing_rules_is_explained_not_a_crash(qtbot, nov, settled):
    window = _overview(qtbot, nov)
    window.set_month("2019-03")
    settled(window)
    assert window.error.isVisibleTo(window)
    assert "billing rules for 2019" in window.error.text()
    assert window.model.rows == []


def test_the_synthetic_clinic_reads_as_a_billing_clerk_expects(qtbot, busy_clinic):
    for mrn, _name, program, consent, _work in BUSY_PATIENTS:
        if consent:  # enrolled with consent: the record complete, as a clinic keeps it
            _complete_record(busy_clinic, mrn, program, date.fromisoformat(consent))
    for mrn, program, consent in BUSY_EXTRA_ENROLLMENTS:
        _complete_record(busy_clinic, mrn, program, date.fromisoformat(consent))
    window = _overview(qtbot, busy_clinic)
    assert window.summary.text() == ("16 patients · 9 with billable codes · 6 within 5 minutes "
                                     "of a threshold · 3 missing consent")
    assert _cell(window, "T2014", "Next threshold") == "1 min to 99490"  # 19 min 40 s
    assert _cell(window, "T2009", "Codes earned") == "99490  (held: 99470)"
    assert _cell(window, "T2006", "Codes earned") == "99487, 99489"
    for name in ("Testpatient", "T20"):  # nothing of a patient in the title
        assert name not in window.windowTitle()


def test_enter_on_a_row_opens_that_patient_and_presenting_again_reloads(qtbot, nov,
                                                                          settled):
    window = _overview(qtbot, nov)
    window.table.setFocus()
    window.table.selectRow(window.visible_mrns().index("T1002"))
    qtbot.keyClick(window.table, Qt.Key.Key_Return)
    opened = window.patient_windows[("T1002", MONTH)]
    assert opened.isVisible() and opened.name.text() == "Sample, José"
    log(nov, "T1001", 21)  # recorded from the tray while the window was open
    assert _cell(window, "T1001", "Total min") == "0"
    window.present()
    settled(window)
    assert _cell(window, "T1001", "Total min") == "21"
