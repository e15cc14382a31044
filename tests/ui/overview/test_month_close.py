"""Month close in the overview and the patient view: the approval column, approving (only a
practitioner), reopening after a change, and the month summary on the clipboard."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox

from ccm_timer.services.month import approvals
from ccm_timer.services.timing import entries
from ccm_timer.ui.overview import open_overview
from ccm_timer.ui.overview.overview_model import NAMES
from ccm_timer.ui.overview.overview_window import MonthOverview
from tests.fixtures.clinic import MONTH, log

DOCTOR = "Dr Blake Test"


def _overview(qtbot, ctx, clinician: str | None = None) -> MonthOverview:
    window = open_overview(ctx, clinician=clinician)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: not window.loading, timeout=10_000)  # rows come from a thread
    return window


def _approval(window: MonthOverview) -> dict[str, str]:
    proxy = window.proxy
    return {proxy.row_at(r).mrn: proxy.index(r, NAMES["Approval"]).data()
            for r in range(proxy.rowCount())}


def _select(window: MonthOverview, mrn: str) -> None:
    for row in range(window.proxy.rowCount()):
        if window.proxy.row_at(row).mrn == mrn:
            window.table.selectRow(row)
            return
    raise AssertionError(mrn)


def _confirm(box: QMessageBox) -> None:
    next(b for b in box.buttons() if b.text() == "&Approve").click()


def test_the_approval_column_shows_each_state(qtbot, nov, settled) -> None:
    log(nov, "T1001", 25)
    log(nov, "T1002", 17, day=5)
    approvals.approve(nov, MONTH, "T1001", approver=DOCTOR)
    window = _overview(qtbot, nov)
    assert _approval(window) == {"T1001": "Approved", "T1002": "Not approved", "T1003": "—"}
    tip = window.proxy.index(2, NAMES["Approval"]).data(Qt.ItemDataRole.ToolTipRole)
    assert tip.startswith("Approved by Dr Blake Test on 11/20/2026 12:00")
    log(nov, "T1001", 3, day=6)  # time added after the approval
    window.reload()
    settled(window)
    assert _approval(window)["T1001"] == "Reopened after changes"
    row = next(r for r in range(3) if window.proxy.row_at(r).mrn == "T1001")
    tip = window.proxy.index(row, NAMES["Approval"]).data(Qt.ItemDataRole.ToolTipRole)
    assert "Changed since, so it needs approving again" in tip and "added" in tip
    window.table.sortByColumn(NAMES["Approval"], Qt.SortOrder.AscendingOrder)  # to do first
    assert window.visible_mrns() == ["T1001", "T1002", "T1003"]


def test_clinical_staff_cannot_approve_and_are_told_why(qtbot, nov) -> None:
    log(nov, "T1001", 25)
    window = _overview(qtbot, nov)  # the default clinician: Avery Nurse, RN
    _select(window, "T1001")
    assert window.close_bar.ask_approve(every=False) is None  # not asked: refused at once
    message = window.close_bar.message
    assert message.isVisibleTo(window)
    assert message.text().startswith("Avery Nurse is clinical staff; the billing "
                                     "practitioner approves a month")
    assert message.text().endswith("In the app: choose the practitioner under Clinician in "
                                   "the tray menu, then approve again.")
    assert _approval(window)["T1001"] == "Not approved"


def test_a_practitioner_approves_the_selected_patient(qtbot, nov, settled) -> None:
    log(nov, "T1001", 25)
    log(nov, "T1002", 17, day=5)
    window = _overview(qtbot, nov)
    window.set_clinician(DOCTOR)  # the tray switched to the physician
    _select(window, "T1001")
    _confirm(window.close_bar.ask_approve(every=False))
    assert window.close_bar.message.text() == (
        "Approved November 2026 for Testpatient, Alma, by Dr Blake Test.")
    settled(window)
    assert _approval(window) == {"T1001": "Approved", "T1002": "Not approved", "T1003": "—"}


def test_approve_all_patients_with_time(qtbot, nov, settled) -> None:
    log(nov, "T1001", 25)
    log(nov, "T1002", 17, day=5)
    window = _overview(qtbot, nov, clinician=DOCTOR)
    box = window.close_bar.ask_approve(every=True)
    assert box.text().startswith("Approve November 2026 for every patient with time?")
    assert "You approve as Dr Blake Test (MD)." in box.text()
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert _approval(window)["T1001"] == "Not approved"
    window.close_bar.approve_all_button.click()
    _confirm(window.close_bar.confirm)
    assert window.close_bar.message.text() == (
        "Approved November 2026 for 2 patients, by Dr Blake Test.")
    settled(window)
    assert _approval(window) == {"T1001": "Approved", "T1002": "Approved", "T1003": "—"}


def test_nothing_selected_is_said_not_guessed(qtbot, nov) -> None:
    log(nov, "T1001", 25)
    window = _overview(qtbot, nov, clinician=DOCTOR)
    window.table.clearSelection()
    window.table.setCurrentIndex(window.proxy.index(-1, -1))
    assert window.close_bar.ask_approve(every=False) is None
    assert window.close_bar.message.text() == "Select a patient in the table first."


def test_copy_month_summary_of_the_selected_patient(qtbot, nov) -> None:
    log(nov, "T1001", 25, note="Reviewed home readings")
    window = _overview(qtbot, nov)
    _select(window, "T1001")
    QGuiApplication.clipboard().clear()
    window.close_bar.copy_button.click()
    text = QGuiApplication.clipboard().text()
    assert "Testpatient" in text and "November 2026" in text and "99490" in text
    assert window.close_bar.message.text() == (
        "Month summary of Testpatient, Alma copied. Paste it into the chart.")


def test_the_patient_view_shows_and_changes_the_approval(qtbot, nov, settled) -> None:
    view = log(nov, "T1001", 25)
    window = _overview(qtbot, nov, clinician=DOCTOR)
    patient = window.open_patient("T1001")
    assert "Not approved</span> — the billing practitioner" in patient.approval.text()
    _confirm(patient.close_bar.ask_approve(every=False))
    assert "Approved</span> — by Dr Blake Test on 11/20/2026 12:00." in patient.approval.text()
    settled(window)
    assert _approval(window)["T1001"] == "Approved"  # the overview follows
    entries.edit(nov, str(view.id), reason="started earlier", start=view.start.replace(
        minute=50, hour=13))
    patient.reload()
    said = patient.approval.text()
    assert "Reopened after changes</span> — approved by Dr Blake Test on 11/20/2026 12:00, " \
        "then changed; approve it again." in said
    assert "edited (started earlier)</li>" in said
    QGuiApplication.clipboard().clear()
    patient.close_bar.copy_button.click()
    assert "Testpatient" in QGuiApplication.clipboard().text()


def test_a_patient_without_time_has_nothing_to_approve(qtbot, nov) -> None:
    window = _overview(qtbot, nov, clinician=DOCTOR)
    patient = window.open_patient("T1003")
    assert "Nothing to approve</span> — no care-management time this month." in (
        patient.approval.text())
    assert not patient.close_bar.approve_button.isEnabled()
