"""The clinic hub's own Alembic history (issue 19, point 4), on a real PostgreSQL: the models
and the migrations agree, HUB_HEAD is Alembic's head, an empty database is brought to it in
one transaction, and a hub made the old way (create_all and the ADDED_COLUMNS patch) is
adopted and stamped with its rows kept, not recreated."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text
from sqlmodel import SQLModel

from ccm_timer.services.delivery import hub
from ccm_timer.store import hub_migrations as migrations
from ccm_timer.store import models  # noqa: F401  (the tables a hub has)
from ccm_timer.store.hub_migrations.tables import hub_metadata
from tests.fixtures.delivery import HUB_PASSWORD


def _engine(url: str):
    return create_engine(hub.secure_url(url).set(password=HUB_PASSWORD))


def _scripts() -> ScriptDirectory:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations.LOCATION))
    return ScriptDirectory.from_config(cfg)


def test_hub_head_is_alembics_head_and_every_revision_is_known():
    scripts = _scripts()
    assert scripts.get_heads() == [migrations.HUB_HEAD]
    assert sorted(s.revision for s in scripts.walk_revisions()) == list(
        migrations.KNOWN_REVISIONS)


def test_the_models_and_the_hub_migrations_agree(empty_hub_url):
    engine = _engine(empty_hub_url)
    try:
        with engine.begin() as conn:
            migrations.upgrade(conn)
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={
                "compare_type": True, "version_table": migrations.VERSION_TABLE})
            # The models as the hub has them (org_id, MRN and slug unique per clinic) and
            # the hub's own tables: hub_migrations/tables.py declares the difference.
            diff = compare_metadata(context, hub_metadata(SQLModel.metadata))
        assert diff == []
    finally:
        engine.dispose()


def test_an_empty_database_is_brought_to_the_head_and_a_failed_upgrade_leaves_nothing(
        empty_hub_url):
    engine = _engine(empty_hub_url)
    try:
        with engine.connect() as conn:
            assert migrations.state(conn) is None
        try:
            with engine.begin() as conn:
                migrations.upgrade(conn)
                raise RuntimeError("cut off before the commit")
        except RuntimeError:
            pass
        with engine.connect() as conn:  # PostgreSQL's DDL is transactional
            assert migrations.state(conn) is None
            assert conn.execute(text("SELECT to_regclass('time_entry')")).scalar() is None
        with engine.begin() as conn:
            migrations.upgrade(conn)
        with engine.connect() as conn:
            assert migrations.state(conn) == migrations.HUB_HEAD
            assert conn.execute(text("SELECT to_regclass('workstation_push')")).scalar()
    finally:
        engine.dispose()


def test_a_hub_made_the_old_way_is_adopted_and_stamped_with_its_rows_kept(empty_hub_url):
    """The hub as open_engine made it before issue 19: create_all of the models (which 0001
    equals, by the test above), no version table; an older one lacked a column since
    added. Its rows stay and its tables are not made again."""
    engine = _engine(empty_hub_url)
    try:
        with engine.begin() as conn:
            SQLModel.metadata.create_all(conn)
            conn.execute(text("ALTER TABLE clinician DROP COLUMN incident_to"))
            conn.execute(text(
                "INSERT INTO clinician (id, name, credential, role, active, duties) "
                "VALUES ('0190f000-0000-7000-8000-000000000001', 'Nurse Old Hub', "
                "'RN', 'CLINICAL_STAFF', true, '')"))
            oid = conn.execute(text("SELECT 'clinician'::regclass::oid")).scalar()
        with engine.connect() as conn:
            assert migrations.state(conn) == ""  # made before migrations
        with engine.begin() as conn:
            migrations.upgrade(conn)
        with engine.connect() as conn:
            assert migrations.state(conn) == migrations.HUB_HEAD
            assert conn.execute(text("SELECT 'clinician'::regclass::oid")).scalar() == oid
            assert conn.execute(text(
                "SELECT name, incident_to FROM clinician")).all() == [("Nurse Old Hub", False)]
    finally:
        engine.dispose()
