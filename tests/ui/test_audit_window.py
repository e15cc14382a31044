"""The administrators' audit window (issue 16 point 6): a month's events in the columns of
`audit list`, filters by person and patient, the locked sign-ins on top."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtCore import Qt
from sqlmodel import select

from ccm_timer.services.people import clinicians
from ccm_timer.services.security import audit_view, credentials
from ccm_timer.services.security.audit_reads import Read, record_read
from ccm_timer.services.timing import timers
from ccm_timer.store.models import AuditEvent
from ccm_timer.ui.audit_window import EVERYONE, AuditWindow
from tests.fixtures.clinic import NURSE, PASSWORD, PHYSICIAN, give_passwords

ADMIN = "Casey Admin"
NOTE = "Spoke with her son about the evening dose"


@pytest.fixture
def trail(clinic, clock):
    timers.start(clinic, patient_mrn="T1001", category_slug="phone-call", note=NOTE)
    clock.advance(timedelta(minutes=3))
    timers.stop(clinic)
    record_read(clinic, PHYSICIAN, Read.PATIENT, mrn="T1002", detail="patient window")
    return clinic


def _cells(window: AuditWindow) -> list[list[str]]:
    model = window.model
    return [[model.index(r, c).data() for c in range(model.columnCount())]
            for r in range(model.rowCount())]


def _reviews(ctx) -> int:
    with ctx.read() as session:
        return len(list(session.exec(select(AuditEvent).where(
            AuditEvent.action == Read.AUDIT.value))))


def test_the_month_in_the_columns_of_audit_list_and_its_review_recorded(qtbot, trail):
    window = AuditWindow(trail)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    model = window.model
    headers = [model.headerData(c, Qt.Orientation.Horizontal)
               for c in range(model.columnCount())]
    assert headers == list(audit_view.COLUMNS)
    assert window.month() == "2026-11" and window.windowTitle() == "Audit trail — CCM Timer"
    rows = _cells(window)
    started = next(r for r in rows if r[4] == "timer.start")
    assert started[:2] == ["2026-11-03 10:00:00", NURSE] and started[5] == "T1001"
    viewed = next(r for r in rows if r[4] == "read.patient")
    assert (viewed[1], viewed[5], viewed[7]) == (
        PHYSICIAN, "T1002", "viewed a patient's record (patient window)")
    assert rows[-1][4] == "read.audit" and rows[-1][7].endswith("(audit window)")
    assert not any(NOTE in cell for row in rows for cell in row)
    assert window.count.text().endswith("event(s) in November 2026, oldest first; times "
                                        "are America/New_York time.")
    assert not window.locked.isVisible()


def test_filters_by_person_and_patient_without_reading_again(qtbot, trail):
    window = AuditWindow(trail)
    qtbot.addWidget(window)
    reviews, everything = _reviews(trail), len(window.rows)
    people = [window.person_box.itemText(i) for i in range(window.person_box.count())]
    assert people[0] == EVERYONE and {NURSE, PHYSICIAN} <= set(people[1:])
    window.person_box.setCurrentText(PHYSICIAN)
    assert {r[1] for r in _cells(window)} == {PHYSICIAN}
    window.person_box.setCurrentText(EVERYONE)
    qtbot.keyClicks(window.mrn_edit, "t1002")
    shown = _cells(window)
    assert shown and {r[5] for r in shown} == {"T1002"}
    assert window.count.text().startswith(f"{len(shown)} of {everything} event(s)")
    assert _reviews(trail) == reviews  # filtering the month read is not another review
    window.show_month("2026-10")
    assert window.model.rowCount() == 0 and _reviews(trail) == reviews + 1


def test_locked_sign_ins_show_at_the_top(qtbot, trail, clock):
    for _ in range(5):
        with pytest.raises(credentials.Refused):
            credentials.verify(trail, NURSE, "not-the-password")
        clock.advance(timedelta(seconds=20))
    window = AuditWindow(trail)
    qtbot.addWidget(window)
    window.show()
    assert window.locked.isVisible()
    assert window.locked.text().startswith(f"Sign-in locked: {NURSE}: locked until 2026-11-03")
    assert "sign-in locked" in [r[7] for r in _cells(window)]


def test_once_there_is_an_administrator_only_they_see_it(qtbot, trail):
    clinicians.add(trail, name=ADMIN, credential="Office", role="office", duties=("admin",))
    give_passwords(trail, (ADMIN,))
    refused = AuditWindow(trail)  # nobody proven
    qtbot.addWidget(refused)
    refused.show()
    assert refused.model.rowCount() == 0 and refused.error.isVisible()
    assert refused.error.text().startswith("Only an administrator may review the audit trail")
    nurse = credentials.verify(trail, NURSE, PASSWORD)
    also = AuditWindow(trail, viewer=lambda: nurse)
    qtbot.addWidget(also)
    assert also.model.rowCount() == 0 and "may not review" in also.error.text()
    signed_in = [credentials.verify(trail, ADMIN, PASSWORD)]  # who the tray has now
    window = AuditWindow(trail, viewer=lambda: signed_in[0])
    qtbot.addWidget(window)
    window.show()
    assert not window.error.isVisible() and window.model.rowCount() > 0
    assert _cells(window)[-1][1] == ADMIN  # the review, under the administrator's name
    # Hidden at a sign-out and shown to the next person: read again, under their name.
    window.hide()
    signed_in[0] = nurse
    window.show()
    assert window.model.rowCount() == 0 and "may not review" in window.error.text()
