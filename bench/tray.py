"""Tray figures beside the floor: CCM Timer and a bare PySide6 tray icon, one X server.

    python -m bench.tray [--seconds 60] [--runs 5] [--bundle dist/ccm-timer/ccm-timer]
                         [--before /tmp/tree-before] [--windows 1] [--dialog-open]

Under one Xvfb + trayer (bench/xdesktop.py) it measures, for the bare tray icon of
bench/tray_floor.py, for CCM Timer from Python (`python -m ccm_timer`) and, when built, for
the PyInstaller bundle:
- process start to the icon visible in the tray (median of --runs, taken in turns);
- resident memory and CPU time over --seconds, all three running side by side, CCM Timer
  with a timer running, from --settle seconds after the timer's start (the tray's start
  defers work to its first minute: deliveries at 1.5 s, the worklist reminder at 60 s),
  by thread (the main thread's Python and Qt against Qt's XCB and D-Bus threads), with
  the nurse signed in (--dialog-open: the sign-in dialog left waiting instead).
The measuring code is bench/tray_alone.py's, imported. Run from the repository root;
needs Xvfb, trayer and xdotool, and gnome-keyring for a desktop-like key store
(bench/session.py). Prints figures with ratios to the floor; not a pass/fail test.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.session import keyring_session
from bench.tray_alone import _cli, _cpu_seconds, _icon, _rss_mb, use_secret_service
from bench.xdesktop import ARTIFACTS, XDesktop, wait_for

ROOT = Path(__file__).resolve().parents[1]
FLOOR = "bare PySide6 tray icon (floor)"
PASSWORD = "Bench-tray-47"  # the synthetic nurse's, set at her first sign-in
SIGN_IN = "who is working"  # the sign-in dialog's title, asked at every start


@dataclass
class Subject:
    name: str
    argv: list[str]
    home: Path | None = None  # CCM Timer's data folder; None for the floor
    cwd: Path | None = None  # the tree `python -m ccm_timer` runs from (--before's)
    starts: list[float] = field(default_factory=list)
    rss_mb: float = 0.0
    cpu_s: float = 0.0  # over the first window
    windows_ms: list[float] = field(default_factory=list)  # each window's CPU, --windows
    cpu_ticks_s: float = 0.0  # the same, by tray_alone's tick count, to compare with it
    threads_ms: dict[str, float] = field(default_factory=dict)  # CPU by thread name
    memory: dict[str, int] = field(default_factory=dict)  # kB: smaps_rollup, threads

    def env(self, d: XDesktop) -> dict[str, str]:
        return d.env(CCM_TIMER_HOME=str(self.home)) if self.home else d.env()

    def visible(self, d: XDesktop) -> bool:
        if self.home:
            return _icon(d)  # tray_alone's test: a small ccm-timer window in the panel
        return any(d.geometry(w)[2] <= 48 and d.geometry(w)[1] < 40
                   for w in d.search("--class", "tray-floor"))

    def cli(self, *args: str) -> None:
        """A command against this subject's data folder, by the same program."""
        env = {**os.environ, "CCM_TIMER_HOME": str(self.home)}
        subprocess.run([*self.argv, *args], env=env, check=True, capture_output=True,
                       timeout=120, cwd=self.cwd)

    def ready_ms(self) -> list[float]:
        log = self.home / "logs" / "tray.log" if self.home else None
        if not log or not log.exists():
            return []
        return [float(m) for m in re.findall(r"ready after (\d+) ms", log.read_text())]


def _cpu_ns(pid: int) -> int:
    """CPU time of every thread, in ns (schedstat): /proc/PID/stat counts 10 ms ticks, too
    coarse for an idle tray over a minute (the floor would read 0)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (OSError, ValueError):
            pass  # a thread that ended meanwhile
    return total


def _threads_ns(pid: int) -> dict[str, int]:
    """CPU time in ns by thread name (comm: "python" for the main thread, Qt's
    QXcbEventQueue and QDBusConnection, glib's gmain and gdbus, ...), to split what is ours
    (the main thread's Python) from Qt's X and D-Bus traffic."""
    by_name: dict[str, int] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            name = (task / "comm").read_text().strip()
            ns = int((task / "schedstat").read_text().split()[0])
        except (OSError, ValueError):
            continue  # a thread that ended meanwhile
        name = "main" if task.name == str(pid) else name
        by_name[name] = by_name.get(name, 0) + ns
    return by_name


def _memory_kb(pid: int) -> dict[str, int]:
    """Where the resident memory is: anonymous (heaps) against file-backed (libraries)."""
    found: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        key, _, value = line.partition(":")
        if key in ("Rss", "Pss", "Anonymous", "Private_Clean", "Private_Dirty", "Shared_Clean"):
            found[key] = int(value.split()[0])
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("RssAnon", "RssFile", "Threads"):
            found[key] = int(value.split()[0])
    return found


def _until_visible(d: XDesktop, s: Subject, began: float, timeout: float = 30) -> float:
    """Seconds from `began` to the icon in the panel, polled every 20 ms (wait_for's 100 ms
    would be most of the figure); each poll is one xdotool call, about 5-10 ms."""
    while time.monotonic() - began < timeout:
        if s.visible(d):
            return time.monotonic() - began
        time.sleep(0.02)
    raise AssertionError(f"no icon of {s.name} after {timeout:.0f} s")


def _launch(d: XDesktop, s: Subject) -> subprocess.Popen:
    return subprocess.Popen(s.argv, env=s.env(d), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, cwd=s.cwd)


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def sign_in(d: XDesktop, name: str) -> None:
    """Answer the start's sign-in as the nurse: her password set at the first start, typed
    twice. Left open, the dialog's focused password field blinks its cursor twice a second,
    and that, not the tray, is what a minute with the dialog waiting measures."""
    wait_for(lambda: d.search("--name", SIGN_IN), 30, f"{name}'s sign-in")
    time.sleep(0.3)
    d.type(PASSWORD)
    d.keys("Tab")
    d.type(PASSWORD)
    d.keys("Return")
    wait_for(lambda: not d.search("--name", SIGN_IN), 30, f"{name}'s sign-in to close")


def _clinic(s: Subject) -> None:
    s.cli("clinician", "add", "--name", "Avery Nurse", "--credential", "RN", "--role",
          "clinical_staff", "--default")
    s.cli("patient", "add", "--mrn", "T1001", "--name", "Testpatient, Alma")
    # Written down at setup: otherwise the first tray start waits in the recovery key dialog.
    s.cli("unlock", "--show-recovery-key")


def measure(subjects: list[Subject], runs: int, seconds: int, settle: float,
            windows: int = 1, signed_in: bool = True) -> None:
    d = XDesktop(ARTIFACTS / "bench-tray", tray_host=True)
    try:
        for _ in range(runs):  # in turns, so a load spike hits every subject alike
            for s in subjects:
                began = time.monotonic()
                proc = _launch(d, s)
                s.starts.append(_until_visible(d, s, began))
                _stop(proc)
                time.sleep(0.5)
        procs = []
        for s in subjects:
            before = len(s.ready_ms())
            procs.append(_launch(d, s))
            if s.home:
                wait_for(lambda s=s, n=before: len(s.ready_ms()) > n, 60,
                         f"{s.name} to be ready")
                if signed_in:  # one subject at a time: its dialog is the only one open
                    sign_in(d, s.name)
                s.cli("start", "--patient", "T1001", "--category", "phone-call")
        time.sleep(settle)  # past the start's deferred work, into the steady state
        cpu0 = [(_cpu_ns(p.pid), _cpu_seconds(p.pid), _threads_ns(p.pid)) for p in procs]
        t0 = time.monotonic()
        time.sleep(seconds)
        wall = time.monotonic() - t0
        for s, p, (ns0, ticks0, threads0) in zip(subjects, procs, cpu0, strict=True):
            s.cpu_s = (_cpu_ns(p.pid) - ns0) / 1e9
            s.cpu_ticks_s = _cpu_seconds(p.pid) - ticks0
            s.threads_ms = {name: (ns - threads0.get(name, 0)) / 1e6
                            for name, ns in _threads_ns(p.pid).items()}
            s.rss_mb = _rss_mb(p.pid)
            s.memory = _memory_kb(p.pid)
            s.windows_ms.append(s.cpu_s * 1000)
        for _ in range(windows - 1):  # the next windows: is the first one the steady state?
            before = [_cpu_ns(p.pid) for p in procs]
            time.sleep(seconds)
            for s, p, ns0 in zip(subjects, procs, before, strict=True):
                s.windows_ms.append((_cpu_ns(p.pid) - ns0) / 1e6)
        d.shot("all-running")
        for p in procs:
            _stop(p)
    finally:
        d.close()
    report(subjects, runs, wall)


def report(subjects: list[Subject], runs: int, wall: float) -> None:
    floor = subjects[0]
    f_start, f_cpu = statistics.median(floor.starts), floor.cpu_s
    print(f"{'':36} {'start to icon':>22} {'RSS':>8} {'CPU over ' + f'{wall:.0f} s':>26}")
    for s in subjects:
        start = statistics.median(s.starts)
        print(f"{s.name:36} {start:6.2f} s ({min(s.starts):.2f}-{max(s.starts):.2f})"
              f" {s.rss_mb:6.0f} MB {s.cpu_s * 1000:8.0f} ms ({100 * s.cpu_s / wall:.3f} % core;"
              f" ticks {s.cpu_ticks_s:.2f} s)")
    for s in subjects:
        threads = ", ".join(f"{name} {ms:.0f}" for name, ms in
                            sorted(s.threads_ms.items(), key=lambda kv: -kv[1]))
        memory = ", ".join(f"{key} {kb / 1024:.1f}" if key != "Threads" else f"{kb} threads"
                           for key, kb in s.memory.items())
        print(f"  {s.name}: CPU by thread (ms) {threads}")
        if len(s.windows_ms) > 1:
            print(f"  {s.name}: CPU in each {wall:.0f} s window (ms) "
                  + ", ".join(f"{ms:.0f}" for ms in s.windows_ms))
        print(f"  {s.name}: memory (MB) {memory}")
    for s in subjects[1:]:
        start = statistics.median(s.starts)
        cpu = f"{s.cpu_s / f_cpu:.1f}x" if f_cpu > 0 else "n/a (floor used none)"
        print(f"ratio {s.name} / floor: start {start / f_start:.2f}x, RSS "
              f"{s.rss_mb / floor.rss_mb:.2f}x, CPU {cpu}")
        if s.ready_ms():
            print(f"  {s.name}: menu usable (database open) after median "
                  f"{statistics.median(s.ready_ms()) / 1000:.2f} s, from its tray.log")
    print(f"start-to-icon medians over {runs} runs each, taken in turns")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--settle", type=float, default=65,
                        help="seconds from the timer's start to the measured minute: past the "
                        "tray's deferred start work (the worklist reminder loads at 60 s)")
    parser.add_argument("--windows", type=int, default=1,
                        help="measure CPU over this many consecutive --seconds windows")
    parser.add_argument("--dialog-open", action="store_true",
                        help="leave the start's sign-in dialog waiting (the last subject's "
                        "has the focus) instead of signing the nurse in")
    parser.add_argument("--before", type=Path,
                        help="another tree (a `git archive` of the commit before a change) "
                        "measured in the same run, side by side")
    parser.add_argument("--bundle", default=str(ROOT / "dist" / "ccm-timer" / "ccm-timer"),
                        help="the built bundle's program (skipped when missing)")
    args = parser.parse_args()
    load0 = os.getloadavg()
    with keyring_session() as key_store:
        use_secret_service(key_store)
        work = Path(tempfile.mkdtemp(prefix="ccm-bench-tray-"))
        ours = Subject("CCM Timer (python -m ccm_timer)", [sys.executable, "-m", "ccm_timer"],
                       work / "python")
        _cli(ours.home, "clinician", "add", "--name", "Avery Nurse", "--credential", "RN",
             "--role", "clinical_staff", "--default")  # tray_alone's own setup, then ours
        _cli(ours.home, "patient", "add", "--mrn", "T1001", "--name", "Testpatient, Alma")
        _cli(ours.home, "unlock", "--show-recovery-key")
        subjects = [Subject(FLOOR, [sys.executable, str(ROOT / "bench" / "tray_floor.py")]),
                    ours]
        if args.before:
            before = Subject(f"before ({args.before.name})", [sys.executable, "-m", "ccm_timer"],
                             work / "before", cwd=args.before.resolve())
            _clinic(before)
            subjects.append(before)
        if Path(args.bundle).is_file():
            bundled = Subject("CCM Timer (PyInstaller bundle)", [args.bundle], work / "bundle")
            _clinic(bundled)
            subjects.append(bundled)
        else:
            print(f"no bundle at {args.bundle}: build it with packaging/build.sh to include it")
        print(f"database key kept in: {key_store}")
        try:
            measure(subjects, args.runs, args.seconds, args.settle, args.windows,
                    signed_in=not args.dialog_open)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    print(f"load average before {load0[0]:.2f}, after {os.getloadavg()[0]:.2f} "
          f"({os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
