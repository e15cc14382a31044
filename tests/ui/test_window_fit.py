"""Every window fits a 1280x800 and a 1366x768 screen, reopens at the size the user left it,
and closes with Esc and Ctrl+W (issue 17); the overview's last column is in view at 1280."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtWidgets import QWidget

from ccm_timer.services.security import credentials
from ccm_timer.ui import window_fit
from ccm_timer.ui.audit_window import AuditWindow
from ccm_timer.ui.overview.overview_window import MonthOverview
from ccm_timer.ui.overview.patient_window import PatientMonthView
from ccm_timer.ui.overview.today_window import TodayView
from tests.fixtures.clinic import NURSE, PASSWORD, log

SCREENS = (QRect(0, 0, 1280, 800), QRect(0, 0, 1366, 768))
TITLE_BAR = 40  # what a window manager adds above the window


def _patient(ctx) -> QWidget:
    signer = credentials.verify(ctx, NURSE, PASSWORD)
    return PatientMonthView(ctx, "T1001", "2026-11", signer=signer)


def _overview(ctx) -> QWidget:
    return MonthOverview(ctx, month="2026-11")


WINDOWS = {"patient": _patient, "overview": _overview, "today": lambda ctx: TodayView(ctx),
           "audit": lambda ctx: AuditWindow(ctx)}


def _make(qtbot, ctx, kind: str) -> QWidget:
    window = WINDOWS[kind](ctx)
    qtbot.addWidget(window)
    return window


@pytest.fixture
def month(nov):
    log(nov, "T1001", 25, note="Call about refills")
    log(nov, "T1002", 17, day=6)
    return nov


@pytest.mark.parametrize("kind", sorted(WINDOWS))
def test_each_window_fits_the_small_screens_and_the_one_it_opens_on(qtbot, month, kind):
    window = _make(qtbot, month, kind)
    window.show()
    qtbot.waitExposed(window)
    area = window.screen().availableGeometry()  # the test screen: 800x800
    assert window.width() <= area.width() and window.height() + TITLE_BAR <= area.height()
    for screen in SCREENS:
        size = window_fit.fit(window, QSize(4000, 4000), screen)
        # the whole frame is on the screen, and the layout can be that small
        assert size.width() <= screen.width() and size.height() + TITLE_BAR <= screen.height()
        needed = window.minimumSizeHint()
        assert needed.width() <= size.width() and needed.height() <= size.height(), needed


@pytest.mark.parametrize("kind", sorted(WINDOWS))
def test_each_window_reopens_at_its_saved_size_and_closes_with_esc_and_ctrl_w(
        qtbot, month, kind):
    window = _make(qtbot, month, kind)
    window.show()
    qtbot.waitExposed(window)
    designed = window.size()
    left = QSize(max(window.minimumWidth(), 700), 700)  # as small as its layout allows
    assert left != designed
    window.resize(left)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert not window.isVisible()
    again = _make(qtbot, month, kind)
    assert again.size() == left  # what the user left, not the designed size
    again.show()
    qtbot.waitExposed(again)
    again.activateWindow()
    qtbot.waitUntil(again.isActiveWindow)
    qtbot.keyClick(again, Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier)
    assert not again.isVisible()


def test_a_size_saved_on_a_big_screen_is_shrunk_to_this_one(qtbot, month):
    window = _make(qtbot, month, "today")
    window.setMinimumSize(0, 0)
    window.resize(2400, 1500)  # as on a large monitor
    window.close()
    again = _make(qtbot, month, "today")
    area = again.screen().availableGeometry()
    assert again.width() <= area.width() - window_fit.MARGIN
    assert again.height() <= area.height() - window_fit.MARGIN


def test_the_overview_shows_its_last_column_without_scrolling_at_1280_wide(qtbot, month):
    window = _make(qtbot, month, "overview")
    qtbot.waitUntil(lambda: not window.loading, timeout=10_000)
    window.show()
    qtbot.waitExposed(window)
    window_fit.fit(window, QSize(1320, 680), SCREENS[0])
    window.table.horizontalScrollBar().setValue(40)  # as left by a user last time
    window.hide()
    window.present()
    qtbot.waitUntil(lambda: window.table.viewport().width() > 1000)
    header = window.table.horizontalHeader()
    last = header.count() - 1
    assert window.table.horizontalScrollBar().maximum() == 0  # nothing hidden sideways
    assert window.table.horizontalScrollBar().value() == 0
    right = header.sectionViewportPosition(last) + header.sectionSize(last)
    assert right <= window.table.viewport().width()
    assert header.sectionSize(last) >= 110  # "Needs attention" readable, not a sliver
