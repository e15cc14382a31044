"""The month rollup's full build: set-based (store/month_rollup.py count_all, what open and
a zone change run) beside the old recount month by month through compute().

    python bench/rollup_build.py [--entries 1000000] [--patients 2000] [--months 12] [--no-old]

Builds the clinic of bench/month_report.py (raw inserts, entries spread over the months),
leaves the rollup unbuilt, then times: the set-based build in one write transaction (rolled
back, then once committed), compute() over every month (the old build's count, skipped with
--no-old), the drain's recount of a few patients' month, and open_app with the build
against open_app once it is built. Prints figures with the load average; not a test.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.month_report import build
from ccm_timer.core.clock import ManualClock
from ccm_timer.services import context
from ccm_timer.services.context import open_app
from ccm_timer.store import month_rollup
from ccm_timer.store.connection import raw_connect

NOW = datetime(2026, 12, 15, tzinfo=UTC)
building = context.build_month_rollup


def _unbuild(home: Path, key: bytes) -> None:
    """As a database from before the rollup: no state, no rows, no notes."""
    conn = raw_connect(home / "ccm-timer.db", key)
    conn.execute("BEGIN IMMEDIATE")
    for table in ("month_rollup_state", "month_rollup", "month_rollup_dirty"):
        conn.execute(f"DELETE FROM {table}")
    conn.execute("COMMIT")
    conn.close()


def _load() -> str:
    return "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--patients", type=int, default=2_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--no-old", action="store_true", help="skip the month-by-month count")
    parser.add_argument("--folder", help="make the database here, or reuse the one made here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        home = Path(args.folder or folder)
        began = time.perf_counter()
        # Made as a database from before the rollup: no state, so the inserts note nothing.
        context.build_month_rollup = lambda ctx: False
        if not (home / "ccm-timer.db").exists():
            build(home, args.entries, args.patients, args.months)
        ctx = open_app(str(home), clock=ManualClock(NOW))
        context.build_month_rollup = building
        key = ctx.engine.ccm_key
        ctx.close()
        _unbuild(home, key)
        print(f"{args.entries:,} entries, {args.patients:,} patients, {args.months} months; "
              f"database made in {time.perf_counter() - began:.1f} s")
        ctx = open_app(str(home), clock=ManualClock(NOW), build_rollup=False)
        zone = ctx.zone
        with ctx.engine.connect() as conn:
            months = month_rollup.all_months(conn, zone)
            conn.rollback()
            began, cpu = time.perf_counter(), time.process_time()
            with conn.begin() as transaction:  # the build as open runs it, taken back
                month_rollup.rebuild(conn, zone, NOW)
                new = time.perf_counter() - began
                cpu = time.process_time() - cpu
                rows = conn.exec_driver_sql("SELECT count(*) FROM month_rollup").scalar()
                transaction.rollback()
        print(f"set-based build (count and write, {rows:,} rows, {len(months)} months): "
              f"{new:.2f} s, {cpu:.2f} s of CPU  [{_load()}]")
        with ctx.engine.connect() as conn:
            began, cpu = time.perf_counter(), time.process_time()
            counted = month_rollup.count_all(conn, zone)
            print(f"  its count alone: {time.perf_counter() - began:.2f} s, "
                  f"{time.process_time() - cpu:.2f} s of CPU  [{_load()}]")
            if not args.no_old:
                began, cpu = time.perf_counter(), time.process_time()
                old = month_rollup.compute(conn, zone, months)
                took = time.perf_counter() - began
                print(f"old count, compute() month by month: {took:.2f} s, "
                      f"{time.process_time() - cpu:.2f} s of CPU ({took / new:.1f}x the "
                      f"set-based build); same rows: {old == counted}  [{_load()}]")
            patients = [r[0] for r in conn.exec_driver_sql(
                "SELECT id FROM patient ORDER BY id LIMIT 20")]
            for few in (1, 20):
                began = time.perf_counter()
                month_rollup.compute(conn, zone, months[-1:], patients[:few])
                print(f"drain's recount of {few} patient(s), one month: "
                      f"{(time.perf_counter() - began) * 1000:.0f} ms  [{_load()}]")
        ctx.close()
        _unbuild(home, key)
        for how in ("building it", "already built"):
            began = time.perf_counter()
            open_app(str(home), clock=ManualClock(NOW), always_check=True).close()
            print(f"open_app, {how}: {time.perf_counter() - began:.2f} s  [{_load()}]")


if __name__ == "__main__":
    main()
