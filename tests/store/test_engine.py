import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError

from ccm_timer.store import migrate
from ccm_timer.store.engine import check_engine, make_engine, read_session, write_session


@pytest.fixture
def engine(tmp_path: Path):
    eng = make_engine(tmp_path / "t.db")
    migrate.upgrade(eng, tmp_path / "backups")
    yield eng
    eng.dispose()


def test_pragmas_are_read_back(engine):
    found = check_engine(engine)
    assert found["journal_mode"] == "wal"
    assert found["synchronous"] == 2
    assert found["foreign_keys"] == 1
    assert found["busy_timeout"] >= 5000
    assert found["sqlcipher_version"]


def test_writes_begin_immediate_and_reads_deferred(engine):
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute",
                 lambda conn, cur, stmt, *a: seen.append(stmt))
    with write_session(engine) as s:
        s.exec(text("SELECT 1"))
    with read_session(engine) as s:
        s.exec(text("SELECT 1"))
    assert seen[0] == "BEGIN IMMEDIATE"
    assert seen[2] == "BEGIN DEFERRED"


BEAT = "INSERT INTO heartbeat VALUES (:ws, '2026-01-01T00:00:00.000000Z', 1, '', 1)"


def test_write_is_committed_on_exit_and_rolled_back_on_error(engine, tmp_path):
    with write_session(engine) as s:
        s.exec(text(BEAT), params={"ws": "a"})
    with pytest.raises(RuntimeError):
        with write_session(engine) as s:
            s.exec(text(BEAT), params={"ws": "b"})
            raise RuntimeError("boom")
    # Read through a different library entirely: it is on disk, not only in our process.
    with sqlite3.connect(tmp_path / "t.db") as raw:
        assert [r[0] for r in raw.execute("SELECT workstation FROM heartbeat")] == ["a"]


def test_foreign_keys_enforced(engine):
    with pytest.raises(IntegrityError):
        with write_session(engine) as s:
            s.exec(text(
                "INSERT INTO enrollment (id, patient_id, program) VALUES ('x', 'nope', 'CCM')"
            ))


def test_audit_rows_cannot_be_changed_or_deleted(ctx):
    from ccm_timer.services.people import clinicians

    clinicians.add(ctx, name="Avery Nurse", credential="RN", role="clinical_staff")
    for sql in ("UPDATE audit_event SET actor = 'x'", "DELETE FROM audit_event"):
        with pytest.raises(Exception, match="append-only"):
            with write_session(ctx.engine) as s:
                s.exec(text(sql))
