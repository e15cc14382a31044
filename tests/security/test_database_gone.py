"""A used data folder whose database is missing or empty is refused, never set up afresh;
`ccm-timer restore` puts a verified backup back, moving whatever is there aside; and a new
or replaced database never pushes the good backups out (issue 13, defect 1)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import col, select

from ccm_timer.services.context import open_app
from ccm_timer.services.security import backups
from ccm_timer.services.timing import entries
from ccm_timer.store.models import AuditEvent
from tests.fixtures.cli import fingerprint
from tests.fixtures.clinic import setup_clinic


def _used_folder(home: Path, cli) -> Path:
    """A clinic with one entry and a backup taken after it, closed."""
    setup_clinic(home)
    done = cli("backup")
    assert done.returncode == 0, done.stderr
    return next((home / "backups").glob("manual-*.db"))


def _refused(result, state: str) -> None:
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert f"is {state}" in result.stderr and "was in use" in result.stderr
    assert "ccm-timer restore" in result.stderr and "nothing was created" in result.stderr


@pytest.mark.parametrize("how", ["deleted", "emptied"])
def test_a_used_folder_without_its_database_refuses_to_start(home, cli, how):
    _used_folder(home, cli)
    database = home / "ccm-timer.db"
    if how == "deleted":
        database.unlink()
    else:
        database.write_bytes(b"")
    before = fingerprint(home)
    state = "missing" if how == "deleted" else "empty (0 bytes)"
    for args in (("entry", "list"), ("status",), ("doctor",), ("start", "--patient", "T1001",
                                                                "--category", "phone-call")):
        _refused(cli(*args), state)
    assert fingerprint(home) == before  # nothing created: no database, no new backup
    assert database.exists() == (how == "emptied")


def test_restore_puts_a_verified_backup_back_and_moves_the_empty_one_aside(home, cli):
    backup = _used_folder(home, cli)
    (home / "ccm-timer.db").write_bytes(b"")
    done = cli("restore", str(backup))
    assert done.returncode == 0, done.stderr
    assert "Restored the database from" in done.stdout and "kept as" in done.stdout
    aside = list(home.glob("ccm-timer.db.replaced-*"))
    assert len(aside) == 1 and aside[0].stat().st_size == 0  # moved aside, never deleted
    listed = json.loads(cli("entry", "list", "--json").stdout)
    assert [e["patient"] for e in listed] == ["T1001"]
    ctx = open_app(str(home))
    try:
        with ctx.read() as session:
            actions = list(session.exec(select(AuditEvent.action).order_by(
                col(AuditEvent.seq))))
        assert actions[-2:] == ["database.restore", "read.entries"]  # then the listing
    finally:
        ctx.close()


def test_restore_refuses_a_damaged_backup_and_changes_nothing(home, cli, tmp_path):
    backup = _used_folder(home, cli)
    bad = tmp_path / "bad.db"
    data = bytearray(backup.read_bytes())
    data[4096 * 3 + 500] ^= 0x01
    bad.write_bytes(bytes(data))
    (home / "ccm-timer.db").unlink()
    before = fingerprint(home)
    done = cli("restore", str(bad))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "failed its integrity check" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert fingerprint(home) == before
    other = tmp_path / "other"
    other.mkdir()
    setup_clinic(other)  # a database of another folder: another key
    foreign = cli("restore", str(other / "ccm-timer.db"))
    assert foreign.returncode == 1 and "cannot be read with this data folder's key" in (
        foreign.stderr)
    assert fingerprint(home) == before


def test_a_new_folder_is_still_set_up(home, cli):
    assert sorted(p.name for p in home.iterdir()) == ["settings.toml"]
    done = cli("entry", "list")
    assert done.returncode == 0 and "No entries." in done.stdout
    assert (home / "ccm-timer.db").stat().st_size > 0


def test_a_replaced_database_never_pushes_the_good_backups_out(home, clock, tmp_path):
    """A database with fewer audit events than yesterday's backup is not the one that was
    backed up: today's backup of it is taken, but no older backup is removed."""
    setup_clinic(home)
    for _ in range(8):  # seven good daily backups
        clock.advance(timedelta(days=1))
        open_app(str(home), clock=clock).close()
    good = sorted(p.name for p in (home / "backups").glob("daily-*.db"))
    assert len(good) == backups.DAILY_KEEP
    ctx = open_app(str(home), clock=clock)
    key = ctx.protection.key
    ctx.close()
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    (fresh / "settings.toml").write_bytes((home / "settings.toml").read_bytes())
    open_app(str(fresh), key=key, clock=clock).close()  # a new, empty database, same key
    for name in ("ccm-timer.db", "ccm-timer.db-wal", "ccm-timer.db-shm"):
        (home / name).unlink(missing_ok=True)
    (home / "ccm-timer.db").write_bytes((fresh / "ccm-timer.db").read_bytes())
    clock.advance(timedelta(days=1))
    ctx = open_app(str(home), clock=clock)
    try:
        assert entries.list_entries(ctx) == []
    finally:
        ctx.close()
    kept = sorted(p.name for p in (home / "backups").glob("daily-*.db"))
    assert set(good) <= set(kept) and len(kept) == len(good) + 1
    assert any("fewer audit events" in n for n in ctx.notices)
