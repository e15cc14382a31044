"""CCM Timer beside the command-line trackers clinics could use instead: Watson and
Timewarrior, on the same machine and, for the month report, the same data.

    python -m bench.peers cli [--runs 20]
    python -m bench.peers report [--entries 1000000] [--patients 2000] [--runs 3]

Options for both: --watson PATH (default /tmp/watson-venv/bin/watson: `python3 -m venv
/tmp/watson-venv && /tmp/watson-venv/bin/pip install td-watson`), --timew PATH (Debian's
`timewarrior`), --bundle PATH (dist/ccm-timer/ccm-timer, when built). A missing tool is left
out and said so.

`cli` times `start`, `status` and `stop` (Timewarrior's status is plain `timew`), each a
fresh process, in turns across the tools, on fresh stores; median of --runs. CCM Timer is
timed twice: on a data folder whose tray runs (the command hands the work to it over its
channel, cli/tray_channel.py; the tray as bench/cli_channel.py starts it) and on one without
a tray (the command opens the database itself). `--before TREE` adds a third, the tree
at TREE (an unpacked `git archive COMMIT ccm_timer`, put first on PYTHONPATH) with a tray
of its own, for a before/after in one run. Every stop waits for the next whole second first
(Timewarrior refuses an interval shorter than a second); the wait is not timed.

`report` builds bench/month_report.py's clinic (2,000 patients, 1,000,000 entries over 12
months) in CCM Timer's database, reads every interval back and writes the same intervals
into Watson's frames file (project = MRN, tag = activity) and Timewarrior's monthly data
files (tags = MRN and activity). It then times `ccm-timer report --month 2026-11`, `watson
report --from 2026-11-01 --to 2026-11-30` and `timew summary 2026-11-01 - 2026-12-01` (all
in the clinic's time zone), with each one's peak memory, and prints each tool's total hours
for the month as a check that they read the same data. CCM Timer is timed twice here too,
on copies of one database: with its tray running (the tray reports from its open database,
ui/cli_channel.py; the peak memory is then the command line's alone) and without.

Every run has a time limit (--timeout). CCM Timer keeps its key in a private gnome-keyring
session (bench/session.py) and its database encrypted; the peers store plain text.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from bench.session import keyring_session
from bench.tray_alone import use_secret_service

ROOT = Path(__file__).resolve().parents[1]
ZONE = "America/New_York"  # bench/month_report.py's clinic
MONTH = "2026-11"


@dataclass
class Tool:
    name: str
    argv: list[str]
    env: dict[str, str]
    commands: dict[str, list[str]] = field(default_factory=dict)
    times: dict[str, list[float]] = field(default_factory=dict)
    peak_mb: list[float] = field(default_factory=list)

    def run(self, args: Sequence[str], timeout: float, capture: bool = False,
            peak: bool = False) -> tuple[float, float, str]:
        return measured([*self.argv, *args], {**os.environ, **self.env}, timeout, capture,
                        peak)


TIME = shutil.which("time", path="/usr/bin:/bin")  # GNU time, for the peak memory


def measured(argv: list[str], env: dict[str, str], timeout: float, capture: bool = False,
             peak: bool = False) -> tuple[float, float, str]:
    """Seconds, peak resident MB (when asked; 0 without GNU time) and, when captured,
    standard output. The peak comes from GNU time, not from our own wait4: Linux keeps a
    child's high-water mark across exec, so a child forked from this big Python would
    report our memory. GNU time adds about a millisecond, so latencies are run without."""
    peak = peak and TIME is not None
    with tempfile.TemporaryDirectory() as tmp:
        peak_file = Path(tmp) / "peak"
        prefix = [TIME, "-f", "%M", "-o", str(peak_file)] if peak else []
        out = open(Path(tmp) / "out", "w+b") if capture else subprocess.DEVNULL  # noqa: SIM115
        began = time.perf_counter()
        try:
            done = subprocess.run([*prefix, *argv], env=env, stdout=out,
                                  stderr=subprocess.PIPE, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"{' '.join(argv[-4:])}: killed after {timeout:.0f} s") from None
        elapsed = time.perf_counter() - began
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(argv[-4:])}: {done.stderr.decode().strip()}")
        mb = int(peak_file.read_text().split()[-1]) / 1024 if peak else 0.0
        text = ""
        if capture:
            out.seek(0)
            text = out.read().decode(errors="replace")
            out.close()
    return elapsed, mb, text


def _ours(args: argparse.Namespace, home: Path) -> list[Tool]:
    script = Path(sys.executable).with_name("ccm-timer")
    argv = [str(script)] if script.exists() else [sys.executable, "-m", "ccm_timer"]
    tools = [Tool("CCM Timer (pip install)", argv, {"CCM_TIMER_HOME": str(home / "python")})]
    if Path(args.bundle).is_file():
        tools.append(Tool("CCM Timer (bundle)", [args.bundle],
                          {"CCM_TIMER_HOME": str(home / "bundle")}))
    else:
        print(f"(no bundle at {args.bundle}; build it with packaging/build.sh to include it)")
    return tools


def _peers(args: argparse.Namespace, home: Path) -> list[Tool]:
    tools = []
    if Path(args.watson).is_file():
        tools.append(Tool("Watson " + _version([args.watson, "--version"]), [args.watson],
                          {"WATSON_DIR": str(home / "watson"), "TZ": ZONE}))
    else:
        print(f"(Watson left out: no {args.watson})")
    timew = shutil.which(args.timew)
    if timew:
        db = home / "timew"
        (db / "data").mkdir(parents=True)
        (db / "timewarrior.cfg").write_text("")  # an existing database: no first-run prompt
        tools.append(Tool("Timewarrior " + _version([timew, "--version"]), [timew],
                          {"TIMEWARRIORDB": str(db), "TZ": ZONE}))
    else:
        print(f"(Timewarrior left out: no {args.timew}; apt-get install timewarrior)")
    return tools


def _version(argv: list[str]) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    found = re.search(r"\d+\.\d+(\.\d+)?", done.stdout)
    return found.group(0) if found else ""


def _fmt_ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:7.0f}"


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (5 min {five:.2f}) on {os.cpu_count()} cores"


# ---- start / status / stop -----------------------------------------------------------------

def cli_latency(args: argparse.Namespace) -> None:
    from bench.cli_channel import _start_tray
    from bench.xdesktop import stop_process

    print(f"before: {_load()}")
    with keyring_session() as key_store:
        use_secret_service(key_store)
        home = Path(tempfile.mkdtemp(prefix="ccm-bench-cli-"))
        ours, peers = _ours(args, home), _peers(args, home)
        ours.insert(0, Tool("CCM Timer (tray running)", ours[0].argv,
                            {"CCM_TIMER_HOME": str(home / "tray")}))
        trayed = [ours[0]]
        if args.before:
            trayed.append(Tool(f"CCM Timer {Path(args.before).name} (tray)", ours[1].argv,
                               {"CCM_TIMER_HOME": str(home / "before"),
                                "PYTHONPATH": str(Path(args.before).resolve())}))
            ours.insert(1, trayed[-1])
        for tool in ours:
            tool.run(["clinician", "add", "--name", "Avery Nurse", "--credential", "RN",
                      "--role", "clinical_staff", "--default"], args.timeout)
            tool.run(["patient", "add", "--mrn", "T1001", "--name", "Testpatient, Alma",
                      "--program", "CCM", "--consent", "2026-01-05"], args.timeout)
            tool.commands = {"start": ["start", "--patient", "T1001", "--category",
                                       "phone-call"], "status": ["status"], "stop": ["stop"]}
        for tool in peers:
            if tool.name.startswith("Watson"):
                tool.commands = {"start": ["start", "T1001", "+phone-call"],
                                 "status": ["status"], "stop": ["stop"]}
            else:
                tool.commands = {"start": ["start", "T1001", "phone-call"], "status": [],
                                 "stop": ["stop"]}
        tools = ours + peers
        trays = []
        try:
            for tool in trayed:
                trays.append(_start_tray(Path(tool.env["CCM_TIMER_HOME"]),
                                         {**os.environ, **tool.env},
                                         cwd=tool.env.get("PYTHONPATH")))
            for rnd in range(args.runs + 1):  # round 0 warms up (first-run files, caches)
                for tool in tools:
                    for name, command in tool.commands.items():
                        if name == "stop":
                            time.sleep(1.05 - time.time() % 1)  # into the next whole second
                        elapsed = tool.run(command, args.timeout)[0]
                        if rnd:
                            tool.times.setdefault(name, []).append(elapsed)
        finally:
            for tray in trays:
                stop_process(tray)
            shutil.rmtree(home, ignore_errors=True)
    print(f"database key: {key_store}; {args.runs} runs, medians in ms")
    print(f"{'':28}" + "".join(f"{n:>9}" for n in ("start", "status", "stop")))
    for tool in tools:
        print(f"{tool.name:28}" + "".join(f"{_fmt_ms(tool.times[n]):>9}"
                                          for n in ("start", "status", "stop")))
    for mine in ours:
        for peer in peers:
            ratios = ", ".join(
                f"{n} {statistics.median(mine.times[n]) / statistics.median(peer.times[n]):.1f}x"
                for n in ("start", "status", "stop"))
            print(f"{mine.name} / {peer.name}: {ratios}")
    print("commands:")
    for tool in tools:
        for name, command in tool.commands.items():
            print(f"  {tool.name:28} {name:7} $ {' '.join([Path(tool.argv[-1]).name, *command])}")
    print(f"after: {_load()}")


# ---- month report over the same synthetic clinic ------------------------------------------

def build_ours(home: Path, entries: int, patients: int, months: int) -> tuple[int, bytes]:
    """bench/month_report.py's clinic. Its build() inserts through raw_connect without a key
    (it predates encryption), so it is handed one that adds the database's key."""
    from bench import month_report
    from ccm_timer.services.context import open_app
    from ccm_timer.store import connection

    key: list[bytes | None] = []

    def keyed(path: Path, *_: object, **__: object):
        if not key:
            ctx = open_app(str(home))
            key.append(ctx.protection.key)
            ctx.close()
        return connection.raw_connect(path, key[0])

    month_report.raw_connect = keyed
    home.mkdir(parents=True, exist_ok=True)
    in_month = month_report.build(home, entries, patients, months)
    return in_month, key[0]


def intervals(home: Path, key: bytes | None) -> list[tuple[str, str, str, str]]:
    """(MRN, activity, start, end) of every interval, UTC text, in start order."""
    from ccm_timer.store.connection import raw_connect

    conn = raw_connect(home / "ccm-timer.db", key)
    try:
        return conn.execute(
            "SELECT p.mrn, c.slug, i.start_utc, i.end_utc FROM interval i "
            "JOIN time_entry e ON e.id = i.entry_id JOIN patient p ON p.id = e.patient_id "
            "JOIN category c ON c.id = e.category_id ORDER BY i.start_utc").fetchall()
    finally:
        conn.close()


def _instant(text: str) -> datetime:
    from ccm_timer.store.instants import from_db_text

    return from_db_text(text)


def write_watson(folder: Path, rows: list[tuple[str, str, str, str]]) -> None:
    """Watson's frames file: [start, stop, project, id, tags, updated_at], epoch seconds."""
    folder.mkdir(parents=True, exist_ok=True)
    frames = []
    for mrn, slug, start, end in rows:
        a, b = int(_instant(start).timestamp()), int(_instant(end).timestamp())
        frames.append([a, b, mrn, uuid.uuid4().hex, [slug], b])
    with open(folder / "frames", "w", encoding="utf-8") as fh:
        json.dump(frames, fh)


def write_timew(folder: Path, rows: list[tuple[str, str, str, str]]) -> None:
    """Timewarrior's data/YYYY-MM.data files (an interval goes in its start's UTC month)
    and its tag index, so the first summary does not rebuild it."""
    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    (folder / "timewarrior.cfg").write_text("")
    files: dict[str, list[str]] = {}
    tags: Counter[str] = Counter()
    for mrn, slug, start, end in rows:
        a, b = _instant(start), _instant(end)
        files.setdefault(f"{a:%Y-%m}", []).append(
            f"inc {a:%Y%m%dT%H%M%SZ} - {b:%Y%m%dT%H%M%SZ} # {mrn} {slug}\n")
        tags.update((mrn, slug))
    for month, lines in files.items():
        (data / f"{month}.data").write_text("".join(lines), encoding="utf-8")
    (data / "tags.data").write_text(
        json.dumps({t: {"count": n} for t, n in sorted(tags.items())}), encoding="utf-8")


def total_hours(tool: Tool, text: str) -> float:
    """The month's total, read from each tool's own output."""
    if tool.name.startswith("CCM"):
        data = json.loads(text)
        return sum(p["seconds"]["total"] for p in data["patients"]) / 3600
    if tool.name.startswith("Watson"):
        h, m, s = re.search(r"Total: (\d+)h (\d+)m (\d+)s", text).groups()
    else:
        h, m, s = re.findall(r"^\s+(\d+):(\d\d):(\d\d)\s*$", text, re.M)[-1]
    return int(h) + int(m) / 60 + int(s) / 3600


def month_report(args: argparse.Namespace) -> None:
    from bench.cli_channel import _start_tray
    from bench.xdesktop import stop_process

    print(f"before: {_load()}")
    tray = None
    with keyring_session() as key_store:
        use_secret_service(key_store)
        home = Path(tempfile.mkdtemp(prefix="ccm-bench-report-"))
        try:
            ours, peers = _ours(args, home), _peers(args, home)
            # A copy of the same database with the tray running on it: `report` is then
            # done by the tray (ui/cli_channel.py), the others open the database themselves.
            ours.insert(0, Tool("CCM Timer (tray running)", ours[0].argv,
                                {"CCM_TIMER_HOME": str(home / "tray")}))
            began = time.perf_counter()
            in_month, key = build_ours(home / "python", args.entries, args.patients,
                                       args.months)
            rows = intervals(home / "python", key)
            built = time.perf_counter() - began
            for copy in ("tray", "bundle")[:len(ours) - 1]:  # the same file, the same key
                shutil.copytree(home / "python", home / copy)
            tray = _start_tray(home / "tray", {**os.environ, **ours[0].env})
            began = time.perf_counter()
            for tool in peers:
                if tool.name.startswith("Watson"):
                    write_watson(Path(tool.env["WATSON_DIR"]), rows)
                else:
                    write_timew(Path(tool.env["TIMEWARRIORDB"]), rows)
            written = time.perf_counter() - began
            print(f"data: {len(rows):,} intervals, {args.patients:,} patients, "
                  f"{in_month:,} starting in {MONTH} ({ZONE}); CCM Timer database built in "
                  f"{built:.0f} s, peers' files written in {written:.0f} s")
            commands = {"CCM": ["report", "--month", MONTH],
                        "Watson": ["report", "--from", f"{MONTH}-01", "--to", f"{MONTH}-30"],
                        "Timewarrior": ["summary", f"{MONTH}-01", "-", "2026-12-01"]}
            tools = ours + peers
            for tool in tools:
                tool.commands = {"report": commands[tool.name.split()[0]]}
                check = tool.commands["report"] + (["--json"] if tool in ours else [])
                text = tool.run(check, args.timeout, capture=True)[2]
                tool.times["hours"] = [total_hours(tool, text)]
            for _ in range(args.runs):
                for tool in tools:
                    elapsed, peak, _ = tool.run(tool.commands["report"], args.timeout,
                                                peak=True)
                    tool.times.setdefault("report", []).append(elapsed)
                    tool.peak_mb.append(peak)
        finally:
            if tray is not None:
                stop_process(tray)
            shutil.rmtree(home, ignore_errors=True)
    print(f"database key: {key_store}; median of {args.runs} runs each, in turns")
    for tool in tools:
        t = tool.times["report"]
        print(f"{tool.name:28} {statistics.median(t):8.2f} s (best {min(t):.2f}) "
              f"peak RSS {max(tool.peak_mb):6.0f} MB; month total {tool.times['hours'][0]:,.1f} h"
              f"   $ {' '.join([Path(tool.argv[0]).name, *tool.commands['report']])}")
    for mine in ours:
        for peer in peers:
            ratio = statistics.median(mine.times["report"]) / statistics.median(
                peer.times["report"])
            print(f"{mine.name} / {peer.name}: {ratio:.2f}x the time")
    print(f"after: {_load()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("cli", "report"))
    parser.add_argument("--runs", type=int, default=None,
                        help="timed runs per command (default: cli 20, report 3)")
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--patients", type=int, default=2_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--timeout", type=float, default=900, help="seconds, per run")
    parser.add_argument("--watson", default="/tmp/watson-venv/bin/watson")
    parser.add_argument("--timew", default="timew")
    parser.add_argument("--bundle", default=str(ROOT / "dist" / "ccm-timer" / "ccm-timer"))
    parser.add_argument("--before", help="cli: also time this tree's ccm_timer, tray running")
    args = parser.parse_args()
    if args.what == "cli":
        args.runs = args.runs or 20
        cli_latency(args)
    else:
        args.runs = args.runs or 3
        month_report(args)


if __name__ == "__main__":
    main()
