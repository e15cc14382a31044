"""End to end on a real X server: the real app in its own process, driven by clicks and
keys, checked through the database. Screenshots of each step go to test-artifacts/.

Skipped (with the reason) where Xvfb, trayer, xdotool or ImageMagick are missing, except on
CI (CI=true), where a missing tool fails the run.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.xdesktop import ARTIFACTS, XDesktop, wait_for
from ccm_timer.services.security import keys
from ccm_timer.services.timing import entries, recovery, timers
from tests.fixtures.clinic import PASSWORD
from tests.fixtures.desktop_tools import require_tools


@pytest.fixture
def desktop(request):
    def start(*, tray_host: bool) -> XDesktop:
        require_tools()
        made.append(XDesktop(ARTIFACTS / request.node.name, tray_host=tray_host))
        return made[-1]

    made: list[XDesktop] = []
    yield start
    for d in made:
        d.close()


def _tray_icon(d: XDesktop) -> tuple[int, int] | None:
    """The centre of our icon inside the trayer panel (a small window at the top)."""
    for window in d.search("--class", "ccm-timer"):
        x, y, w, h = d.geometry(window)
        if w <= 48 and h <= 48 and y < 40:
            return x + w // 2, y + h // 2
    return None


def _menu_open(d: XDesktop) -> bool:
    for window in d.search("--class", "ccm-timer"):
        _, y, _, h = d.geometry(window)
        if h > 60 and y < 100:  # the popup, right under the panel
            return True
    return False


def _open_menu(d: XDesktop, icon: tuple[int, int]) -> None:
    """Click the icon until its menu shows (a busy machine may drop the first click)."""
    for _ in range(3):
        d.click(*icon)
        try:
            wait_for(lambda: _menu_open(d), 4, "the tray menu")
            time.sleep(0.3)
            return
        except AssertionError:
            d.keys("Escape")
    raise AssertionError("the tray menu did not open")


def _window(d: XDesktop, name: str) -> str | None:
    found = d.search("--name", name)
    return found[0] if found else None


def _state(ctx) -> str:
    return timers.status(ctx).state


def _sign_in(d: XDesktop, shot: str | None = None) -> None:
    """The sign-in asked at start: the default clinician is chosen; type her password."""
    wait_for(lambda: _window(d, "who is working"), 15, "the sign-in dialog")
    time.sleep(0.3)
    d.type(PASSWORD)
    if shot:
        d.shot(shot)
    d.keys("Return")
    wait_for(lambda: _window(d, "who is working") is None, 10, "the sign-in to finish")
    time.sleep(0.2)


def test_first_start_shows_the_recovery_key_once(clinic, home: Path, desktop) -> None:
    d = desktop(tray_host=True)
    app = d.launch_app(home)
    wait_for(lambda: _window(d, "recovery key"), 15, "the recovery key dialog")
    d.shot("recovery-key")
    d.keys("space", "Return")  # tick "I have written it down", then OK
    wait_for(lambda: _window(d, "recovery key") is None, 10, "the dialog to close")
    _sign_in(d, "sign-in")  # asked once the recovery key is written down, not beside it
    assert keys.load_record(clinic.paths).recovery_key_shown  # shown once: never again
    app.terminate()
    app.wait(15)


def test_start_and_stop_from_the_tray_menu(clinic, home: Path, desktop, cli) -> None:
    keys.recovery_key_was_shown(clinic)  # the first-start dialog has its own test
    d = desktop(tray_host=True)
    began = time.monotonic()
    app = d.launch_app(home)
    icon = wait_for(lambda: _tray_icon(d), 15, "the tray icon")
    shown = time.monotonic() - began
    (d.artifacts / "startup.txt").write_text(f"process start to tray icon: {shown:.2f} s\n")
    _sign_in(d)
    d.shot("idle-icon")

    _open_menu(d, icon)
    d.shot("menu-idle")
    d.keys("s")  # &Start timer…
    wait_for(lambda: _window(d, "Start timer"), 10, "the start dialog")
    time.sleep(0.3)
    d.type("alma")
    time.sleep(0.3)
    d.shot("start-dialog")
    d.keys("Return", "Return")  # the patient, then the first activity
    wait_for(lambda: _state(clinic) == "running", 10, "the timer to run")
    time.sleep(2.2)
    _open_menu(d, icon)
    d.shot("menu-running")
    d.keys("t")  # S&top…
    wait_for(lambda: _window(d, "Stop timer"), 10, "the stop dialog")
    d.shot("stop-note")
    d.keys("Return")  # no note
    wait_for(lambda: _window(d, "Time recorded"), 10, "the confirmation")
    d.shot("stop-confirmation")

    listed = cli("entry", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    (entry,) = json.loads(listed.stdout)
    assert (entry["patient"], entry["category"], entry["source"]) == (
        "T1001", "phone-call", "timer")
    assert entry["end"] is not None and entry["seconds"] >= 2

    d.keys("Escape")
    _open_menu(d, icon)
    d.shot("menu-after-stop")
    d.keys("o")  # Month &overview…
    wait_for(lambda: _window(d, "Month overview"), 15, "the month overview")
    time.sleep(0.5)
    d.shot("month-overview")

    # With no window manager the overview may cover the panel: bring the panel back up.
    for panel in d.search("--class", "trayer"):
        d.xdotool("windowraise", panel)
    _open_menu(d, icon)
    d.keys("q")  # &Quit: idle, so no question
    assert app.wait(10) == 0


def test_without_a_tray_the_fallback_window_and_crash_recovery(
        clinic, home: Path, desktop) -> None:
    keys.recovery_key_was_shown(clinic)
    d = desktop(tray_host=False)
    app = d.launch_app(home, CCM_TIMER_TRAY_WAIT_MS="300")
    wait_for(lambda: _window(d, "CCM Timer"), 15, "the fallback window")
    d.shot("fallback-window")

    # A second launch (a desktop keyboard shortcut) hands over and exits.
    second = subprocess.run([sys.executable, "-m", "ccm_timer"], env=d.env(
        CCM_TIMER_HOME=str(home)), capture_output=True, text=True, timeout=30)
    assert second.returncode == 0, second.stderr
    _sign_in(d)  # asked at start; the hand-over's Start follows the sign-in
    wait_for(lambda: _window(d, "Start timer"), 10, "the start dialog")
    time.sleep(0.3)
    d.type("jose")
    d.keys("Return", "Return")
    wait_for(lambda: _state(clinic) == "running", 10, "the timer to run")
    wait_for(lambda: _window(d, "Running"), 10, "the running fallback window")
    d.shot("fallback-running")

    app.kill()  # a crash: no clean quit, no release
    app.wait(10)
    time.sleep(1.5)
    d.launch_app(home, log_name="app-after-crash", CCM_TIMER_TRAY_WAIT_MS="300")
    wait_for(lambda: _window(d, "Timer left running"), 15, "the recovery dialog")
    time.sleep(0.3)
    d.shot("recovery-dialog")
    d.keys("Return")  # the default: stop at the last moment the app was alive
    wait_for(lambda: _state(clinic) == "idle", 10, "the recovery decision")
    _sign_in(d)  # asked once the leftover is decided, never beside it
    (view,) = entries.list_entries(clinic)
    assert (view.patient_mrn, view.state) == ("T1002", "stopped")
    assert recovery.pending(clinic) == []
    d.shot("after-recovery")
