"""Fixtures for delivery tests: a keyring, exports to send, HTTP servers, PostgreSQL."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from glob import glob
from pathlib import Path

import keyring
import pytest

from ccm_timer.services.context import AppContext
from ccm_timer.services.delivery import outbox, targets
from ccm_timer.services.exports import history as export_records
from tests.sync.memory_keyring import MemoryKeyring
from tests.sync.servers import BillingServer, FhirServer


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def server() -> Iterator[BillingServer]:
    srv = BillingServer()
    yield srv
    srv.close()


@pytest.fixture
def fhir_server() -> Iterator[FhirServer]:
    srv = FhirServer()
    yield srv
    srv.close()


def queue_exports(ctx: AppContext, target: str, count: int, month: str = "2026-11",
                  fmt: str = "json", scope: str = "all") -> list:
    """Synthetic exports (the renderers come later), each queued in its own transaction."""
    made = []
    for n in range(count):
        body = json.dumps({"export": n, "month": month, "synthetic": True}).encode()
        with ctx.write() as session:
            export = export_records.record_export(
                session, ctx, month=month, scope=scope, fmt=fmt, content=body,
                actor="Avery Nurse", filename_hint=f"ccm-{month}-{n}.json",
            )
            outbox.enqueue(session, ctx, export, target)
            made.append(export)
    return made


def add_https(ctx: AppContext, url: str, name: str = "billing", token: str | None = None):
    return targets.add(ctx, name, kind="https", url=url, secret=token)


# --- PostgreSQL ---------------------------------------------------------------------------


def _pg_bin() -> Path | None:
    found = sorted(glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


HUB_PASSWORD = "hub-test-secret"


@pytest.fixture(scope="session")
def postgres() -> Iterator[dict]:
    """A throwaway PostgreSQL cluster on 127.0.0.1 (password auth over TCP)."""
    bindir = _pg_bin()
    if bindir is None:
        message = "PostgreSQL server binaries (Debian's postgresql) are not installed"
        if os.environ.get("CI") == "true":
            pytest.fail(message + "; .ci/run must install them")
        pytest.skip(message)
    root = Path(tempfile.mkdtemp(prefix="ccm-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb refuses root: run the cluster as the postgres user
        shutil.chown(root, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    (root / "pw").write_text(HUB_PASSWORD)
    if as_user:
        shutil.chown(root / "pw", "postgres", "postgres")
    data, port = root / "data", _free_port()

    def run(*cmd: str) -> None:
        subprocess.run([*as_user, *cmd], check=True, capture_output=True, timeout=120)

    run(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--no-sync",
        "--auth-local=trust", "--auth-host=scram-sha-256", f"--pwfile={root / 'pw'}")
    run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w", "-t", "60",
        "-o", f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c full_page_writes=off", "start")
    try:
        yield {"host": "127.0.0.1", "port": port, "password": HUB_PASSWORD}
    finally:
        subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast",
                        "-w", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def hub_url(postgres: dict, request) -> str:
    """A fresh database on the cluster, as a URL without the password."""
    import psycopg

    name = "hub_" + "".join(c for c in request.node.name.lower() if c.isalnum())[:40]
    with psycopg.connect(host=postgres["host"], port=postgres["port"], user="postgres",
                         password=postgres["password"], dbname="postgres",
                         autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql://postgres@{postgres['host']}:{postgres['port']}/{name}"


# --- workstations with synthetic time ------------------------------------------------------


def open_workstation(root: Path, name: str, clock) -> AppContext:
    """A second (third...) workstation: its own database, the same synthetic patient T1001
    added there independently (so its patient row has another UUID), its own nurse."""
    from datetime import date

    from ccm_timer.services.context import open_app
    from ccm_timer.services.people import clinicians, patients

    home = root / name
    home.mkdir(parents=True)
    (home / "settings.toml").write_text(
        f'clinic_timezone = "America/New_York"\nworkstation = "{name}"\n', encoding="utf-8")
    ctx = open_app(str(home), clock=clock)
    clinicians.add(ctx, name=f"Nurse {name}", credential="RN", role="clinical_staff",
                   default=True)
    patients.add(ctx, mrn="T1001", name="Testpatient, Alma", program="CCM",
                 consent=date(2026, 1, 5))
    return ctx


def add_minutes(ctx: AppContext, start, minutes: float, mrn: str = "T1001",
                category: str = "phone-call"):
    from datetime import timedelta

    from ccm_timer.services.timing import entries

    return entries.add_manual(ctx, patient_mrn=mrn, category_slug=category, start=start,
                              end=start + timedelta(minutes=minutes))
