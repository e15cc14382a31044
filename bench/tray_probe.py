"""What the running tray holds, from inside: modules loaded, Python's heap by package
(tracemalloc), and /proc's memory figures, with a timer running after --settle seconds.

    python -m bench.tray_probe [--settle 65] [--no-tracemalloc] [--top 25] [--profile 60]
                               [--trim] [--dialog-open]

Under its own Xvfb + trayer (bench/xdesktop.py) and key store (bench/session.py), it sets
a clinic up, starts the tray in a child process that runs `ccm_timer.ui.launch.launch`
itself (with tracemalloc started first, unless --no-tracemalloc: it costs memory and time
of its own, so RSS is read without it), starts a timer from the command line, and after
--settle seconds the child writes what it holds and quits. Prints; not a pass/fail test.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench.session import keyring_session
from bench.tray import sign_in
from bench.tray_alone import _cli, _icon, use_secret_service
from bench.xdesktop import ARTIFACTS, XDesktop, stop_process, wait_for

HEAVY = ("sqlalchemy", "sqlmodel", "pydantic", "pydantic_core", "keyring", "asyncio", "email",
         "importlib.metadata", "jeepney", "secretstorage", "cryptography", "sqlcipher3",
         "ccm_timer.store.models", "ccm_timer.sync", "reportlab")


def _package(filename: str) -> str:
    """A file's package: 'sqlalchemy', 'ccm_timer.services', 'stdlib:enum', '<frozen ...>'."""
    parts = Path(filename).parts
    if "site-packages" in parts:
        rest = parts[parts.index("site-packages") + 1:]
        return rest[0].removesuffix(".py") if rest else filename
    if "ccm_timer" in parts:
        return ".".join(parts[parts.index("ccm_timer"):][:2]).removesuffix(".py")
    if filename.startswith(sys.base_prefix):
        rest = Path(filename).relative_to(sys.base_prefix).parts[2:]  # past lib/python3.x
        return "stdlib:" + (rest[0].removesuffix(".py") if rest else filename)
    return filename


def _status() -> dict[str, int]:
    found = {}
    for name in ("status", "smaps_rollup"):
        for line in Path(f"/proc/self/{name}").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "RssAnon", "RssFile", "Threads", "Anonymous", "Pss"):
                found[key] = int(value.split()[0])
    return found


def _mappings(top: int) -> list[tuple[str, int]]:
    """Resident kB by mapped file (libraries), '[anon]' and '[heap]' for the rest."""
    by_file: Counter[str] = Counter()
    name = "[anon]"
    for line in Path("/proc/self/smaps").read_text().splitlines():
        head = line.split()
        if head and "-" in head[0] and len(head) >= 5 and ":" in head[3]:
            name = Path(head[5]).name if len(head) > 5 and head[5].startswith("/") else (
                head[5] if len(head) > 5 else "[anon]")
        elif head and head[0] == "Rss:":
            by_file[name] += int(head[1])
    return by_file.most_common(top)


def _dump(out: Path, top: int) -> None:
    import gc
    import tracemalloc

    gc.collect()
    report: dict = {"proc_kb": _status(), "modules": len(sys.modules),
                    "rss_by_mapping_kb": _mappings(top)}
    report["heavy_loaded"] = [name for name in HEAVY if name in sys.modules]
    roots = Counter(name.split(".")[0] for name in sys.modules)
    report["modules_by_root"] = roots.most_common(top)
    report["ccm_modules"] = sorted(n for n in sys.modules if n.startswith("ccm_timer"))
    if tracemalloc.is_tracing():
        snap = tracemalloc.take_snapshot()
        by_package: Counter[str] = Counter()
        for stat in snap.statistics("filename"):
            by_package[_package(stat.traceback[0].filename)] += stat.size
        report["traced_mb"] = sum(by_package.values()) / 2**20
        report["heap_by_package_kb"] = [(k, v // 1024) for k, v in by_package.most_common(top)]
        ours = [s for s in snap.statistics("lineno")
                if "/ccm_timer/" in s.traceback[0].filename][:top]
        report["ccm_timer_lines_kb"] = [(str(s.traceback[0]), s.size // 1024) for s in ours]
    out.write_text(json.dumps(report, indent=1))


class _Profile:
    """cProfile over the main thread's last `seconds` before the dump: what our Python and
    the Qt callbacks into it cost, beside the thread's CPU time (time.thread_time)."""

    def __init__(self, seconds: float) -> None:
        import cProfile

        self.seconds = seconds
        self.profile = cProfile.Profile()
        self.cpu0 = 0.0
        self.passes: Counter[int] = Counter()  # the collector's passes by generation
        self.gc_ms = 0.0
        self._gc_t0 = 0.0

    def _gc(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._gc_t0 = time.thread_time()
        else:
            self.passes[info["generation"]] += 1
            self.gc_ms += (time.thread_time() - self._gc_t0) * 1000

    def begin(self) -> None:
        import gc

        gc.callbacks.append(self._gc)
        self.cpu0 = time.thread_time()
        self.profile.enable()

    def end(self, top: int) -> dict:
        import gc
        import io
        import pstats

        self.profile.disable()
        cpu = time.thread_time() - self.cpu0
        gc.callbacks.remove(self._gc)
        text = io.StringIO()
        stats = pstats.Stats(self.profile, stream=text)
        stats.sort_stats("cumulative").print_stats(top)
        return {"main_thread_cpu_ms": cpu * 1000, "profiled_s": self.seconds,
                "gc_passes_by_generation": dict(self.passes), "gc_ms": self.gc_ms,
                "gc_counts_thresholds": [gc.get_count(), gc.get_threshold()],
                "gc_tracked_objects": len(gc.get_objects()), "gc_frozen": gc.get_freeze_count(),
                "profile": text.getvalue().splitlines()[:top + 12]}


def inside(out: Path, settle: float, top: int, trace: bool, profile_s: float,
           trim: bool) -> int:
    """The child: the tray as `ccm-timer` runs it, and a dump after `settle` seconds."""
    if trace:
        import tracemalloc

        tracemalloc.start(1)
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])
    prof = _Profile(profile_s) if profile_s else None

    def done() -> None:
        profiled = prof.end(top) if prof is not None else {}
        _dump(out, top)
        report = {**json.loads(out.read_text()), **profiled}
        if trim:  # what glibc would give back: free pages inside the heap and arenas
            import ctypes

            ctypes.CDLL("libc.so.6").malloc_trim(0)
            report["proc_kb_after_malloc_trim"] = _status()
        out.write_text(json.dumps(report, indent=1))
        app.exit(0)

    if prof is not None:
        QTimer.singleShot(int((settle - profile_s) * 1000), prof.begin)
    QTimer.singleShot(int(settle * 1000), done)
    from ccm_timer.ui.launch import launch

    return launch(None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--settle", type=float, default=65)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--no-tracemalloc", action="store_true")
    parser.add_argument("--profile", type=float, default=0, metavar="SECONDS",
                        help="cProfile the main thread over the last SECONDS before the dump")
    parser.add_argument("--dialog-open", action="store_true",
                        help="leave the start's sign-in dialog waiting (bench/tray.py's)")
    parser.add_argument("--trim", action="store_true",
                        help="after the dump, malloc_trim(0) and the memory figures again")
    parser.add_argument("--inside", type=Path, help=argparse.SUPPRESS)  # the child's out file
    args = parser.parse_args()
    if args.inside:
        sys.exit(inside(args.inside, args.settle, args.top, not args.no_tracemalloc,
                        args.profile, args.trim))
    with keyring_session() as key_store:
        use_secret_service(key_store)
        home = Path(tempfile.mkdtemp(prefix="ccm-bench-probe-")) / "data"
        _cli(home, "clinician", "add", "--name", "Avery Nurse", "--credential", "RN", "--role",
             "clinical_staff", "--default")
        _cli(home, "patient", "add", "--mrn", "T1001", "--name", "Testpatient, Alma")
        _cli(home, "unlock", "--show-recovery-key")
        out = home.parent / "probe.json"
        d = XDesktop(ARTIFACTS / "bench-probe", tray_host=True)
        try:
            argv = [sys.executable, "-m", "bench.tray_probe", "--inside", str(out), "--settle",
                    str(args.settle + 3), "--top", str(args.top), "--profile",
                    str(args.profile)] + (["--trim"] if args.trim else [])
            if args.no_tracemalloc:
                argv.append("--no-tracemalloc")
            child = subprocess.Popen(argv, env=d.env(CCM_TIMER_HOME=str(home)))
            wait_for(lambda: _icon(d), 60, "the tray icon")
            if not args.dialog_open:
                sign_in(d, "the tray")
            time.sleep(2)
            _cli(home, "start", "--patient", "T1001", "--category", "phone-call")
            child.wait(args.settle + 60)
        finally:
            stop_process(child)
            d.close()
    report = json.loads(out.read_text())
    print(json.dumps(report, indent=1))
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
