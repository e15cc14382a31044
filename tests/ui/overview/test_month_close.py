"""Month close in the overview and the patient view: the approval column, approving (only a
practitioner, signed in, with their password at that moment), reopening after a change, and
the month summary on the clipboard (a read in the audit trail)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from ccm_timer.core.access import Action
from ccm_timer.services.month import approvals
from ccm_timer.services.security import credentials
from ccm_timer.services.timing import entries
from ccm_timer.ui.attest_dialog import AttestDialog
from ccm_timer.ui.overview import open_overview
from ccm_timer.ui.overview.overview_model import NAMES
from ccm_timer.ui.overview.overview_window import MonthOverview
from tests.fixtures.clinic import MONTH, NURSE, PASSWORD, log, signer

DOCTOR = "Dr Blake Test"


def _signed_in(ctx, name: str | None):
    return credentials.verify(ctx, name, PASSWORD) if name else None


def _overview(qtbot, ctx, clinician: str | None = NURSE) -> MonthOverview:
    window = open_overview(ctx, signer=_signed_in(ctx, clinician))
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


def _confirm(prompt: AttestDialog, password: str = PASSWORD) -> None:
    """Type the password into the attestation prompt and confirm."""
    assert prompt.isVisible()
    prompt.password.setText(password)
    prompt.ok.click()


def test_the_approval_column_shows_each_state(qtbot, nov, settled) -> None:
    log(nov, "T1001", 25)
    log(nov, "T1002", 17, day=5)
    approvals.approve(nov, MONTH, "T1001", by=signer(nov, DOCTOR, Action.APPROVE))
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


def test_a_nurses_window_cannot_approve_and_says_why(qtbot, nov) -> None:
    log(nov, "T1001", 25)
    window = _overview(qtbot, nov)  # Avery Nurse, RN, signed in
    _select(window, "T1001")
    bar = window.close_bar
    assert not bar.approve_button.isEnabled() and not bar.approve_all_button.isEnabled()
    assert bar.message.isVisibleTo(window)
    assert bar.message.text() == (
        "Avery Nurse cannot approve: only the billing practitioner approves a month. In the "
        "app: the practitioner signs in at the tray (Switch person), then approves.")
    assert bar.approve_button.toolTip() == bar.message.text()
    assert bar.ask_approve(every=False) is None  # not asked for a password: refused at once
    assert _approval(window)["T1001"] == "Not approved"


def test_nobody_signed_in_approves_nothing(qtbot, nov) -> None:
    log(nov, "T1001", 25)
    window = _overview(qtbot, nov, clinician=None)
    _select(window, "T1001")
    assert window.close_bar.ask_approve(every=False) is None
    assert window.close_bar.message.text().startswith("Sign in at the tray first")


def test_a_wrong_password_approves_nothing_and_cancel_neither(qtbot, nov, settled,
                                                               audit_trail) -> None:
    log(nov, "T1001", 25)
    window = _overview(qtbot, nov, clinician=DOCTOR)
    _select(window, "T1001")
    head = len(audit_trail(nov))
    prompt = window.close_bar.ask_approve(every=False)
    assert "Dr Blake Test's &password:" in [
        label.text() for label in prompt.findChildren(type(prompt.error))]
    _confirm(prompt, "not-the-password")
    assert prompt.isVisible()
    assert prompt.error.text() == "That is not Dr Blake Test's password; nothing was changed."
    assert prompt.password.text() == ""  # never kept in the field
    prompt.reject()
    window.reload()
    settled(window)
    assert _approval(window)["T1001"] == "Not approved"
    assert [e[0] for e in audit_trail(nov, head)] == ["signin.fail"]


def test_a_practitioner_approves_the_selected_patient(qtbot, nov, settled) -> None:
    log(nov, "T1001", 25)
    log(nov, "T1002", 17, day=5)
    window = _overview(qtbot, nov)
    window.set_signer(_signed_in(nov, DOCTOR))  # the physician signed in at the tray
    assert window.close_bar.approve_button.isEnabled()
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
    prompt = window.close_bar.ask_approve(every=True)
    what = prompt.findChild(type(prompt.error), "what").text()
    assert what.startswith("Approve November 2026 for every patient with time you bill for")
    prompt.reject()
    assert _approval(window)["T1001"] == "Not approved"
    window.close_bar.approve_all_button.click()
    _confirm(window.close_bar.attest)
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


def test_copy_month_summary_of_the_selected_patient(qtbot, nov, audit_trail) -> None:
    log(nov, "T1001", 25, note="Reviewed home readings")
    window = _overview(qtbot, nov)
    _select(window, "T1001")
    QGuiApplication.clipboard().clear()
    head = len(audit_trail(nov))
    window.close_bar.copy_button.click()
    [event] = audit_trail(nov, head)
    assert event[:2] == ("read.note_copy", NURSE)
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
        minute=50, hour=13), by=signer(nov, NURSE, Action.CORRECT_ENTRY))
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
