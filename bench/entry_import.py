"""`ccm-timer entry import` over a large file: 1,000,000 rows for 2,000 patients.

    python bench/entry_import.py [--rows 1000000] [--patients 2000] [--overlapping]
                                 [--test-keyring]

Writes the CSV (mrn,category,clinician,start,end,note) in a temporary folder, opens a new
clinic there (its staff and patients added with raw inserts through the app's own engine),
then times the import in-process as the command runs it: the check of every row, then the
batches. Prints the time of each phase, rows per second, the number of batches and the
longest write transaction. Each nurse's rows follow each other, 10 minutes every 15, and the
nurses of one quarter hour call different patients, as in a clinic's file; --overlapping
gives half the nurses the same patient at the same time instead (each such entry overlaps
19 others: the month overlaps' worst case, 950,000 entries of 1,000,000). --test-keyring
keeps the database key in a folder (the tests' keyring) instead of the desktop's Secret
Service. Prints figures; not a pass/fail test.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ZONE = "America/New_York"
NURSES = 40  # each nurse's rows follow each other without overlap


def _people(ctx, patients: int) -> list[str]:
    from sqlalchemy import text

    with ctx.write() as session:
        conn = session.connection()
        conn.exec_driver_sql(
            "INSERT INTO patient (id, mrn, family_name, given_name, active) VALUES (?, ?, ?, ?, 1)",
            [(uuid.uuid4().hex, f"B{i:05d}", f"Bench{i}", "Pat") for i in range(patients)])
        conn.exec_driver_sql(
            "INSERT INTO clinician (id, name, credential, role, active, incident_to, duties) "
            "VALUES (?, ?, 'RN', 'CLINICAL_STAFF', 1, 0, '')",
            [(uuid.uuid4().hex, f"Bench Nurse {n}") for n in range(NURSES)])
        assert conn.execute(text("SELECT count(*) FROM patient")).scalar_one() == patients
    return [f"Bench Nurse {n}" for n in range(NURSES)]


def _file(path: Path, rows: int, patients: int, nurses: list[str], overlapping: bool) -> None:
    start = datetime(2025, 1, 2, 14, 0, tzinfo=UTC)
    per = -(-rows // len(nurses))
    with open(path, "w", encoding="utf-8") as out:
        out.write("mrn,category,clinician,start,end,note\n")
        for i in range(rows):
            nurse, k = divmod(i, per)
            at = start + timedelta(minutes=15 * k)
            patient = i % patients if overlapping else (k * len(nurses) + nurse) % patients
            out.write(f"B{patient:05d},phone-call,{nurses[nurse]},"
                      f"{at.isoformat()},{(at + timedelta(minutes=10)).isoformat()},call {i}\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--patients", type=int, default=2_000)
    parser.add_argument("--overlapping", action="store_true")
    parser.add_argument("--test-keyring", action="store_true")
    args = parser.parse_args()
    if args.test_keyring:
        from tests.fixtures.keyring import KEYRING_ENV

        os.environ.update(KEYRING_ENV)
    from ccm_timer.core.clock import ManualClock
    from ccm_timer.services.context import open_app
    from ccm_timer.services.timing import entry_import, entry_import_batches

    with tempfile.TemporaryDirectory(prefix="ccm-bench-import-") as folder:
        home = Path(folder) / "data"
        home.mkdir()
        (home / "settings.toml").write_text(
            f'clinic_timezone = "{ZONE}"\nworkstation = "bench"\n', encoding="utf-8")
        ctx = open_app(str(home), clock=ManualClock(datetime(2026, 11, 3, 15, tzinfo=UTC)))
        try:
            nurses = _people(ctx, args.patients)
            path = Path(folder) / "entries.csv"
            _file(path, args.rows, args.patients, nurses, args.overlapping)
            size = path.stat().st_size
            load = os.getloadavg()[0]
            started = time.monotonic()
            checked = entry_import.check(ctx, path)
            checked_at = time.monotonic()
            result = entry_import_batches.write(ctx, checked.rows, checked.mark,
                                                actor=nurses[0])
            ended = time.monotonic()
        finally:
            ctx.close()
    total = ended - started
    print(f"rows {args.rows:,} ({size / 1e6:.0f} MB), patients {args.patients:,}, "
          f"clinicians {NURSES}, {'overlapping' if args.overlapping else 'a clinic'}'s file")
    print(f"check {checked_at - started:.1f} s, write {ended - checked_at:.1f} s "
          f"(lock held {sum(result.write_seconds):.1f} s in {result.writes} batches, "
          f"longest {result.longest_write:.3f} s), total {total:.1f} s, "
          f"{args.rows / total:,.0f} rows/s")
    print(f"load average {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end "
          "(the write includes the month rollup's build at the end of a large import)")


if __name__ == "__main__":
    main()
