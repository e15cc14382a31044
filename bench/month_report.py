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
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
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
    (home / "settings.toml").write_text(
        f'clinic_timezone = "{ZONE}"\nworkstation = "bench"\n', encoding="utf-8")
    ctx = open_app(str(home))
    key = ctx.engine.ccm_key  # the database is encrypted: raw inserts need its key
    ctx.close()
    rng = random.Random(7)
    conn = raw_connect(home / "ccm-timer.db", key)
    cur = conn.cursor()
    cur.execute("BEGIN IMMEDIATE")
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
    lo, _ = month_bounds_utc(first, ZONE)
    _, hi = month_bounds_utc(last, ZONE)
    per_patient = entries // patients
    span = (hi - lo).total_seconds()
    in_month = 0
    month_lo, month_hi = month_bounds_utc(last, ZONE)
    created = to_db_text(datetime(2026, 1, 1, tzinfo=UTC))
    for p in people:
        # Back to back with random gaps: one patient's entries never overlap.
        step = span / per_patient
        rows_e, rows_i = [], []
        for n in range(per_patient):
            start = lo + timedelta(seconds=n * step + rng.uniform(0, step * 0.3))
            end = start + timedelta(seconds=rng.randint(60, int(min(1800, step * 0.6))))
            in_month += month_lo <= start < month_hi
            e = uuid.uuid4().hex
            rows_e.append((e, e, staff[rng.randrange(13)], p, category, created))
            rows_i.append((uuid.uuid4().hex, e, to_db_text(start), to_db_text(end)))
        cur.executemany(
            "INSERT INTO time_entry (id, origin_id, version, clinician_id, patient_id, "
            "category_id, program, note, source, state, workstation, tz_name, voided, "
            "created_at) VALUES (?, ?, 1, ?, ?, ?, 'CCM', '', 'TIMER', 'STOPPED', 'bench', "
            f"'{ZONE}', 0, ?)", rows_e)
        # The span triggers fill each entry's span as its interval goes in.
        cur.executemany("INSERT INTO interval (id, entry_id, start_utc, end_utc) "
                        "VALUES (?, ?, ?, ?)", rows_i)
    cur.execute("COMMIT")
    cur.execute("ANALYZE")
    conn.close()
    return in_month


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--patients", type=int, default=2_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-rollup", action="store_true", help="time the entries alone")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        began = time.perf_counter()
        in_month = build(home, args.entries, args.patients, args.months)
        built = time.perf_counter() - began
        ctx = open_app(str(home), clock=ManualClock(datetime(2026, 12, 15, tzinfo=UTC)))
        print(f"entries: {args.entries:,} over {args.months} month(s), {args.patients:,} "
              f"patients; {in_month:,} entries in {MONTH}; database built in {built:.1f} s")
        _time(ctx, args.runs, "from the entries alone")
        if not args.no_rollup:
            began = time.perf_counter()
            with ctx.write() as session:
                month_rollup.ensure(session.connection(), ctx.zone, ctx.now())
            with ctx.engine.connect() as conn:
                rows = conn.exec_driver_sql("SELECT count(*) FROM month_rollup").scalar()
            print(f"month rollup built in {time.perf_counter() - began:.1f} s ({rows:,} rows)")
            _time(ctx, args.runs, "through the month rollup")
        ctx.close()


def _time(ctx, runs: int, how: str) -> None:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        result = report.month_report(ctx, MONTH)
        times.append(time.perf_counter() - began)
    billed = sum(1 for p in result.patients if p.result.billable_lines)
    print(f"month report, all patients, {how}: median {statistics.median(times) * 1000:.0f} "
          f"ms, best {min(times) * 1000:.0f} ms over {runs} runs "
          f"({len(result.patients):,} patients, {billed:,} with billable lines)")


if __name__ == "__main__":
    main()
