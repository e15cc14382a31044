"""The Clinicians window (issue 17, point 2): an administrator adds, edits, grants and
revokes duties, sets the default, deactivates and resets a password, each through the
services (validated and audited there); anyone else reads the list and is told who changes
it. Real database, real widgets, the tray's own flow."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox

from ccm_timer.core.access import Duty
from ccm_timer.services.people import clinicians
from tests.fixtures.clinic import ADMIN, NURSE, PHYSICIAN


@pytest.fixture
def window(admin_clinic, make_tray):
    tray = make_tray(admin_clinic, signed_in=ADMIN)
    return tray.office.show("clinicians")


def _row(window, name):
    return next(r for r in range(window.table.rowCount())
                if window.table.item(r, 0).text().startswith(name))


def _actions(trail, ctx, since):
    return [(a, actor) for a, actor, _e, _after in trail(ctx, since)]


def test_lists_everyone_with_role_duties_and_state(admin_clinic, window) -> None:
    cells = [window.table.item(_row(window, NURSE), c).text() for c in range(8)]
    assert cells == [f"{NURSE} (default)", "RN", "clinical staff", "", "", "", "password set",
                     "active"]
    admin = [window.table.item(_row(window, ADMIN), c).text() for c in (2, 3)]
    assert admin == ["office (no clinical role)", "administrator"]
    assert window.note.isHidden() and window.add_button.isEnabled()


def test_add_edit_grant_and_default(admin_clinic, window, audit_trail) -> None:
    since = len(audit_trail(admin_clinic))
    dialog = window.add_person()
    dialog.name.setText("Dr Casey New")
    dialog.role.setCurrentIndex(dialog.role.findData("practitioner"))
    assert dialog.incident_to.isEnabled()
    dialog.credential.setCurrentText("NP")
    dialog.npi.setText("12")
    dialog.ok.click()
    assert dialog.isVisible() and "exactly 10 digits" in dialog.error.text()
    dialog.npi.setText("1234567890")
    dialog.ok.click()
    assert not dialog.isVisible() and window.selected().name == "Dr Casey New"
    edit = window.edit_person()
    assert edit.credential.currentText() == "NP"
    edit.incident_to.setChecked(True)
    edit.ok.click()
    assert window.toggle_duty(Duty.BILLING)
    assert window.billing_button.text() == "Revoke &billing office"
    assert window.make_default()
    assert window.table.item(_row(window, "Dr Casey New"), 0).text().endswith("(default)")
    person = next(c for c in clinicians.list_clinicians(admin_clinic) if c.npi == "1234567890")
    assert person.incident_to and person.duties == ("billing",) and person.is_default
    assert _actions(audit_trail, admin_clinic, since) == [
        ("clinician.add", ADMIN), ("clinician.update", ADMIN), ("clinician.duties", ADMIN),
        ("clinician.default", ADMIN)]


def test_refusals_are_one_sentence_and_change_nothing(admin_clinic, window) -> None:
    window.select(NURSE)
    assert not window.toggle_active()
    assert "default clinician" in window.message.text()
    window.select(ADMIN)
    assert not window.toggle_duty(Duty.ADMIN)
    assert "only administrator" in window.message.text()
    assert not window.toggle_active()
    assert "cannot deactivate yourself" in window.message.text()
    assert all(c.active for c in clinicians.list_clinicians(admin_clinic, inactive=True))


def test_deactivate_and_reactivate_a_person(admin_clinic, window) -> None:
    window.select(PHYSICIAN)
    assert window.toggle_active()
    assert PHYSICIAN not in [p.name for p in window.people]
    window.show_inactive.setChecked(True)
    assert window.select(PHYSICIAN) and window.active_button.text() == "Reac&tivate"
    assert not window.edit_button.isEnabled()
    assert window.toggle_active()
    assert PHYSICIAN in [c.name for c in clinicians.list_clinicians(admin_clinic)]


def test_reset_password_asks_first(admin_clinic, window) -> None:
    window.select(NURSE)
    box = window.ask_reset()
    assert box.isVisible() and NURSE in box.text()
    reset = next(b for b in box.buttons() if box.buttonRole(b) is
                 QMessageBox.ButtonRole.AcceptRole)
    reset.click()
    assert window.table.item(_row(window, NURSE), 6).text() == "no password yet"
    assert "password was cleared" in window.message.text()


def test_a_nurse_reads_and_is_told_who_changes_it(admin_clinic, make_tray) -> None:
    tray = make_tray(admin_clinic, signed_in=NURSE)
    window = tray.office.show("clinicians")
    assert window.table.rowCount() == 3
    assert not window.note.isHidden() and "Only an administrator" in window.note.text()
    assert not any(b.isEnabled() for b in (window.add_button, window.edit_button,
                                           window.active_button, window.reset_button))
    window.select(PHYSICIAN)
    assert not window.toggle_active() and "Only an administrator" in window.message.text()
    assert window.add_person() is None
    assert all(c.active for c in clinicians.list_clinicians(admin_clinic, inactive=True))
