"""Every window fits the screen it opens on, reopens at the size the user left it, and
closes with Esc and Ctrl+W (the keys people expect from any desktop window).

Sizes are kept in `window-sizes.ini` beside the settings file: a window size is not a
clinic setting and never holds patient data.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, QSize
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import QWidget

SIZES_FILE = "window-sizes.ini"
MARGIN = 48  # room for the panel and the title bar the window manager adds


def room(widget: QWidget) -> QSize:
    """The usable size of the screen the widget is on (or the primary screen)."""
    screen = widget.screen() or QGuiApplication.primaryScreen()
    area = screen.availableGeometry()
    return QSize(max(320, area.width() - MARGIN), max(240, area.height() - MARGIN))


def fit(widget: QWidget, wanted: QSize) -> QSize:
    """`wanted`, shrunk to the screen's room; the minimum size is shrunk too, so a layout's
    minimum never pushes a window past a small screen's edge."""
    space = room(widget)
    size = wanted.boundedTo(space)
    widget.setMinimumSize(widget.minimumSize().boundedTo(space))
    widget.resize(size)
    return size


class SizeMemory:
    """Restores and saves one window's geometry under `name`."""

    def __init__(self, settings_dir: Path, name: str) -> None:
        self._store = QSettings(str(settings_dir / SIZES_FILE), QSettings.Format.IniFormat)
        self._key = f"{name}/geometry"

    def restore(self, widget: QWidget) -> bool:
        saved = self._store.value(self._key)
        if isinstance(saved, QByteArray) and widget.restoreGeometry(saved):
            fit(widget, widget.size())  # a size saved on a larger screen still fits this one
            return True
        return False

    def save(self, widget: QWidget) -> None:
        self._store.setValue(self._key, widget.saveGeometry())
        self._store.sync()


def closes_on_keys(widget: QWidget) -> None:
    """Esc and Ctrl+W close the window (a QDialog has Esc already; Ctrl+W is added)."""
    for keys in (QKeySequence(QKeySequence.StandardKey.Close), QKeySequence("Ctrl+W"),
                 QKeySequence("Esc")):
        shortcut = QShortcut(keys, widget)
        shortcut.activated.connect(widget.close)


def prepare(widget: QWidget, settings_dir: Path, name: str, wanted: QSize) -> SizeMemory:
    """Size `widget` (its remembered size, else `wanted`), both fitted to its screen, and give
    it the closing keys. The caller saves the size on close: `memory.save(widget)` in its
    closeEvent (or hideEvent)."""
    memory = SizeMemory(settings_dir, name)
    if not memory.restore(widget):
        fit(widget, wanted)
    closes_on_keys(widget)
    return memory
