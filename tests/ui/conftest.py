"""A real TrayApp on a real controller over the `clinic` database, offscreen."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication, QMenu, QWidgetAction

from ccm_timer.ui.app import TrayApp
from ccm_timer.ui.controller import TimerController
from ccm_timer.ui.menu import SyncInfo


@pytest.fixture
def make_tray(qtbot):
    made: list[TrayApp] = []

    def make(ctx, *, use_tray: bool = False, begin: bool = True) -> TrayApp:
        controller = TimerController(ctx)
        app = TrayApp(controller, use_tray=use_tray, quit_app=lambda: quits.append(True))
        app.quits = quits
        if begin:
            app.begin()
        else:
            controller.refresh()
        made.append(app)
        return app

    quits: list[bool] = []
    yield make
    for app in made:
        app.shutdown()  # the clocks and the delivery thread
        app.windows.close()
        for dialog in app.dialogs.values():
            dialog.hide()
            dialog.deleteLater()
        if not hasattr(app.surface, "icon"):
            app.surface.deleteLater()
        else:
            app.surface.hide()
        app.menu.deleteLater()
    QApplication.processEvents()


@pytest.fixture
def tray(clinic, make_tray) -> TrayApp:
    return make_tray(clinic)


@pytest.fixture
def settled(qtbot):
    """Wait until a month overview shows the month asked for: its rows are computed on
    another thread, so they arrive after the reload that asked for them."""

    def wait(window):
        qtbot.waitUntil(lambda: not window.loading, timeout=10_000)
        return window

    return wait


def menu_texts(menu: QMenu) -> list[str]:
    """What the menu shows, top to bottom: header lines, then item texts (separators '-')."""
    out: list[str] = []
    for action in menu.actions():
        if isinstance(action, QWidgetAction) and isinstance(action.defaultWidget(), SyncInfo):
            out.append(action.defaultWidget().text.text())
        elif isinstance(action, QWidgetAction):
            header = action.defaultWidget()
            out.append(header.headline.text())
            if header.subject.isVisibleTo(header):
                out.append(header.subject.text())
        elif action.isSeparator():
            out.append("-")
        else:
            out.append(action.text())
    return out


def open_menu(app: TrayApp) -> list[str]:
    app.menu.aboutToShow.emit()
    return menu_texts(app.menu)


def trigger(app: TrayApp, text: str) -> None:
    """Click the menu item whose text starts with `text` (mnemonic ampersands included)."""
    app.menu.aboutToShow.emit()
    for action in app.menu.actions():
        if action.text().startswith(text):
            assert action.isEnabled(), f"{text!r} is disabled"
            action.trigger()
            return
    raise AssertionError(f"no menu item {text!r} in {menu_texts(app.menu)}")
