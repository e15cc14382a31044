"""The overview sorts its Patient column as people read names (issue 17), both ways."""

from __future__ import annotations

from PySide6.QtCore import Qt

from ccm_timer.services.people import patients
from ccm_timer.ui.overview.overview_window import MonthOverview
from tests.fixtures.clinic import MONTH, log


def test_the_patient_column_sorts_accented_names_with_their_letter(qtbot, nov):
    patients.add(nov, mrn="T3001", name="Ñúñez, Óscar", program="CCM")
    patients.add(nov, mrn="T3004", name="Éclair, Zoé", program="CCM")
    for hour, mrn in enumerate(("T1001", "T3001", "T3004", "T1003")):
        log(nov, mrn, 5, day=5, hour=14 + hour)
    window = MonthOverview(nov, month=MONTH)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: not window.loading, timeout=10_000)
    shown = [window.proxy.row_at(i).report.family_name for i in range(window.proxy.rowCount())]
    assert shown.index("Éclair") < shown.index("Example") < shown.index("Ñúñez") < \
        shown.index("Testpatient")
    window.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
    shown = [window.proxy.row_at(i).report.family_name for i in range(window.proxy.rowCount())]
    assert shown.index("Testpatient") < shown.index("Ñúñez") < shown.index("Éclair")
