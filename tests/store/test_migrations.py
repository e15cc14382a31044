"""Migrations: the head, a new database, backups, a newer database refused, the models and
the scripts in step. Every earlier revision upgraded with its records: test_migration_paths.py."""

import sqlite3
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text

from ccm_timer.errors import DatabaseError
from ccm_timer.services.context import open_app
from ccm_timer.store import migrate
from ccm_timer.store.engine import make_engine
from ccm_timer.store.local_tables import local_metadata


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


def test_entry_spans_are_filled_for_existing_entries(tmp_path: Path, home: Path):
    from datetime import UTC, datetime, timedelta

    from ccm_timer.services.people import clinicians, patients
    from ccm_timer.services.timing import entries

    ctx = open_app(str(home))
    clinicians.add(ctx, name="Avery Nurse", credential="RN", role="clinical_staff")
    patients.add(ctx, mrn="T1", name="Test, Ann")
    start = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
    entries.add_manual(ctx, patient_mrn="T1", category_slug="phone-call", start=start,
                       end=start + timedelta(minutes=21, microseconds=999_999))
    key = ctx.engine.ccm_key
    ctx.close()
    # Put the database back to how revision 0004 left it: no span triggers, no spans.
    engine = make_engine(home / "ccm-timer.db", key)
    with engine.begin() as conn:
        for name in [t for (t,) in conn.execute(text(  # 0015 the change log
                "SELECT name FROM sqlite_master WHERE name LIKE 'sync_change_%'"))]:
            conn.execute(text(f"DROP TRIGGER {name}"))
        conn.execute(text("DROP TABLE sync_change"))
        conn.execute(text("DROP TABLE hub_cursor"))
        conn.execute(text("DROP TABLE hub_live_timer"))
        conn.execute(text("DROP INDEX ix_time_entry_supersedes"))  # 0017
        conn.execute(text("DROP TABLE month_overlap"))  # 0016 the month overlaps
        for name in ("month_rollup_interval_insert", "month_rollup_interval_update",
                     "month_rollup_entry_insert", "month_rollup_entry_update",
                     "month_rollup_interval_delete", "month_rollup_entry_delete"):
            conn.execute(text(f"DROP TRIGGER {name}"))  # 0013 and 0014 the month rollup
        for table in ("month_rollup", "month_rollup_state", "month_rollup_dirty"):
            conn.execute(text(f"DROP TABLE {table}"))
        conn.execute(text("DROP TRIGGER interval_span_insert"))
        conn.execute(text("DROP TRIGGER interval_span_update"))
        conn.execute(text("DROP INDEX ix_time_entry_span_start"))
        conn.execute(text("DROP INDEX ix_time_entry_span_end"))
        for column in ("span_start", "span_end", "span_seconds"):
            conn.execute(text(f"ALTER TABLE time_entry DROP COLUMN {column}"))
        # ...and what the later revisions added: 0006 roster imports, 0007 evidence hashes,
        # 0008 bundle keys and conflicts, 0009 the clinical record, 0010 incident-to, 0011
        # credentials and duties.
        for table in ("care_plan_review", "care_plan_item", "patient_condition"):
            conn.execute(text(f"DROP TABLE {table}"))
        conn.execute(text("CREATE TABLE enrollment_0008 AS SELECT id, patient_id, program, "
                          "consent_date, consent_method, start_date, end_date FROM enrollment"))
        conn.execute(text("DROP TABLE enrollment"))
        conn.execute(text("ALTER TABLE enrollment_0008 RENAME TO enrollment"))
        conn.execute(text("DROP TABLE consent_document"))
        conn.execute(text("ALTER TABLE patient DROP COLUMN care_manager_id"))  # 0012
        conn.execute(text("ALTER TABLE patient DROP COLUMN qmb"))
        conn.execute(text("ALTER TABLE clinician DROP COLUMN incident_to"))  # 0010
        conn.execute(text("DROP TABLE credential"))  # 0011 sign-in
        conn.execute(text("ALTER TABLE clinician DROP COLUMN duties"))
        conn.execute(text("DROP TABLE roster_import_patient"))
        conn.execute(text("DROP TABLE roster_import"))
        conn.execute(text("DROP TABLE chain_head"))
        conn.execute(text("ALTER TABLE audit_event DROP COLUMN evidence"))
        conn.execute(text("DROP TABLE bundle_conflict"))  # 0008 signed bundles
        conn.execute(text("DROP TABLE bundle_key"))
        conn.execute(text("UPDATE alembic_version SET version_num = '0004'"))
    engine.dispose()

    ctx = open_app(str(home))
    try:
        with ctx.read() as s:
            row = s.exec(text("SELECT span_start, span_end, span_seconds FROM time_entry")).one()
        assert row[2] == 21 * 60 and row[0].startswith("2026-11-02T15:00:00")
    finally:
        ctx.close()


def test_the_migrations_build_exactly_the_models_tables(tmp_path: Path):
    """Every table, column and index a model declares comes from a migration, and nothing
    else: a new table (roster imports, bundle keys and conflicts) needs its revision."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    engine = make_engine(tmp_path / "new.db")
    migrate.upgrade(engine, tmp_path / "backups")
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn),
                                [SQLModel.metadata, local_metadata()]) == []
    engine.dispose()


def test_roster_import_tables_arrive_on_a_0005_database(tmp_path: Path, home: Path):
    engine = make_engine(home / "ccm-timer.db")
    migrate.upgrade(engine, tmp_path / "unused", revision="0005")
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO patient (id, mrn, family_name, given_name, active) "
            "VALUES ('0193aaaa000070008000000000000002', 'T1', 'Test', 'Ann', 1)"))
    engine.dispose()
    ctx = open_app(str(home))
    try:
        assert {"roster_import", "roster_import_patient"} <= set(
            migrate.table_names(ctx.engine))
        with ctx.read() as s:
            assert s.exec(text("SELECT mrn FROM patient")).one()[0] == "T1"
            assert s.exec(text("SELECT count(*) FROM roster_import")).one()[0] == 0
    finally:
        ctx.close()
