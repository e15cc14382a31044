"""Every window fits the screen it opens on, reopens at the size the user left it, and
closes with Esc and Ctrl+W (the keys people expect from any desktop window).

Sizes are kept in `window-sizes.ini` beside the settings file: a window size is not a
clinic setting and never holds patient data.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QRect, QSettings, QSize
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import QDialog, QWidget

SIZES_FILE = "window-sizes.ini"
MARGIN = 48  # room for the panel and the title bar the window manager adds


def room(widget: QWidget, area: QRect | None = None) -> QSize:
    """The usable size of `area`, else of the screen the widget is on (or the primary one)."""
    if area is None:
        screen = widget.screen() or QGuiApplication.primaryScreen()
        area = screen.availableGeometry()
    return QSize(max(320, area.width() - MARGIN), max(240, area.height() - MARGIN))


def fit(widget: QWidget, wanted: QSize, area: QRect | None = None) -> QSize:
    """`wanted`, shrunk to the screen's room (or `area`'s). The minimum size is the layout's,
    capped by the room: a layout's minimum never pushes a window past a small screen's edge,
    and the user cannot shrink it below what its layout needs where the screen allows."""
    space = room(widget, area)
    size = wanted.boundedTo(space)
    needed = widget.minimumSizeHint().expandedTo(widget.minimumSize())
    widget.setMinimumSize(needed.boundedTo(space))
    widget.resize(size.expandedTo(widget.minimumSize()))
    return widget.size()


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
    """Esc and Ctrl+W (and the platform's Close key) close the window. A QDialog has Esc
    already (it rejects); two shortcuts on one key would cancel each other, so each key is
    bound once."""
    wanted = [*QKeySequence.keyBindings(QKeySequence.StandardKey.Close),
              QKeySequence("Ctrl+W")]
    if not isinstance(widget, QDialog):
        wanted.append(QKeySequence("Esc"))
    seen: set[str] = set()
    for keys in wanted:
        name = keys.toString()
        if not name or name in seen:
            continue
        seen.add(name)
        shortcut = QShortcut(keys, widget)
        shortcut.activated.connect(widget.close)


def prepare(widget: QWidget, settings_dir: Path, name: str, wanted: QSize) -> SizeMemory:
    """Size `widget` (its remembered size, else `wanted`), both fitted to its screen, and give
    it the closing keys. The caller saves the size on close: `memory.save(widget)` in its
    closeEvent (or hideEvent). Call it once the widget's layout is built, so the layout's
    minimum is known."""
    memory = SizeMemory(settings_dir, name)
    if not memory.restore(widget):
        fit(widget, wanted)
    closes_on_keys(widget)
    return memory
