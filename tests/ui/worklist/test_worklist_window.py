"""The worklist window (ui/worklist/), opened from the tray's flow as the menu opens it, on
the busy November of the fixtures (24 November, the nurse signed in)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QApplication

from ccm_timer.services.timing import entries
from ccm_timer.ui.presenters import worklist as text
from tests.fixtures.clinic import NURSE, PHYSICIAN


def opened(qtbot, tray):
    window = tray.office.show("worklist")
    qtbot.waitUntil(lambda: window.worklist is not None and not window.loading, timeout=15_000)
    return window


def cell(window, row: int, title: str) -> str:
    return window.model.index(row, text.TITLES.index(title)).data()


def test_opens_by_urgency_and_audits_the_read(qtbot, busy_clinic, make_tray,
                                                     audit_trail):
    tray = make_tray(busy_clinic)
    before = len(audit_trail(busy_clinic))
    window = opened(qtbot, tray)
    assert window.windowTitle() == "Worklist — November 2026"  # no patient in the title
    first = window.shown_rows()[0]
    assert (first.mrn, first.program) == ("T2010", "CCM")
    assert cell(window, 0, "Patient") == "Specimen, Lars"
    assert cell(window, 0, "Still needed") == "20 min to 99490"
    assert cell(window, 0, "Contact") == text.NO_CONTACT
    assert "7 days left in November 2026" in window.summary.text()
    reads = [e for e in audit_trail(busy_clinic, since=before) if e[0] == "read.report"]
    assert [(e[1], e[3]["detail"]) for e in reads] == [(NURSE, "worklist")]
    window.close()
    tray.office.show("worklist")  # opened again: read again
    qtbot.waitUntil(lambda: len([e for e in audit_trail(busy_clinic, since=before)
                                 if e[0] == "read.report"]) == 2, timeout=15_000)


def test_full_names_whatever_the_tray_masks(qtbot, busy_clinic, make_tray):
    """mask_patients covers the tooltip and notifications; the window, like the overview,
    names whom to call."""
    assert busy_clinic.settings.mask_patients
    window = opened(qtbot, make_tray(busy_clinic))
    assert cell(window, 0, "Patient") == "Specimen, Lars"
    assert not window.table.isColumnHidden(text.MRN_COLUMN)


def test_filters(qtbot, busy_clinic, make_tray, care_manager):
    care_manager(busy_clinic, "T2014", PHYSICIAN)
    window = opened(qtbot, make_tray(busy_clinic))
    all_rows = len(window.shown_rows())
    window.choose(program="RPM")
    assert {r.program for r in window.shown_rows()} == {"RPM"}
    assert window.summary.text().startswith(f"Showing {len(window.shown_rows())} of "
                                            f"{all_rows}")
    window.choose(program="", no_contact_only=True)
    assert [r.mrn for r in window.shown_rows()] == ["T2010"]
    window.choose(no_contact_only=False)
    physician = window.manager_box.findText(PHYSICIAN)
    window.manager_box.setCurrentIndex(physician)
    assert [r.mrn for r in window.shown_rows()] == ["T2014"]
    window.choose(program="RPM")
    assert window.shown_rows() == []
    assert window.pages.currentWidget() is window.empty
    assert "No patient matches these filters" in window.empty.text()


def test_a_care_manager_sees_their_own_patients_first(qtbot, busy_clinic, make_tray,
                                                       care_manager):
    care_manager(busy_clinic, "T2001", NURSE)
    window = opened(qtbot, make_tray(busy_clinic))
    assert window.manager_box.currentText() == NURSE
    assert [r.mrn for r in window.shown_rows()] == ["T2001"]


def test_sorting_by_a_column_uses_its_value(qtbot, busy_clinic, make_tray):
    window = opened(qtbot, make_tray(busy_clinic))
    window.table.sortByColumn(text.TITLES.index("Minutes"), Qt.SortOrder.DescendingOrder)
    minutes = [r.seconds for r in window.shown_rows()]
    assert minutes == sorted(minutes, reverse=True)
    window.table.sortByColumn(text.TITLES.index("Contact"), Qt.SortOrder.AscendingOrder)
    assert window.shown_rows()[0].no_contact


def test_one_click_starts_a_timer_for_the_row(qtbot, busy_clinic, make_tray):
    tray = make_tray(busy_clinic)
    window = opened(qtbot, tray)
    row = next(n for n, r in enumerate(window.shown_rows()) if r.mrn == "T2001")
    window.table.selectRow(row)
    window.start_button.click()
    start = tray.dialogs["start"]
    assert start.isVisible()
    assert start.picker.chosen().mrn == "T2001"


def test_one_click_times_the_row_s_program(qtbot, busy_clinic, make_tray):
    """T2009 is in CCM and RPM: the RPM row opens on an RPM activity, not the clinic's
    first (a phone call for CCM); the patients window's call without one still works."""
    tray = make_tray(busy_clinic)
    window = opened(qtbot, tray)
    row = next(n for n, r in enumerate(window.shown_rows())
               if (r.mrn, r.program) == ("T2009", "RPM"))
    window.table.selectRow(row)
    window.start_button.click()
    start = tray.dialogs["start"]
    assert start.picker.chosen().mrn == "T2009"
    assert start.activities.chosen().program == "RPM"
    start.reject()
    tray.office.start_timer("T2001")  # no program: the patient's first activity
    assert tray.dialogs["start"].picker.chosen().mrn == "T2001"
    assert tray.dialogs["start"].activities.chosen().program == "CCM"


def test_a_held_claim_says_why(qtbot, busy_clinic, make_tray):
    window = opened(qtbot, make_tray(busy_clinic))
    rows = window.shown_rows()
    n = next(n for n, r in enumerate(rows) if (r.mrn, r.program) == ("T2009", "RPM"))
    held = ("Held: needs a real-time interactive (audio or video) communication with the "
            "patient or caregiver this month")
    assert cell(window, n, "Claim") == held
    index = window.model.index(n, text.CLAIM_COLUMN)
    assert index.data(Qt.ItemDataRole.ToolTipRole) == held
    assert "1 held (time will not pay until the reason is fixed)" in window.summary.text()
    assert n == len(rows) - 1  # last: time on it pays nothing


def test_open_month_shows_the_patient(qtbot, busy_clinic, make_tray):
    tray = make_tray(busy_clinic)
    window = opened(qtbot, tray)
    window.table.selectRow(0)
    window.open_button.click()
    assert ("T2010", "2026-11") in tray.windows.overview.patient_windows


def test_recorded_time_refreshes_it(qtbot, busy_clinic, make_tray, clock):
    tray = make_tray(busy_clinic)
    window = opened(qtbot, tray)
    start = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
    entries.add_manual(busy_clinic, patient_mrn="T2010", category_slug="phone-call",
                       start=start, end=start + timedelta(minutes=20), clinician=PHYSICIAN)
    tray.controller.refresh()  # what the tray does when a commit lands
    qtbot.waitUntil(lambda: "T2010" not in {r.mrn for r in window.shown_rows()
                                            if not r.earned}, timeout=15_000)


def test_office_person_cannot_start(qtbot, admin_clinic, make_tray):
    from tests.fixtures.clinic import ADMIN

    window = opened(qtbot, make_tray(admin_clinic, signed_in=ADMIN))
    assert not window.start_button.isEnabled()
    assert window.shown_rows()  # T1001 and T1003 have consent


def test_coming_back_to_it_reads_a_running_timer_s_minutes(qtbot, busy_clinic, make_tray,
                                                           clock):
    """A running timer's minutes grow without a commit: activated after a minute, the window
    reads the month again (at once: the request is on its way before the event returns)."""
    window = opened(qtbot, make_tray(busy_clinic))
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5_000)
    qtbot.waitUntil(lambda: not window.loading, timeout=15_000)
    QApplication.sendEvent(window, QEvent(QEvent.Type.ActivationChange))
    assert not window.loading  # read moments ago: nothing to read again
    clock.advance(timedelta(minutes=2))
    QApplication.sendEvent(window, QEvent(QEvent.Type.ActivationChange))
    assert window.loading
    qtbot.waitUntil(lambda: not window.loading, timeout=15_000)  # done before the teardown
