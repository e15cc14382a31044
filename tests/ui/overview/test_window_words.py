"""The patient and Today windows speak the user's words (issue 17): a refused correction
says which of the clinician's entries it overlaps, in local time, without ids or commands."""

from __future__ import annotations

import re

from ccm_timer.services.security import credentials
from ccm_timer.ui.overview import open_overview
from ccm_timer.ui.overview.today_window import TodayView
from tests.fixtures.clinic import NURSE, PASSWORD, log

DEVELOPER = re.compile(r"--[a-z]|`|ccm-timer |\+00:00|\d{4}-\d\d-\d\dT|[0-9a-f]{8}-[0-9a-f]{4}")


def test_a_refused_correction_names_the_other_call_in_local_time(qtbot, nov, attest):
    log(nov, "T1001", 15)
    other = log(nov, "T1001", 10, day=4, hour=15)  # 10:00-10:10 AM New York
    overview = open_overview(nov, signer=credentials.verify(nov, NURSE, PASSWORD))
    qtbot.addWidget(overview)
    qtbot.waitUntil(lambda: not overview.loading, timeout=10_000)
    view = overview.open_patient("T1001")
    view.entry_table.selectRow(0)
    dialog = view.edit_selected()
    dialog.end.setDateTime(dialog.end.dateTime().addSecs(70 * 60))
    dialog.reason.setText("longer")
    dialog.submit()
    attest(view)
    said = dialog.error.text()
    assert said == ("It overlaps Avery Nurse's phone call with patient or caregiver from "
                    "10:00 to 10:10 AM on Wed 4 Nov; change the times.")
    assert str(other.id)[:8] not in said and not DEVELOPER.search(said)


def test_todays_program_level_time_is_explained_without_a_command(qtbot, nov):
    log(nov, None, 30, day=20, hour=15, category="quality-improvement")
    window = TodayView(nov)
    qtbot.addWidget(window)
    assert window.open_patient(0) is None
    assert not DEVELOPER.search(window.error.text())
    assert window.error.text().startswith("Program-level time belongs to no patient")
