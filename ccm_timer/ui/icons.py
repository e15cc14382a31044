"""Tray icons, drawn from the SVG files in resources/icons so they are sharp at any scale."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QIcon

from ccm_timer.paths import resource

_FILES = {"running": "running.svg", "paused": "paused.svg"}
_cache: dict[str, QIcon] = {}


def icon_path(state: str) -> Path:
    return resource("icons", _FILES.get(state, "idle.svg"))


def state_icon(state: str) -> QIcon:
    """The icon for a TrayStatus state; anything but running or paused shows idle."""
    name = _FILES.get(state, "idle.svg")
    if name not in _cache:
        _cache[name] = QIcon(str(resource("icons", name)))
    return _cache[name]


def app_icon() -> QIcon:
    return state_icon("running")
