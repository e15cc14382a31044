"""Quitting after a long session (issue 17): "Fatal Python error: bool_dealloc … Aborted"
(exit 134) on Quit → Leave it running and quit. A reference the Qt binding drops on a call
the tray repeats, or a Python object released by Qt after the interpreter began to end, only
shows after hours. So the real `ccm-timer` runs on a real X server with a tray host, in its
own process: a driver does in seconds what hours of use do (ticks, menu rebuilds, dialogs,
the windows, input through the privacy lock's filter), counts the references to True, False
and None around each kind of call, then quits through the quit question's "Leave it
running" button. The process must end with 0, say nothing fatal, and leave the timer to be
asked about at the next start."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.xdesktop import ARTIFACTS, XDesktop, stop_process
from ccm_timer.services.security import keys
from ccm_timer.services.timing import recovery, timers
from tests.fixtures.desktop_tools import require_tools

ROUNDS = 120  # each a tick and a menu rebuild; dialogs, windows and input every few

# The real entry point (`ccm-timer` with no command); the driver is called once the tray
# is built and holds only a weak reference to it, so the tray's teardown is the real one.
DRIVER = """
import gc, json, os, sys, weakref
from PySide6.QtCore import QEvent, QPointF, Qt, QTimer
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

import ccm_timer.ui.launch as launch
from ccm_timer.cli.main import main

ROUNDS = int(sys.argv[1])
drops = {}

def counts():
    gc.collect()
    return [sys.getrefcount(o) for o in (True, False, None)]

def measured(name, call, n=100):
    call()  # first use builds what later calls reuse
    before = counts()
    for _ in range(n):
        call()
    drops[name] = [min(0, b - a) for a, b in zip(before, counts())]

def exercise(tray, app):
    from ccm_timer.services.security import credentials
    from tests.fixtures.clinic import NURSE, PASSWORD

    c = tray.controller
    c.sign_in(credentials.verify(tray.ctx, NURSE, PASSWORD))
    for dialog in tray.dialogs.values():
        dialog.hide()
    c.start("T1001", "phone-call")
    target = tray.surface.menu
    move = lambda: QApplication.sendEvent(target, QMouseEvent(
        QEvent.Type.MouseMove, QPointF(2, 2), QPointF(2, 2), Qt.MouseButton.NoButton,
        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier))

    def dialogs():
        tray.show_stop()
        tray.dialogs["stop"].reject()
        tray.show_start()
        tray.dialogs["start"].reject()
        tray.quit()
        tray.quit_box.button(tray.quit_box.StandardButton.Cancel).click()

    for n in range(1, ROUNDS + 1):
        c.tick()
        tray.rebuild_menu()
        if n % 20 == 0:
            dialogs()
            move()
        if n % 100 == 0:
            tray.show_overview()
            tray.show_today()
            c.beat()
        app.processEvents()
    measured("tick and tooltip", lambda: (c.tick(), tray._on_tick(c.elapsed())))
    measured("menu rebuild", tray.rebuild_menu)
    measured("state change", c.refresh)
    measured("privacy lock check", tray.signin.lock.check)
    measured("input through the lock's filter", move)
    measured("dialogs", dialogs, n=10)
    print("DROPS " + json.dumps(drops), file=sys.stderr, flush=True)
    tray.quit()
    leave = next(b for b in tray.quit_box.buttons() if b.text().startswith("&Leave"))
    QTimer.singleShot(100, leave.click)

guard = launch._guard_patient_data

def guarded(app, ctx, tray):
    guard(app, ctx, tray)
    ref = weakref.ref(tray)
    QTimer.singleShot(500, lambda: exercise(ref(), app))

launch._guard_patient_data = guarded
code = main([])
print(f"EXIT {code}", file=sys.stderr, flush=True)
sys.exit(code)
"""


@pytest.fixture
def desktop(request):
    require_tools()
    made = XDesktop(ARTIFACTS / request.node.name, tray_host=True)
    yield made
    made.close()


def test_leave_it_running_and_quit_after_a_long_session(clinic, home: Path, desktop) -> None:
    keys.recovery_key_was_shown(clinic)  # the first-start dialog has its own test
    proc = subprocess.Popen([sys.executable, "-X", "faulthandler", "-c", DRIVER, str(ROUNDS)],
                            env=desktop.env(CCM_TIMER_HOME=str(home)),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        out, _ = proc.communicate(timeout=240)
    finally:
        stop_process(proc)
    (desktop.artifacts / "app.log").write_text(out)
    assert "Fatal Python error" not in out, out[-3000:]
    assert proc.returncode == 0, out[-3000:]
    assert "EXIT 0" in out, out[-3000:]
    drops = json.loads(out.split("DROPS ", 1)[1].splitlines()[0])
    assert drops and all(d == [0, 0, 0] for d in drops.values()), (
        f"references to True, False, None lost per kind of call: {drops}")
    assert timers.status(clinic).state == "running"  # left running, as asked
    (orphan,) = recovery.pending(clinic)
    assert orphan.reason == "the app was closed while the timer ran"



def test_quitting_closes_the_month_windows_while_qt_still_runs(clinic, make_tray,
                                                               settled) -> None:
    """The overview and Today were left for the interpreter's end to release, the
    overview's month thread perhaps still running; they close with the quit now."""
    timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
    tray = make_tray(clinic)
    overview = settled(tray.windows.show_overview())
    today = tray.windows.show_today()
    assert overview.isVisible() and today.isVisible()
    tray.quit()
    leave = next(b for b in tray.quit_box.buttons() if b.text().startswith("&Leave"))
    leave.click()
    assert tray.quits == [True]
    assert not overview.isVisible() and not today.isVisible()
    assert tray.windows.overview is None and tray.windows.today is None
