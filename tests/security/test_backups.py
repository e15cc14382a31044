"""Backups through the SQLite backup API, encrypted with the database key, verified; daily
ones kept for seven days; no foreign file I/O on the database (reliability T07, R1.5)."""

from __future__ import annotations

import ast
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import sqlcipher3.dbapi2 as sqlcipher

from ccm_timer.services.context import open_app
from ccm_timer.services.security import backups
from ccm_timer.services.timing import entries
from tests.fixtures.clinic import setup_clinic

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "ccm_timer"


def _rows(path: Path, key: bytes, table: str) -> int:
    conn = sqlcipher.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
        assert conn.execute("PRAGMA cipher_integrity_check").fetchall() == []
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        conn.close()


def test_backup_out_is_encrypted_verified_and_never_overwrites(home, cli, tmp_path):
    setup_clinic(home)
    out = tmp_path / "copy.db"
    done = cli("backup", "--out", str(out), "--json")
    assert done.returncode == 0, done.stderr
    assert not out.read_bytes().startswith(b"SQLite format 3")
    assert not Path(f"{out}-wal").exists() and not Path(f"{out}-shm").exists()
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    ctx = open_app(str(home))
    key = ctx.protection.key
    ctx.close()
    assert _rows(out, key, "time_entry") == 1
    before = out.read_bytes()
    again = cli("backup", "--out", str(out))
    assert again.returncode == 1 and "already exists" in again.stderr
    assert out.read_bytes() == before
    missing = cli("backup", "--out", str(tmp_path / "nope" / "x.db"))
    assert missing.returncode == 1 and "does not exist" in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1


def test_a_daily_backup_at_open_and_seven_kept(home, clock):
    setup_clinic(home)
    manual = None
    for day in range(10):
        ctx = open_app(str(home), clock=clock)  # the command line and the tray open so
        try:
            if day == 0:
                manual = backups.take(ctx)
            assert not backups.due(ctx)
        finally:
            ctx.close()
        clock.advance(timedelta(days=1))
    daily = sorted(p.name for p in (home / "backups").glob("daily-*.db"))
    assert daily == [f"daily-2026-11-{d:02d}.db" for d in range(6, 13)]
    assert manual is not None and manual.exists()  # rotation leaves other backups alone


def test_no_daily_backup_of_a_database_just_created(ctx):
    assert list(ctx.paths.backups.glob("*.db")) == []


def test_backup_while_another_process_writes(clinic):
    """T07: the backup API copies a consistent snapshot while a writer commits."""
    writer = subprocess.Popen(
        [sys.executable, "-m", "tests.store.writer", str(clinic.paths.data), "Avery Nurse",
         "150", "0"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    taken = []
    try:
        while writer.poll() is None and len(taken) < 20:
            taken.append(backups.take(clinic))
    finally:
        out, err = writer.communicate(timeout=240)
    assert writer.returncode == 0, (out, err)
    assert len(taken) >= 2
    key = clinic.protection.key
    counts = [_rows(path, key, "time_entry") for path in taken]
    assert counts == sorted(counts)  # each copy is one committed state, never a torn one
    assert len(entries.list_entries(clinic)) == 150


FILE_CALLS = {"open", "read_bytes", "write_bytes", "copy", "copy2", "copyfile", "move",
              "rename", "replace", "unlink"}


def _offences(source: str, where: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import) and any(a.name == "sqlite3" for a in node.names):
            found.append(f"{where} imports sqlite3")
        if isinstance(node, ast.ImportFrom) and node.module == "sqlite3":
            found.append(f"{where} imports sqlite3")
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "attr", getattr(node.func, "id", ""))
        owner = ast.unparse(node.func.value) if isinstance(node.func, ast.Attribute) else ""
        target = " ".join([owner, *(ast.unparse(a) for a in node.args[:1])])
        if name in FILE_CALLS and ("database" in target or "ccm-timer.db" in target):
            found.append(f"{where}:{node.lineno} {name}({target})")
    return found


def test_the_static_check_finds_what_it_forbids():
    bad = ("import sqlite3\n"
           "data = ctx.paths.database.read_bytes()\n"
           "shutil.copy(paths.database, target)\n"
           "open(home / 'ccm-timer.db', 'rb')\n")
    assert len(_offences(bad, "bad.py")) == 4
    assert _offences("backup_database(ctx.engine, target)\n", "ok.py") == []


def test_one_sqlite_library_and_no_plain_file_io_on_the_database():
    """R1.5: the stdlib sqlite3 never shares a process with sqlcipher3 on our files, and
    nothing reads, copies or moves the database with plain file calls (closing any such
    handle would drop every SQLite lock this process holds on it)."""
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        offenders += _offences(path.read_text(encoding="utf-8"), str(path.relative_to(PACKAGE)))
    assert offenders == []



def test_a_copy_another_process_is_making_is_left_alone(clinic):
    """Two programs opened together (the tray and a command, or two writers) both find the
    day's backup due: each copies into a partial file of its own, so neither deletes the
    file the other is writing (which failed the other's copy with a disk I/O error)."""
    target = clinic.paths.backups / "daily-2026-11-03.db"
    theirs = [target.with_name(target.name + ".partial"),
              target.with_name(f".{target.name}.4242.partial")]
    for path in theirs:
        path.write_bytes(b"another process's copy in progress")
    backups.take(clinic, target)
    assert all(path.read_bytes() == b"another process's copy in progress" for path in theirs)
    assert _rows(target, clinic.protection.key, "time_entry") >= 0


def test_a_partial_copy_left_by_a_killed_program_goes_after_a_day(clinic):
    import os
    import time

    old = clinic.paths.backups / ".daily-2026-10-01.db.abc.partial"
    young = clinic.paths.backups / ".daily-2026-11-03.db.def.partial"
    for path in (old, young):
        path.write_bytes(b"x")
    os.utime(old, (time.time() - 2 * 86400,) * 2)
    backups.rotate(clinic.paths.backups)
    assert not old.exists() and young.exists()
