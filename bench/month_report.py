"""Month report over a large clinic: 2,000 patients and 1,000,000 time entries.

    python bench/month_report.py [--entries 1000000] [--patients 2000] [--months 12]

Builds the database once in a temporary folder (raw inserts through the same sqlcipher3
library the app uses), then times `services.report.month_report` for every patient of one
month, as `ccm-timer report` runs it. With --months 12 the entries spread over a year (a
realistic clinic: about 83,000 in the month reported); --months 1 puts all of them in the
reported month, the worst case. The month rollup (store/month_rollup.py) is built once after
the inserts, as the first open or `ccm-timer doctor` builds it, and the report is timed
through it and, for comparison, from the entries alone (--no-rollup: that only). Prints
figures; it is not a pass/fail test.

With --before TREE (an earlier tree, `git archive COMMIT | tar -x -C TREE`) and --keep, each
of --rounds rounds times that tree's report (this script run from TREE) and then this
tree's, each in a fresh process on the same clinic, so both see the same load and heap.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from ccm_timer.core.clock import ManualClock
from ccm_timer.core.month import month_bounds_utc, parse_month
from ccm_timer.services.context import open_app
from ccm_timer.services.month import report
from ccm_timer.store import month_rollup
from ccm_timer.store.connection import raw_connect
from ccm_timer.store.instants import to_db_text

MONTH = "2026-11"
ZONE = "America/New_York"


def build(home: Path, entries: int, patients: int, months: int) -> int:
    """The clinic, inserted in time order (slot n of every patient, then slot n + 1), so
    the time indexes and the ids (a fixed random prefix and a counter, as time-ordered ids
    are) grow at their ends instead of at random places: 10,000,000 entries in minutes. The
    span triggers fill each entry's span as its interval goes in, as in the app. Commits
    every ~1,000,000 rows, so the write-ahead log is checkpointed instead of growing to the
    size of the database. Returns how many entries start in the month reported."""
    (home / "settings.toml").write_text(
        f'clinic_timezone = "{ZONE}"\nworkstation = "bench"\n', encoding="utf-8")
    ctx = open_app(str(home))
    key = ctx.engine.ccm_key  # the database is encrypted: raw inserts need its key
    ctx.close()
    rng = random.Random(7)
    conn = raw_connect(home / "ccm-timer.db", key)
    cur = conn.cursor()
    cur.execute("PRAGMA cache_size = -1000000")  # 1 GB: the patient index takes random inserts
    cur.execute("PRAGMA synchronous = NORMAL")  # a bench build: a crash loses only the bench
    cur.execute("PRAGMA foreign_keys = OFF")  # every id below is made here, consistent
    cur.execute("BEGIN IMMEDIATE")
    # Built afterwards in one go (ensure, below): the triggers note nothing meanwhile.
    cur.execute("DELETE FROM month_rollup_state")
    cur.execute("DELETE FROM month_rollup")
    staff = [uuid.uuid4().hex for _ in range(13)]
    cur.executemany(
        "INSERT INTO clinician (id, name, credential, role, active) VALUES (?, ?, ?, ?, 1)",
        [(c, f"Bench Clinician {i}", "RN" if i < 10 else "MD",
          "CLINICAL_STAFF" if i < 10 else "PRACTITIONER") for i, c in enumerate(staff)])
    people = [uuid.uuid4().hex for _ in range(patients)]
    cur.executemany(
        "INSERT INTO patient (id, mrn, family_name, given_name, active) VALUES (?, ?, ?, ?, 1)",
        [(p, f"B{i:06d}", f"Benchpatient{i:05d}", "Test") for i, p in enumerate(people)])
    cur.executemany(
        "INSERT INTO enrollment (id, patient_id, program, consent_date, start_date, "
        "consent_method, consent_by, disclosed_cost_sharing, disclosed_one_practitioner, "
        "disclosed_right_to_stop) VALUES (?, ?, 'CCM', '2025-01-01', '2025-01-01', 'verbal', "
        "'Bench Clinician 0', 1, 1, 1)",
        [(uuid.uuid4().hex, p) for p in people])
    category = cur.execute("SELECT id FROM category WHERE slug = 'phone-call'").fetchone()[0]
    last = parse_month(MONTH)
    first = last
    for _ in range(months - 1):
        first = first.previous()
    lo = month_bounds_utc(first, ZONE)[0].timestamp()
    hi = month_bounds_utc(last, ZONE)[1].timestamp()
    month_lo, month_hi = (t.timestamp() for t in month_bounds_utc(last, ZONE))
    per_patient = entries // patients
    # Back to back with random gaps: one patient's entries never overlap.
    step = (hi - lo) / per_patient
    longest = int(min(1800, step * 0.6))
    created = to_db_text(datetime(2026, 1, 1, tzinfo=UTC))
    entry_ids, interval_ids = rng.getrandbits(64) << 64, rng.getrandbits(64) << 64
    in_month = written = uncommitted = 0
    rows_e: list[tuple[str, ...]] = []
    rows_i: list[tuple[str, ...]] = []
    for n in range(per_patient):
        for p in people:
            start = int(lo + n * step + rng.uniform(0, step * 0.3))
            in_month += month_lo <= start < month_hi
            e = f"{entry_ids + written:032x}"
            rows_e.append((e, e, staff[rng.randrange(13)], p, category, created))
            rows_i.append((f"{interval_ids + written:032x}", e, _text(start),
                           _text(start + rng.randint(60, longest))))
            written += 1
        if len(rows_e) >= 20_000 or n == per_patient - 1:
            cur.executemany(
                "INSERT INTO time_entry (id, origin_id, version, clinician_id, patient_id, "
                "category_id, program, note, source, state, workstation, tz_name, voided, "
                "created_at) VALUES (?, ?, 1, ?, ?, ?, 'CCM', '', 'TIMER', 'STOPPED', "
                f"'bench', '{ZONE}', 0, ?)", rows_e)
            cur.executemany("INSERT INTO interval (id, entry_id, start_utc, end_utc) "
                            "VALUES (?, ?, ?, ?)", rows_i)
            uncommitted += len(rows_e)
            rows_e, rows_i = [], []
            if uncommitted >= 1_000_000:
                cur.execute("COMMIT")
                cur.execute("BEGIN IMMEDIATE")
                uncommitted = 0
    cur.execute("COMMIT")
    # No ANALYZE: the app never runs it, so a clinic's planner has no statistics either (at
    # 1,000,000 entries the report took the same time with and without them: 186-200 ms).
    conn.close()
    return in_month


def _text(epoch: int) -> str:
    """A whole-second instant as stored (store/instants.py FORMAT), without a datetime."""
    return time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime(epoch))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--patients", type=int, default=2_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-rollup", action="store_true", help="time the entries alone")
    parser.add_argument("--entries-too", action="store_true",
                        help="also time the report from the entries alone, for comparison")
    parser.add_argument("--keep", metavar="FOLDER",
                        help="build the clinic in FOLDER, or reuse the one already there")
    parser.add_argument("--profile", action="store_true",
                        help="print cProfile's top functions of one more report")
    parser.add_argument("--before", metavar="TREE",
                        help="an earlier tree, timed in turns with this one (needs --keep)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of --before")
    args = parser.parse_args()
    if args.before and not args.keep:
        parser.error("--before needs --keep: both trees read the same clinic")
    with tempfile.TemporaryDirectory() as folder:
        home = Path(args.keep or folder)
        home.mkdir(parents=True, exist_ok=True)
        if (home / "ccm-timer.db").exists():
            print(f"reusing the clinic in {home}")
        else:
            began = time.perf_counter()
            in_month = build(home, args.entries, args.patients, args.months)
            print(f"entries: {args.entries:,} over {args.months} month(s), "
                  f"{args.patients:,} patients; {in_month:,} entries starting in {MONTH}; "
                  f"database built in {time.perf_counter() - began:.1f} s")
        ctx = open_app(str(home), clock=ManualClock(datetime(2026, 12, 15, tzinfo=UTC)))
        if args.no_rollup or args.entries_too:
            with ctx.write() as session:  # the report then counts from the entries
                session.connection().exec_driver_sql("DELETE FROM month_rollup_state")
            _time(ctx, args.runs, "from the entries alone")
        if not args.no_rollup:
            began = time.perf_counter()
            with ctx.write() as session:
                built = month_rollup.ensure(session.connection(), ctx.zone, ctx.now())
            with ctx.engine.connect() as conn:
                rows = conn.exec_driver_sql("SELECT count(*) FROM month_rollup").scalar()
            print(f"month rollup {'built' if built else 'already built'} in "
                  f"{time.perf_counter() - began:.1f} s ({rows:,} rows)")
            if args.before:
                for _ in range(args.rounds):
                    for tree in (Path(args.before), Path(__file__).resolve().parents[1]):
                        _in_tree(tree, home, args.runs)
            else:
                _time(ctx, args.runs, "through the month rollup")
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            report.month_report(ctx, MONTH)
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
        ctx.close()


def _time(ctx, runs: int, how: str) -> None:
    report.month_report(ctx, MONTH)  # warm: the first read pulls the pages into the cache
    times, cpu = [], []
    for _ in range(runs):
        began, used = time.perf_counter(), time.process_time()
        result = report.month_report(ctx, MONTH)
        times.append(time.perf_counter() - began)
        cpu.append(time.process_time() - used)  # moves far less with the load than the wall
    billed = sum(1 for p in result.patients if p.result.billable_lines)
    total = sum(sum(p.result.seconds_by_role.values()) for p in result.patients)
    print(f"month report, all patients, {how}: median {statistics.median(times) * 1000:.0f} "
          f"ms, best {min(times) * 1000:.0f} ms, CPU median "
          f"{statistics.median(cpu) * 1000:.0f} ms over {runs} runs "
          f"({len(result.patients):,} patients, {billed:,} with billable lines, "
          f"{total / 3600:,.1f} h; {_load()})")


def _in_tree(tree: Path, home: Path, runs: int) -> None:
    """A tree's report on the clinic in `home`, in a process of its own."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.month_report", "--keep", str(home), "--runs", str(runs)],
        cwd=tree, env={**os.environ, "PYTHONPATH": str(tree)}, capture_output=True, text=True,
        timeout=1800, check=True)
    for line in done.stdout.splitlines():
        if line.startswith("month report"):
            print(line.replace("through the month rollup", f"through the month rollup, {tree}"))


def _load() -> str:
    return f"load average {os.getloadavg()[0]:.2f}"


if __name__ == "__main__":
    main()
