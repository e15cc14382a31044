"""The month dashboard from the tray's menu, and the per-day chart on its own."""

from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PySide6.QtCore import QSize
from PySide6.QtGui import QColor

from ccm_timer.services.month import trends
from ccm_timer.services.timing import entries
from ccm_timer.ui.dashboard.daily_chart import BOTTOM, LEFT, RIGHT, DailyMinutes
from ccm_timer.ui.dashboard.dashboard_window import MonthDashboard
from ccm_timer.ui.presenters import trends as words
from tests.fixtures.clinic import NURSE


def _opened(tray, qtbot) -> MonthDashboard:
    window = tray.office.show("dashboard")
    assert isinstance(window, MonthDashboard)
    qtbot.waitUntil(lambda: not window.loader.busy, timeout=20_000)  # months come from a thread
    return window


def test_the_menu_opens_the_dashboard_with_the_months_their_table_and_an_audited_read(
        month_clinic, make_tray, qtbot, audit_trail) -> None:
    ctx, _ = month_clinic
    tray = make_tray(ctx)
    before = len(audit_trail(ctx))
    window = _opened(tray, qtbot)
    assert tray.office.show("dashboard") is window  # kept, raised again
    room = window.screen().availableGeometry()
    assert window.width() <= room.width() and window.height() <= room.height()
    assert sorted(window.chart.trends) == window.months and window.months[-1] == "2026-12"
    rows = [tuple(window.table.item(r, c).text() for c in range(window.table.columnCount()))
            for r in range(window.table.rowCount())]
    assert ("November 2026", "CCM", "1", "1", "2", "92", "2 patients held") in rows
    assert ("December 2026", "—", "0", "0", "0", "0", "In progress (31 days left)") in rows
    current = {window.current.itemAt(r, window.current.ItemRole.LabelRole).widget().text():
               window.current.itemAt(r, window.current.ItemRole.FieldRole).widget().text()
               for r in range(window.current.rowCount())}
    assert current["Month:"] == "December 2026"
    assert current["Status:"] == "In progress (31 days left)"
    assert "November 2026" in window.chart.month_tip("2026-11")
    assert "2 patients held" in window.chart.month_tip("2026-11")
    reads = [e for e in audit_trail(ctx, since=before) if e[0] == "read.report"]
    assert reads and reads[0][1] == NURSE and reads[0][3]["detail"].startswith("month dashboard")


def test_choosing_a_patient_draws_their_days_and_is_a_read_of_that_patient(
        month_clinic, make_tray, qtbot, audit_trail) -> None:
    ctx, _ = month_clinic
    window = _opened(make_tray(ctx), qtbot)
    assert window.daily.days is None
    window.patient.setEditText("nobody at all")
    window._patient_chosen()
    assert window.patient_error.isVisibleTo(window)
    assert "Choose a patient from the list" in window.patient_error.text()
    before = len(audit_trail(ctx))
    assert window.choose_patient("T1001")
    assert not window.patient_error.isVisibleTo(window)
    assert window.daily.days.mrn == "T1001" and window.program.currentText() == "CCM"
    assert window.caption.text().startswith("CCM: ")
    reads = [e for e in audit_trail(ctx, since=before) if e[0] == "read.patient"]
    assert len(reads) == 1 and reads[0][3]["detail"] == "minutes per day"


def test_nobody_signed_in_sees_no_figures_and_leaves_no_read(month_clinic, qtbot,
                                                            audit_trail) -> None:
    ctx, _ = month_clinic
    before = len(audit_trail(ctx))
    window = MonthDashboard(ctx, None)
    qtbot.addWidget(window)
    window.show()
    assert window.error.text() == "Sign in to see the dashboard: it shows patients' figures."
    assert window.patient.count() == 0 and not window.loader.busy
    assert audit_trail(ctx, since=before) == []


def test_the_daily_chart_draws_a_bar_on_each_day_with_time_and_says_it(month_clinic,
                                                                       qtbot) -> None:
    ctx, _ = month_clinic
    days = trends.patient_days(ctx, "T1001", "2026-11")
    chart = DailyMinutes(days)
    qtbot.addWidget(chart)
    chart.resize(QSize(30 * 20 + LEFT + RIGHT, 240))  # 20 pixels a day
    image = chart.grab().toImage()
    blue = QColor(words.colour("CCM"))
    y = chart.height() - BOTTOM - 3  # just above the day axis
    painted = [day for day in range(1, 31)
               if image.pixelColor(LEFT + (day - 1) * 20 + 10, y) == blue]
    assert painted == [3, 4, 5, 9]
    assert chart.day_at(LEFT + 8 * 20 + 5) == 9
    assert chart.day_tip(9) == "Nov 9: 31 min counted; 67 min so far this month"
    assert "Nov 3: 12 min; Nov 4: 12 min; Nov 5: 12 min; Nov 9: 31 min" in (
        chart.accessibleDescription())
    chart.set_days(None)
    assert chart.accessibleDescription() == "No patient chosen."


def test_nothing_outside_the_dashboard_imports_it_so_the_tray_starts_without_it() -> None:
    """office_flow.py names the package in a string and imports it on first open; the
    patient window's per-day tab imports the chart inside the function that first draws
    it. No module imports it when it is itself imported."""
    ui = Path(__file__).resolve().parents[3] / "ccm_timer"
    importers = []
    for path in ui.rglob("*.py"):
        if "dashboard" in path.relative_to(ui).parts:
            continue
        for node in ast.parse(path.read_text(encoding="utf-8")).body:  # module level
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            if any(n.startswith("ccm_timer.ui.dashboard") for n in names):
                importers.append(str(path.relative_to(ui)))
    assert importers == []


def test_opened_again_it_reads_this_month_again_and_refresh_reads_every_month(
        month_clinic, make_tray, qtbot, clock) -> None:
    ctx, _ = month_clinic  # the clock on 1 December, 10:00 in New York
    tray = make_tray(ctx)
    window = _opened(tray, qtbot)
    assert window.chart.trends["2026-12"].seconds == 0
    november = window.chart.trends["2026-11"].seconds
    for start in (datetime(2026, 12, 1, 13, 0, tzinfo=UTC), datetime(2026, 11, 20, 15, 0,
                                                                      tzinfo=UTC)):
        entries.add_manual(ctx, patient_mrn="T1001", category_slug="phone-call", start=start,
                           end=start + timedelta(minutes=10), clinician=NURSE)
    clock.advance(timedelta(minutes=5))
    window.close()
    _opened(tray, qtbot)
    assert window.chart.trends["2026-12"].seconds == 600
    assert window.chart.trends["2026-11"].seconds == november  # as read before
    assert window.status.text().startswith(
        "This month read at 10:05, earlier months at 10:00 (Refresh reads them again)")
    window.reload()
    qtbot.waitUntil(lambda: not window.loader.busy, timeout=20_000)
    assert window.chart.trends["2026-11"].seconds == november + 600
    assert window.status.text() == "Read at 10:05 · times in America/New_York"


def test_the_patient_window_draws_the_minutes_per_day_when_its_tab_is_opened(
        month_clinic, qtbot) -> None:
    from ccm_timer.ui.overview.patient_window import PatientMonthView

    ctx, _ = month_clinic
    window = PatientMonthView(ctx, "T1001", "2026-11")
    qtbot.addWidget(window)
    window.show()
    assert window.daily.chart is None  # nothing read while the tab is hidden
    window.record.setCurrentWidget(window.daily)
    qtbot.waitUntil(lambda: window.daily.chart is not None)
    shown = window.daily.chart.shown
    assert shown is not None and sum(shown.seconds_by_day) > 0
    assert window.daily.caption.text().startswith("CCM: ")
