"""A longer fault run than the suite's (issue 13): kill -9 at random moments, and a full disk.

    .venv/bin/python -m bench.fault_run kill --commands 500
    .venv/bin/python -m bench.fault_run disk            # as root: mounts its own tmpfs

`kill`: the real `ccm-timer` command (entry add, start, stop) in a subprocess, each killed
with SIGKILL after a random delay or left to finish. An entry is *acknowledged* when its
command exited 0 before any kill; at the end every acknowledged entry must be present, and
the figures say how many commands were killed, how many tracebacks were seen, and which
files were left behind (.partial, .tmp).

`disk`: a populated data folder on a small tmpfs, filled to a few sizes of free space (the
daily backup made due), then the commands a clinic runs: stop, entry add, entry list,
doctor, backup, export. For each size: exit codes, tracebacks, files left behind, and
whether the database still answers once space is freed again.

Prints figures; passes or fails nothing. The key is a passphrase (CCM_TIMER_PASSPHRASE),
so no keyring is needed; each command pays its scrypt once.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

PASS = "fault-run passphrase, synthetic"
LEFTOVER = (".partial", ".tmp")


def env_for(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CCM_")}
    env.update(CCM_TIMER_HOME=str(home), CCM_TIMER_PASSPHRASE=PASS,
               CCM_TIMER_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    return env


def cli(home: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ccm_timer", *args], env=env_for(home),
                          capture_output=True, text=True, timeout=timeout)


def setup(home: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "settings.toml").write_text('clinic_timezone = "America/New_York"\n'
                                        'workstation = "ws-fault"\n', encoding="utf-8")
    for args in (("clinician", "add", "--name", "Avery Nurse", "--credential", "RN",
                  "--role", "clinical_staff", "--default"),
                 ("patient", "add", "--mrn", "T1001", "--name", "Testpatient, Alma",
                  "--program", "CCM", "--consent", "2026-01-05")):
        done = cli(home, *args)
        if done.returncode:
            raise SystemExit(f"setup failed: {done.stderr.strip()}")


def leftovers(home: Path) -> list[str]:
    return sorted(str(p.relative_to(home)) for p in home.rglob("*")
                  if p.name.endswith(LEFTOVER) or ".partial" in p.name)


@dataclass
class KillFigures:
    commands: int = 0
    killed: int = 0
    acknowledged: list[str] = field(default_factory=list)
    tracebacks: int = 0
    refused: int = 0


def kill_run(commands: int, seed: int) -> None:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="ccm-fault-") as tmp:
        home = Path(tmp) / "data"
        setup(home)
        figures = KillFigures()
        started = time.monotonic()
        for i in range(commands):
            # A minute slot per command: manual entries never overlap one another.
            day, minute = 1 + (i // 600) % 27, i % 600
            start = f"2026-10-{day:02d}T{8 + minute // 60:02d}:{minute % 60:02d}"
            end = f"2026-10-{day:02d}T{8 + minute // 60:02d}:{minute % 60:02d}:40"
            kind = rng.choice(("entry", "entry", "start", "stop"))
            args = {"entry": ("entry", "add", "--patient", "T1001", "--category",
                              "phone-call", "--start", start, "--end", end,
                              "--note", f"fault-{i}"),
                    "start": ("start", "--patient", "T1001", "--category", "phone-call"),
                    "stop": ("stop",)}[kind]
            proc = subprocess.Popen([sys.executable, "-m", "ccm_timer", *args],
                                    env=env_for(home), stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True)
            delay = rng.uniform(0.05, 1.2) if rng.random() < 0.6 else None
            try:
                out, err = proc.communicate(timeout=delay)
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGKILL)
                out, err = proc.communicate()
                figures.killed += 1
            figures.commands += 1
            if "Traceback" in err:
                figures.tracebacks += 1
            if proc.returncode == 0 and kind == "entry":
                figures.acknowledged.append(f"fault-{i}")
            elif proc.returncode not in (0, -signal.SIGKILL):
                figures.refused += 1  # e.g. stop with nothing running: one sentence
        listed = cli(home, "--json", "entry", "list", "--month", "2026-10").stdout
        missing = [n for n in figures.acknowledged if f'"{n}"' not in listed]
        verify = cli(home, "audit", "verify")
        doctor = cli(home, "doctor")
        print(f"kill -9 loop: {figures.commands} commands in "
              f"{time.monotonic() - started:.0f} s, {figures.killed} killed, "
              f"{figures.refused} refused with a sentence")
        print(f"  acknowledged entries {len(figures.acknowledged)}, present "
              f"{len(figures.acknowledged) - len(missing)}, missing {len(missing)} "
              f"{missing[:5]}")
        print(f"  tracebacks seen {figures.tracebacks}; files left behind "
              f"{leftovers(home) or 'none'}")
        print(f"  audit verify exit {verify.returncode}: {verify.stdout.strip()[:120]}")
        print(f"  doctor exit {doctor.returncode}")


def fill(mount: Path, free_bytes: int) -> Path:
    """Leave about `free_bytes` free on the mount with one ballast file."""
    ballast = mount / "ballast"
    ballast.unlink(missing_ok=True)
    stat = os.statvfs(mount)
    size = stat.f_bavail * stat.f_frsize - free_bytes
    with open(ballast, "wb") as handle:
        chunk = b"\0" * (1 << 20)
        while size > 0:
            try:
                handle.write(chunk[: min(size, len(chunk))])
            except OSError:
                break
            size -= len(chunk)
    return ballast


def disk_run(sizes_kb: list[int]) -> None:
    if os.geteuid() != 0:
        raise SystemExit("the disk-full sweep mounts a tmpfs: run it as root")
    with tempfile.TemporaryDirectory(prefix="ccm-disk-") as tmp:
        mount = Path(tmp) / "mnt"
        mount.mkdir()
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mount)],
                       check=True)
        try:
            home = mount / "data"
            setup(home)
            for i in range(40):
                cli(home, "entry", "add", "--patient", "T1001", "--category", "phone-call",
                    "--start", f"2026-10-02T{8 + i // 6:02d}:{(i % 6) * 10:02d}",
                    "--end", f"2026-10-02T{8 + i // 6:02d}:{(i % 6) * 10 + 5:02d}")
            print("disk-full sweep (free space when each command ran):")
            for kb in sizes_kb:
                cli(home, "start", "--patient", "T1001", "--category", "phone-call")
                for backup in (home / "backups").glob("*"):
                    os.utime(backup, (0, 0))  # the daily backup is due
                ballast = fill(mount, kb * 1024)
                rows = []
                for args in (("stop",), ("entry", "add", "--patient", "T1001", "--category",
                                         "phone-call", "--start", "2026-10-09T09:00",
                                         "--end", "2026-10-09T09:05"),
                             ("entry", "list"), ("doctor",), ("backup",),
                             ("export", "--month", "2026-10", "--format", "csv", "--draft",
                              "--out", str(mount / "out.csv"))):
                    done = cli(home, *args)
                    name = f"{args[0]}{' ' + args[1] if args[0] == 'entry' else ''}"
                    crash = "+TRACEBACK" if "Traceback" in done.stderr else ""
                    rows.append(f"{name}={done.returncode}{crash}")
                left = leftovers(home)
                ballast.unlink()
                after = cli(home, "entry", "list")
                print(f"  {kb:>4} KB free: {', '.join(rows)}; left behind "
                      f"{left or 'none'}; database answers after freeing: "
                      f"{'yes' if after.returncode == 0 else 'NO: ' + after.stderr.strip()}")
                (mount / "out.csv").unlink(missing_ok=True)
                cli(home, "stop")
        finally:
            subprocess.run(["umount", str(mount)], check=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    kill = sub.add_parser("kill")
    kill.add_argument("--commands", type=int, default=500)
    kill.add_argument("--seed", type=int, default=13)
    disk = sub.add_parser("disk")
    disk.add_argument("--free-kb", type=int, nargs="+", default=[2048, 512, 120, 40, 8])
    args = parser.parse_args()
    if args.mode == "kill":
        kill_run(args.commands, args.seed)
    else:
        disk_run(args.free_kb)


if __name__ == "__main__":
    main()
