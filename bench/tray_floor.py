"""The floor for our stack: a bare PySide6 tray icon, nothing else.

    python bench/tray_floor.py [--seconds N]

Shows one QSystemTrayIcon with the same SVG icon the app uses (so the same Qt image plugin
is loaded) and, like any tray timer with a timer running, rewrites its tooltip once a
second. No database, no services, no menu. bench/tray.py measures it beside CCM Timer;
anything CCM Timer costs above it is ours, the rest is Python + Qt.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ICON = Path(__file__).resolve().parents[1] / "resources" / "icons" / "running.svg"
WM_CLASS = "tray-floor"  # what bench/tray.py looks for with xdotool


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=0, help="quit after (0: never)")
    args = parser.parse_args()
    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication, QSystemTrayIcon

    app = QApplication([WM_CLASS])  # argv[0] names the X window class
    app.setApplicationName(WM_CLASS)
    app.setQuitOnLastWindowClosed(False)
    tray = QSystemTrayIcon(QIcon(str(ICON)))
    began = time.monotonic()

    def tick() -> None:
        elapsed = int(time.monotonic() - began)
        tray.setToolTip(f"Running {elapsed // 60:02d}:{elapsed % 60:02d}")

    tick()
    tray.show()
    timer = QTimer()
    timer.timeout.connect(tick)
    timer.start(1000)
    if args.seconds:
        QTimer.singleShot(int(args.seconds * 1000), app.quit)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
