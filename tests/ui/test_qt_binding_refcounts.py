"""The tray calls into Qt every second for hours: a binding that drops a reference to None
or a bool on each call makes CPython 3.11 abort ("Fatal Python error: none_dealloc" or
"bool_dealloc", exit 134) once the count reaches zero. PySide6 6.12.0 does that on 3.11
(about one reference per setText, setInterval, setToolTip); pyproject.toml keeps it out."""

from __future__ import annotations

import sys

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QWidget

CALLS = 2000


def _lost(obj: object, call) -> float:
    before = sys.getrefcount(obj)
    for _ in range(CALLS):
        call()
    return (before - sys.getrefcount(obj)) / CALLS


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None and bools are immortal there")
def test_the_calls_the_tray_makes_every_second_keep_none_and_bools_alive(qapp) -> None:
    label, timer, widget = QLabel(), QTimer(), QWidget()
    for name, call in [("QLabel.setText", lambda: label.setText("12:04")),
                       ("QTimer.setInterval", lambda: timer.setInterval(1000)),
                       ("QWidget.setToolTip", lambda: widget.setToolTip("Running")),
                       ("QWidget.setEnabled", lambda: widget.setEnabled(True))]:
        for obj in (None, True, False):
            assert _lost(obj, call) < 0.01, f"{name} drops references to {obj!r}"
