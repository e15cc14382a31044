"""The plain timer path against a kill inside its transaction, and the audit chain's head
kept outside the database: held to it after plain writes, never moved from a head that does
not match the chain (audit._may_advance's rule)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.fixtures.cli import run_cli
from tests.fixtures.keyring import KEYRING_ENV
from tests.fixtures.plain_timers import START, copy, edit, head_file, kept_head, make, newest, plain


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    return make(tmp_path_factory)


@pytest.fixture
def home(made, tmp_path) -> Path:
    return copy(made, tmp_path)


def _verify(home: Path) -> None:
    from ccm_timer.services.context import open_app
    from ccm_timer.services.security import audit

    ctx = open_app(str(home))
    try:
        report = audit.check(ctx)
        assert report.ok, report.problem
    finally:
        ctx.close()


def _waiting(pid: int) -> bool:
    """The process sleeps in SQLite's busy handler (nanosleep / clock_nanosleep)."""
    try:
        number = Path(f"/proc/{pid}/syscall").read_text().split()[0]
    except (OSError, IndexError):
        return False
    return number in ("35", "230")


def _sqlalchemy_mapped(pid: int) -> bool:
    return "sqlalchemy" in Path(f"/proc/{pid}/maps").read_text()


def _hold_write_lock(home: Path):
    """A second connection holding BEGIN IMMEDIATE (the marker renewed after it opened, so
    the start still trusts the files and takes the plain path)."""
    from ccm_timer import paths
    from ccm_timer.services import settings
    from ccm_timer.services.security import clean_close, keys
    from ccm_timer.store.connection import raw_connect, read_pragmas

    where = paths.resolve(str(home))
    key = keys.unlock(where, settings.load(where.settings_file), create=False).key
    conn = raw_connect(where.database, key)
    read_pragmas(conn)
    conn.execute("BEGIN IMMEDIATE")
    clean_close.remember_clean_close(where.database, datetime.now(UTC))
    return conn


def _spawn(home: Path, *argv: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "CCM_TIMER_PASSPHRASE"}
    env.update(KEYRING_ENV, CCM_TIMER_HOME=str(home), PYTHONUNBUFFERED="1")
    return subprocess.Popen([sys.executable, "-m", "ccm_timer", *argv], text=True, env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)


def _until(check, proc: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the command never got there"
        time.sleep(0.005)  # a poll, not a wait for time to pass


def test_a_start_killed_while_waiting_for_the_write_lock_leaves_nothing(home):
    before = newest(home)
    holder = _hold_write_lock(home)
    proc = _spawn(home, *START)
    try:
        _until(lambda: _waiting(proc.pid), proc)
        assert not _sqlalchemy_mapped(proc.pid)  # it is the plain path that waits
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
        holder.rollback()
        holder.close()
    assert edit(home, "SELECT count(*) FROM time_entry") == [(0,)]
    assert newest(home) == before and kept_head(home) == before
    code, full, out, _ = plain(home, *START)  # the next command works, on the plain path
    assert (code, full) == (0, False) and out.startswith("Started")
    _verify(home)


def test_a_start_that_said_started_is_on_disk_even_if_killed_at_once(home):
    holder = _hold_write_lock(home)
    proc = _spawn(home, *START)
    try:
        _until(lambda: _waiting(proc.pid), proc)
        holder.rollback()  # let it through, then kill it the moment it answers
        holder.close()
        line = proc.stdout.readline()
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert line.startswith("Started"), line
    assert edit(home, "SELECT state FROM time_entry") == [("RUNNING",)]
    # The next command may find the files changed since the marker: either path, it works.
    assert run_cli(home, "stop").returncode == 0
    _verify(home)


def test_plain_writes_keep_the_head_outside_and_audit_verify_holds_them_to_it(home):
    for argv in (START, ["pause"], ["resume"], ["stop"]):
        code, full, _, _ = plain(home, *argv)
        assert (code, full) == (0, False)
        assert kept_head(home) == newest(home)
    done = run_cli(home, "audit", "verify")
    assert done.returncode == 0, done.stderr
    _verify(home)


def _tamper(home: Path, head: dict) -> None:
    head_file(home).write_text(json.dumps(head), encoding="utf-8")


def test_a_head_outside_that_does_not_match_the_chain_is_not_moved(home):
    first = newest(home)
    for wrong in ({"seq": first["seq"], "hash": "0" * 64},  # altered
                  {"seq": first["seq"] + 5, "hash": first["hash"]}):  # ahead of the chain
        _tamper(home, wrong)
        code, full, _, _ = plain(home, *START)
        assert (code, full) == (0, False)  # the work is kept: only the head stays put
        assert kept_head(home) == wrong and newest(home)["seq"] > first["seq"]
        assert run_cli(home, "audit", "verify").returncode != 0
        assert plain(home, "stop")[:2] == (0, False) and kept_head(home) == wrong


def test_a_head_outside_that_lags_but_matches_moves_on(home):
    lagging = newest(home)
    assert plain(home, *START)[:2] == (0, False)
    _tamper(home, lagging)  # as a failed write_quietly leaves it
    assert plain(home, "stop")[:2] == (0, False)
    assert kept_head(home) == newest(home) != lagging
