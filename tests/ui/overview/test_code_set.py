"""The ICD-10-CM code set (about two seconds to read) never on the UI thread: not at the
tray's start, and read on a worker thread when a conditions panel first appears. Run in a
fresh interpreter, as the suite's own has read the code set long before."""

from __future__ import annotations

import os
import subprocess
import sys

SCRIPT = """
import sys, time
import ccm_timer.ui.app, ccm_timer.ui.overview.patient_window  # the tray and the view
assert "simple_icd_10_cm" not in sys.modules, "read at import"
from PySide6.QtWidgets import QApplication
app = QApplication([])
from ccm_timer.ui.overview.code_set import loader
codes = loader()
t = time.perf_counter()
codes.start()
started = time.perf_counter() - t
ticks = 0
while not codes.loaded and time.perf_counter() - t < 60:
    app.processEvents()  # the UI thread keeps turning while the set is read
    ticks += 1
    time.sleep(0.01)
assert codes.loaded, "never loaded"
from ccm_timer.services.people import conditions
t = time.perf_counter()
assert conditions.check_code("e119")[0] == "E11.9"
print(f"{started:.3f} {ticks} {time.perf_counter() - t:.3f}")
"""


def test_the_code_set_is_read_off_the_ui_thread(tmp_path) -> None:
    # An empty cache folder: the index is built from the package, the slow first read.
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                          timeout=180, env={**os.environ, "QT_QPA_PLATFORM": "offscreen",
                                            "CCM_TIMER_CACHE": str(tmp_path / "cache")})
    assert done.returncode == 0, done.stderr
    started, ticks, check = done.stdout.split()
    assert float(started) < 0.2  # start() hands the work to a thread and returns
    assert int(ticks) > 10  # the event loop ran while the set was read
    assert float(check) < 0.2  # afterwards a check is immediate
