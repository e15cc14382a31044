"""Clinic hub push and pull for 20 and 50 workstations over a simulated year.

    python -m bench.hub_sync [--workstations 20 50] [--days 365] [--per-day 8]
                             [--patients 200]

Starts its own PostgreSQL cluster (Debian's postgresql binaries) in a temporary folder and,
for each clinic size, a fresh hub (`hub init`). Each workstation is a data folder of its
own with one nurse, the same patients by MRN (inserted raw, as bench/month_report.py does)
and `--per-day` entries on each of the `--days` days up to 30 November 2026, written with
raw inserts through the app's own key (the change log's triggers see them as the app's
writes). Then, timed through the service `ccm-timer hub push` calls (hub.push_target):

- the first push of each workstation, one after another (ms, hub statements, rows sent);
- one new entry, then a push (the incremental case), on one workstation;
- every workstation adding one entry and pushing at the same moment (one process each,
  started first and released together): median and p95 of the push alone;
- the pull (hub_pull.pull, what `ccm-timer hub pull` runs, when this tree has it): the
  first one, then from one workstation's push to another's month report counting it, and
  the pull's own cost.

Statements are counted on every PostgreSQL connection of the process (SQLAlchemy's
before_cursor_execute). The database key and the hub's password are kept by the tests'
folder keyring, not the desktop's. Prints figures with the load average; not a pass/fail
test.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from glob import glob
from pathlib import Path

PASSWORD = "bench-hub-password"  # a throwaway cluster of the bench's own
ZONE = "America/New_York"
LAST_DAY = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)
NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


def _keyring(root: Path) -> None:
    """The tests' folder keyring for the database keys and the hub's password, in this
    process and the ones it starts."""
    from tests.fixtures.keyring import KEYRING_ENV, TokenKeyring

    os.environ.update(KEYRING_ENV)
    os.environ[TokenKeyring.folder_env] = str(root / "tokens")
    os.environ["PYTHON_KEYRING_BACKEND"] = "tests.fixtures.keyring.TokenKeyring"
    os.environ.pop("CCM_TIMER_PASSPHRASE", None)


# --- PostgreSQL ---------------------------------------------------------------------------


def start_postgres() -> tuple[int, list[str], Path]:
    found = sorted(glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        sys.exit("PostgreSQL server binaries (Debian's postgresql) are not installed")
    bindir = Path(found[-1]).parent
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    pg = Path(tempfile.mkdtemp(prefix="ccm-hub-bench-pg-"))  # its own: postgres owns it
    (pg / "pw").write_text(PASSWORD)
    if as_user:
        shutil.chown(pg, "postgres", "postgres")
        shutil.chown(pg / "pw", "postgres", "postgres")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    subprocess.run([*as_user, str(bindir / "initdb"), "-D", str(pg / "data"), "-U",
                    "postgres", "--no-sync", "--auth-local=trust",
                    "--auth-host=scram-sha-256", f"--pwfile={pg / 'pw'}"],
                   check=True, capture_output=True)
    subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(pg / "data"), "-l",
                    str(pg / "log"), "-w", "-o", f"-p {port} -k {pg} -c "
                    "listen_addresses=127.0.0.1 -c max_connections=200", "start"],
                   check=True, capture_output=True)
    return port, [*as_user, str(bindir / "pg_ctl"), "-D", str(pg / "data"), "-m", "fast",
                  "-w", "stop"], pg


def new_hub(port: int, name: str) -> str:
    import psycopg

    from ccm_timer.services.delivery import hub

    with psycopg.connect(host="127.0.0.1", port=port, user="postgres", password=PASSWORD,
                         dbname="postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql://postgres@127.0.0.1:{port}/{name}"
    hub.init_hub(url, PASSWORD)
    return url


# --- workstations --------------------------------------------------------------------------


def build_workstation(home: Path, name: str, n: int, args, hub_url: str) -> None:
    from ccm_timer.core.clock import ManualClock
    from ccm_timer.services.context import open_app
    from ccm_timer.services.delivery import targets
    from ccm_timer.services.people import clinicians
    from ccm_timer.store.connection import raw_connect
    from ccm_timer.store.instants import to_db_text

    home.mkdir(parents=True)
    (home / "settings.toml").write_text(
        f'clinic_timezone = "{ZONE}"\nworkstation = "{name}"\n', encoding="utf-8")
    ctx = open_app(str(home), clock=ManualClock(NOW))
    clinicians.add(ctx, name=f"Nurse {name}", credential="RN", role="clinical_staff",
                   default=True)
    targets.add(ctx, "hub", kind="hub", url=hub_url, secret=PASSWORD)
    key = ctx.engine.ccm_key
    with ctx.read() as session:
        nurse = session.connection().exec_driver_sql(
            "SELECT id FROM clinician").scalar_one()
    ctx.close()
    conn = raw_connect(home / "ccm-timer.db", key)
    cur = conn.cursor()
    cur.execute("PRAGMA synchronous = NORMAL")
    cur.execute("BEGIN IMMEDIATE")
    people = [uuid.uuid4().hex for _ in range(args.patients)]
    cur.executemany(
        "INSERT INTO patient (id, mrn, family_name, given_name, active) VALUES (?, ?, ?, ?, 1)",
        [(p, f"B{i:05d}", f"Benchpatient{i:05d}", "Test") for i, p in enumerate(people)])
    cur.executemany(
        "INSERT INTO enrollment (id, patient_id, program, consent_date, start_date, "
        "consent_method, consent_by, disclosed_cost_sharing, disclosed_one_practitioner, "
        "disclosed_right_to_stop) VALUES (?, ?, 'CCM', '2025-01-01', '2025-01-01', 'verbal', "
        f"'Nurse {name}', 1, 1, 1)", [(uuid.uuid4().hex, p) for p in people])
    category = cur.execute("SELECT id FROM category WHERE slug = 'phone-call'").fetchone()[0]
    created = to_db_text(NOW)
    rows_e, rows_i = [], []
    for day in range(args.days):
        base = LAST_DAY - timedelta(days=day)
        for k in range(args.per_day):
            start = base + timedelta(minutes=50 * k + n % 17)
            e = uuid.uuid4().hex
            rows_e.append((e, e, nurse, people[(day * args.per_day + k + n) % len(people)],
                           category, created))
            rows_i.append((uuid.uuid4().hex, e, to_db_text(start),
                           to_db_text(start + timedelta(minutes=5 + (k * 7 + n) % 25))))
    cur.executemany(
        "INSERT INTO time_entry (id, origin_id, version, clinician_id, patient_id, "
        "category_id, program, note, source, state, workstation, tz_name, voided, created_at) "
        f"VALUES (?, ?, 1, ?, ?, ?, 'CCM', '', 'TIMER', 'STOPPED', '{name}', '{ZONE}', 0, ?)",
        rows_e)
    cur.executemany("INSERT INTO interval (id, entry_id, start_utc, end_utc) "
                    "VALUES (?, ?, ?, ?)", rows_i)
    cur.execute("COMMIT")
    conn.close()


class Statements:
    """Statements sent to PostgreSQL by this process, whatever engine sent them; while
    `timing`, every statement's time on either database, for `slowest`."""

    def __init__(self) -> None:
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        self.count = 0
        self.timing = False
        self.times: dict[tuple[str, str], list[float]] = {}

        def seen(conn, *_args) -> None:
            if conn.dialect.name == "postgresql":
                self.count += 1
            conn.info["bench_began"] = time.perf_counter()

        def done(conn, _cursor, statement, *_args) -> None:
            if self.timing:
                key = (conn.dialect.name, " ".join(statement.split())[:110])
                self.times.setdefault(key, []).append(
                    time.perf_counter() - conn.info.pop("bench_began"))

        event.listen(Engine, "before_cursor_execute", seen)
        event.listen(Engine, "after_cursor_execute", done)

    def slowest(self, runs: int, top: int = 3) -> None:
        """The statements that took the most time in all, per run, then forgets them."""
        ranked = sorted(self.times.items(), key=lambda kv: -sum(kv[1]))[:top]
        for (dialect, sql), spent in ranked:
            print(f"    {1000 * sum(spent) / runs:,.0f} ms a run in {len(spent) / runs:g} "
                  f"{dialect} statement(s): {sql}")
        self.times.clear()


class LockWaits:
    """Samples the hub's sessions waiting on a lock (pg_stat_activity) every 20 ms."""

    def __init__(self, url: str) -> None:
        import threading

        import psycopg
        from sqlalchemy.engine import make_url

        parts = make_url(url)
        self._conn = psycopg.connect(host=parts.host, port=parts.port, user=parts.username,
                                     password=PASSWORD, dbname=parts.database,
                                     autocommit=True)
        self.samples = self.waiting = self.most = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._done.wait(0.02):
            n = self._conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                                   "current_database() AND wait_event_type = 'Lock'"
                                   ).fetchone()[0]
            self.samples += 1
            self.waiting += n
            self.most = max(self.most, n)

    def stop(self) -> None:
        self._done.set()
        self._thread.join()
        self._conn.close()


def timed_push(ctx, statements: Statements) -> dict:
    from ccm_timer.services.delivery import hub, targets

    target = targets.get(ctx, "hub")
    before, began = statements.count, time.perf_counter()
    report = hub.push_target(ctx, target, force=True)
    ms = (time.perf_counter() - began) * 1000
    return {"ms": ms, "statements": statements.count - before,
            "rows": report.rows if report else 0}


def one_entry(ctx, slot: int) -> None:
    """A 61-second phone call on 1 December (after the year's entries), slot 0-399."""
    from ccm_timer.services.timing import entries

    start = datetime(2026, 12, 1, 1, 0, tzinfo=UTC) + timedelta(minutes=2 * slot)
    entries.add_manual(ctx, patient_mrn="B00000", category_slug="phone-call", start=start,
                       end=start + timedelta(seconds=61))


def worker(home: str) -> None:
    """One workstation's process for the simultaneous pushes: opens, says ready, waits for
    a line on standard input, adds one entry and pushes, prints the push's figures."""
    from ccm_timer.core.clock import ManualClock
    from ccm_timer.services.context import open_app

    ctx = open_app(home, clock=ManualClock(NOW))
    statements = Statements()
    print("ready", flush=True)
    sys.stdin.readline()
    one_entry(ctx, 300)
    print(json.dumps(timed_push(ctx, statements)), flush=True)
    ctx.close()


# --- the run ------------------------------------------------------------------------------


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def _line(what: str, runs: list[dict], rows: str = "rows sent") -> None:
    ms = [r["ms"] for r in runs]
    print(f"  {what}: median {statistics.median(ms):,.0f} ms, p95 {_pct(ms, 0.95):,.0f} ms; "
          f"{statistics.median([r['statements'] for r in runs]):,.0f} statements, "
          f"{statistics.median([r['rows'] for r in runs]):,.0f} {rows} ({_load()})")


def clinic(root: Path, port: int, count: int, args) -> None:
    from ccm_timer.core.clock import ManualClock
    from ccm_timer.services.context import open_app

    print(f"\n{count} workstations, {args.days} days x {args.per_day} entries each "
          f"({count * args.days * args.per_day:,} entries), {args.patients} patients")
    url = new_hub(port, f"hub{count}")
    homes = [root / f"c{count}" / f"ws-{n:02d}" for n in range(count)]
    began = time.perf_counter()
    for n, home in enumerate(homes):
        build_workstation(home, f"ws-{n:02d}", n, args, url)
    print(f"  built in {time.perf_counter() - began:.1f} s ({_load()})")
    statements = Statements()
    firsts = []
    for home in homes:
        ctx = open_app(str(home), clock=ManualClock(NOW))
        firsts.append(timed_push(ctx, statements))
        ctx.close()
    _line("first push, each workstation in turn", firsts)
    ctx = open_app(str(homes[0]), clock=ManualClock(NOW))
    again = []
    for i in range(args.runs):
        one_entry(ctx, i)
        again.append(timed_push(ctx, statements))
    ctx.close()
    _line(f"one new entry, then a push (one workstation, {args.runs} runs)", again)
    procs = [subprocess.Popen([sys.executable, "-m", "bench.hub_sync", "--worker", str(h)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
             for h in homes]
    for p in procs:
        assert p.stdout.readline().strip() == "ready"
    sampler = LockWaits(url)
    began = time.perf_counter()
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    together = [json.loads(p.communicate(timeout=900)[0]) for p in procs]
    span = time.perf_counter() - began
    sampler.stop()
    _line(f"one new entry on each, all {count} pushing at once", together)
    print(f"  all {count} done {span:,.1f} s after the start; hub sessions waiting on a lock: "
          f"{sampler.waiting} in {sampler.samples} samples of pg_stat_activity "
          f"(the most at once: {sampler.most})")
    pull(homes, statements)


def pull(homes: list[Path], statements: Statements) -> None:
    """Workstation 0 pushes one new entry; workstation 1 pulls (hub_pull.pull, what
    `ccm-timer hub pull` runs) and its own month report then counts it: the lag from the
    push's start to the report, and the pull's cost. Once every workstation has pulled what
    the first pushes sent (the first pull takes the clinic's year)."""
    from ccm_timer.core.clock import ManualClock
    from ccm_timer.services.context import open_app
    from ccm_timer.services.delivery import targets
    from ccm_timer.services.month import report

    try:
        from ccm_timer.services.delivery import hub_pull
    except ImportError:
        print("  pull: not in this tree (services/delivery/hub_pull.py)")
        return
    reader = open_app(str(homes[1]), clock=ManualClock(NOW))
    target = targets.get(reader, "hub")
    before, began = statements.count, time.perf_counter()
    hub_pull.pull(reader, target)
    print(f"  first pull on one workstation (the others' year): "
          f"{1000 * (time.perf_counter() - began):,.0f} ms, "
          f"{statements.count - before} statements ({_load()})")
    def counted() -> int:
        found = report.month_report(reader, "2026-12", "B00000").patients
        return found[0].result.total_seconds if found else 0

    lags, costs = [], []
    for slot in range(390, 395):
        had = counted()
        writer = open_app(str(homes[0]), clock=ManualClock(NOW))
        one_entry(writer, slot)
        began = time.perf_counter()
        timed_push(writer, statements)
        writer.close()
        before, pulled = statements.count, time.perf_counter()
        statements.timing = True
        hub_pull.pull(reader, target)
        statements.timing = False
        done = time.perf_counter()
        assert counted() == had + 61, "the pull did not bring the new entry"
        lags.append(time.perf_counter() - began)
        costs.append({"ms": 1000 * (done - pulled), "statements": statements.count - before,
                      "rows": 1})
    reader.close()
    _line("pull of one new entry (5 runs)", costs, "entry taken")
    statements.slowest(len(costs))
    print(f"  pull lag, one workstation's push to another's report counting it: median "
          f"{1000 * statistics.median(lags):,.0f} ms, worst {1000 * max(lags):,.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workstations", type=int, nargs="+", default=[20, 50])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--per-day", type=int, default=8)
    parser.add_argument("--patients", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--worker", metavar="HOME", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker)
        return
    root = Path(tempfile.mkdtemp(prefix="ccm-hub-bench-"))
    _keyring(root)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    print(f"tree {commit}, {os.cpu_count()} cores, {_load()}")
    port, stop, pg = start_postgres()
    try:
        for count in args.workstations:
            clinic(root, port, count, args)
    finally:
        subprocess.run(stop, capture_output=True, timeout=60)
        for folder in (root, pg, Path(os.environ["CCM_TEST_KEYRING_DIR"])):
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
