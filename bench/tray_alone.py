"""Figures for CCM Timer's tray alone (a benchmark that prints, not a test): process start
to a visible tray icon, the menu usable, a second launch handing over to the running tray,
resident memory, and CPU used over a minute with a timer running. bench/tray.py measures
the same beside a bare tray icon and imports the measuring code from here.

    .venv/bin/python -m bench.tray_alone [--seconds 60] [--runs 5]

Needs Xvfb, trayer and xdotool; the app runs on its own X server with a real tray host, and
its database key is kept as bench/session.py says.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.session import keyring_session
from bench.xdesktop import ARTIFACTS, XDesktop, wait_for

TICKS = os.sysconf("SC_CLK_TCK")
SECRET_SERVICE = "keyring.backends.SecretService.Keyring"


def use_secret_service(key_store: str) -> None:
    """Name the Secret Service for every measured process: keyring's own choice chains it
    with the test extra's keyrings.alt plaintext file, which CCM Timer refuses."""
    if "Secret Service" in key_store:
        os.environ["PYTHON_KEYRING_BACKEND"] = SECRET_SERVICE


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _cli(home: Path, *args: str) -> None:
    env = {**os.environ, "CCM_TIMER_HOME": str(home)}
    subprocess.run([sys.executable, "-m", "ccm_timer", *args], env=env, check=True,
                   capture_output=True)


def _icon(d: XDesktop) -> bool:
    for window in d.search("--class", "ccm-timer"):
        _, y, w, h = d.geometry(window)
        if w <= 48 and h <= 48 and y < 40:
            return True
    return False


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with keyring_session() as key_store:
        use_secret_service(key_store)
        print(f"database key kept in: {key_store}")
        _measure(args)


def _measure(args: argparse.Namespace) -> None:
    home = Path(tempfile.mkdtemp()) / "data"
    _cli(home, "clinician", "add", "--name", "Avery Nurse", "--credential", "RN", "--role",
         "clinical_staff", "--default")
    _cli(home, "patient", "add", "--mrn", "T1001", "--name", "Testpatient, Alma")
    # Written down at setup: otherwise the first tray start waits in the recovery key dialog.
    _cli(home, "unlock", "--show-recovery-key")
    d = XDesktop(ARTIFACTS / "bench", tray_host=True)
    try:
        starts = []
        for _ in range(args.runs):
            began = time.monotonic()
            app = d.launch_app(home, log_name="bench")
            wait_for(lambda: _icon(d), 20, "the tray icon")
            starts.append(time.monotonic() - began)
            app.terminate()
            app.wait(10)
            time.sleep(0.5)
        app = d.launch_app(home, log_name="bench")
        wait_for(lambda: _icon(d), 20, "the tray icon")
        time.sleep(1.5)  # ready for hand-overs
        began = time.monotonic()
        subprocess.run([sys.executable, "-m", "ccm_timer"], check=True,
                       env=d.env(CCM_TIMER_HOME=str(home)))
        handed = time.monotonic() - began
        wait_for(lambda: d.search("--name", "Start timer"), 20, "the start dialog")
        dialog = time.monotonic() - began
        d.keys("Escape")
        _cli(home, "start", "--patient", "T1001", "--category", "phone-call")
        time.sleep(3)
        cpu0, t0 = _cpu_seconds(app.pid), time.monotonic()
        time.sleep(args.seconds)
        cpu = _cpu_seconds(app.pid) - cpu0
        wall = time.monotonic() - t0
        print(f"process start to tray icon: median {statistics.median(starts):.2f} s "
              f"(min {min(starts):.2f}, max {max(starts):.2f}, {len(starts)} runs)")
        ready = [float(m) for m in re.findall(r"ready after (\d+) ms",
                                              (home / "logs" / "tray.log").read_text())]
        print(f"menu usable (database open, state read), measured inside launch(): median "
              f"{statistics.median(ready) / 1000:.2f} s")
        print(f"second launch (hotkey) exits after {handed:.2f} s; start dialog shown after "
              f"{dialog:.2f} s")
        print(f"resident memory with a timer running: {_rss_mb(app.pid):.0f} MB")
        print(f"CPU over {wall:.0f} s with a timer running: {cpu:.2f} s "
              f"({100 * cpu / wall:.2f} % of one core)")
    finally:
        d.close()


if __name__ == "__main__":
    main()
