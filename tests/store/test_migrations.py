import sqlite3
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text

from ccm_timer.services.context import open_app
from ccm_timer.store import migrate
from ccm_timer.store.engine import DatabaseError, make_engine


def test_schema_head_is_alembics_head():
    cfg = Config()
    cfg.set_main_option("script_location", str(migrate.MIGRATIONS))
    script = ScriptDirectory.from_config(cfg)
    assert script.get_current_head() == migrate.SCHEMA_HEAD
    assert set(migrate.KNOWN_REVISIONS) == {r.revision for r in script.walk_revisions()}


def test_initial_migration_builds_an_empty_database(tmp_path: Path):
    engine = make_engine(tmp_path / "new.db")
    assert migrate.upgrade(engine, tmp_path / "backups") is None  # nothing to back up
    assert {"time_entry", "interval", "audit_event", "heartbeat"} <= set(
        migrate.table_names(engine)
    )
    assert migrate.current_revision(engine) == migrate.SCHEMA_HEAD


def test_older_database_is_backed_up_then_migrated(tmp_path: Path, home: Path):
    db = home / "ccm-timer.db"
    engine = make_engine(db)
    migrate.upgrade(engine, tmp_path / "unused", revision="0001")
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO clinician (id, name, credential, role, active) "
            "VALUES ('0193aaaa000070008000000000000001', 'Old Nurse', 'RN', 'CLINICAL_STAFF', 1)"
        ))
    engine.dispose()

    ctx = open_app(str(home))  # startup migrates
    try:
        assert migrate.current_revision(ctx.engine) == migrate.SCHEMA_HEAD
        with ctx.read() as s:
            assert s.exec(text("SELECT name FROM clinician")).one()[0] == "Old Nurse"
            s.exec(text("SELECT recovered_at FROM time_entry"))  # the new column exists
    finally:
        ctx.close()
    backups = list((home / "backups").glob("pre-migration-0001-*.db"))
    assert len(backups) == 1
    with sqlite3.connect(backups[0]) as raw:  # a complete, readable copy of the old schema
        assert raw.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)
        assert raw.execute("SELECT count(*) FROM clinician").fetchone() == (1,)


def test_newer_database_is_refused_untouched(tmp_path: Path):
    engine = make_engine(tmp_path / "future.db")
    migrate.upgrade(engine, tmp_path)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    before = (tmp_path / "future.db").read_bytes()
    engine = make_engine(tmp_path / "future.db")
    with pytest.raises(DatabaseError, match="newer version"):
        migrate.upgrade(engine, tmp_path)
    engine.dispose()
    assert (tmp_path / "future.db").read_bytes() == before
