"""`ccm-timer start`, `status` and `stop` with the tray running (done by it over its
channel, cli/tray_channel.py) and without it (the command opens the database itself),
beside Watson when installed.

    python -m bench.cli_channel [--runs 15] [--watson PATH]

Two data folders seeded alike by the command line; a tray (`python -m ccm_timer`, offscreen,
its fallback window) runs on the first only. Each round runs every command on each in turn
(interleaved, so a load change hits both alike); medians of --runs after one warm-up round,
of the wall time and of the command's own CPU time.
The database key is kept in a private gnome-keyring session (bench/session.py), as on a
clinic's desktop; the tray reads it once at its start.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.session import keyring_session
from bench.xdesktop import stop_process

COMMANDS = {"start": ["start", "--patient", "T1001", "--category", "phone-call"],
            "status": ["status"], "stop": ["stop"]}
SEED = [["clinician", "add", "--name", "Avery Nurse", "--credential", "RN", "--role",
         "clinical_staff", "--default"],
        ["patient", "add", "--mrn", "T1001", "--name", "Testpatient, Alma", "--program",
         "CCM", "--consent", "2026-01-05"]]


def _argv() -> list[str]:
    script = Path(sys.executable).with_name("ccm-timer")
    return [str(script)] if script.exists() else [sys.executable, "-m", "ccm_timer"]


def _timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds, and the CPU seconds of the command's own process (user + system: what
    it costs itself, which the machine's load changes far less than the wall time)."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          timeout=120)
    elapsed = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        raise RuntimeError(f"{' '.join(argv[-3:])}: {done.stderr.decode().strip()}")
    return elapsed, after.ru_utime + after.ru_stime - used.ru_utime - used.ru_stime


def _start_tray(home: Path, env: dict[str, str], cwd: str | None = None) -> subprocess.Popen:
    """The tray on `home`, once it takes requests (its database open); `cwd`: run from
    there (`-m` puts the working folder first on sys.path, before PYTHONPATH)."""
    from ccm_timer.cli import tray_channel

    tray = subprocess.Popen([sys.executable, "-m", "ccm_timer"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, cwd=cwd,
                            env={**env, "QT_QPA_PLATFORM": "offscreen",
                                 "CCM_TIMER_TRAY_WAIT_MS": "0"})
    deadline = time.monotonic() + 60
    while tray_channel.ask(home, "status", {}) is None:
        if tray.poll() is not None or time.monotonic() > deadline:
            stop_process(tray)
            raise RuntimeError("the tray did not start taking requests")
        time.sleep(0.2)
    return tray


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--watson", default="/tmp/watson-venv/bin/watson")
    args = parser.parse_args()
    one, five, _ = os.getloadavg()
    print(f"before: load average {one:.2f} (5 min {five:.2f}) on {os.cpu_count()} cores")
    top = Path(tempfile.mkdtemp(prefix="ccm-bench-channel-"))
    tray = None
    with keyring_session() as key_store:
        try:
            rows: dict[str, tuple[list[str], dict[str, str]]] = {}
            for label in ("with the tray", "without it"):
                home = top / label.replace(" ", "-")
                env = {**os.environ, "CCM_TIMER_HOME": str(home)}
                if "Secret Service" in key_store:  # not the test extra's keyrings.alt
                    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.SecretService.Keyring"
                for command in SEED:
                    _timed([*_argv(), *command], env)
                rows[label] = (_argv(), env)
            tray = _start_tray(top / "with-the-tray", rows["with the tray"][1])
            tools = {f"CCM Timer {label}": (argv, env, COMMANDS)
                     for label, (argv, env) in rows.items()}
            if Path(args.watson).is_file():
                tools["Watson"] = ([args.watson], {**os.environ, "WATSON_DIR": str(
                    top / "watson")}, {"start": ["start", "T1001", "+phone-call"],
                                       "status": ["status"], "stop": ["stop"]})
            times: dict[str, dict[str, list[float]]] = {name: {} for name in tools}
            cpu: dict[str, dict[str, list[float]]] = {name: {} for name in tools}
            for rnd in range(args.runs + 1):  # round 0 warms up
                for name in COMMANDS:
                    if name == "stop":  # Watson wants a frame of a second at least
                        time.sleep(1.05 - time.time() % 1)
                    for tool, (argv, env, commands) in tools.items():
                        elapsed, own = _timed([*argv, *commands[name]], env)
                        if rnd:
                            times[tool].setdefault(name, []).append(elapsed)
                            cpu[tool].setdefault(name, []).append(own)
        finally:
            if tray is not None:
                stop_process(tray)
            shutil.rmtree(top, ignore_errors=True)
    print(f"database key: {key_store}; {args.runs} interleaved runs, medians in ms")
    print(f"{'':28}" + "".join(f"{n:>9}" for n in COMMANDS))
    for tool, got in times.items():
        print(f"{tool:28}" + "".join(f"{statistics.median(got[n]) * 1000:9.0f}"
                                      for n in COMMANDS))
    print("the command's own CPU (user + system), medians in ms")
    for tool, got in cpu.items():
        print(f"{tool:28}" + "".join(f"{statistics.median(got[n]) * 1000:9.0f}"
                                      for n in COMMANDS))
    if "Watson" in times:
        peer = {n: statistics.median(times["Watson"][n]) for n in COMMANDS}
        for tool in [t for t in times if t != "Watson"]:
            print(f"{tool} / Watson: " + ", ".join(
                f"{n} {statistics.median(times[tool][n]) / peer[n]:.2f}x" for n in COMMANDS))
    one, five, _ = os.getloadavg()
    print(f"after: load average {one:.2f} (5 min {five:.2f})")


if __name__ == "__main__":
    main()
