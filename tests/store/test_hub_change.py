"""Hub revision 0003, the change log pulls read, on a real PostgreSQL: a hub at 0002 is
upgraded with its rows, which are noted once; a workstation's login role fires the trigger
with its pushes and reads the log, but cannot write or forge notes in it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import ProgrammingError

from ccm_timer.services.delivery import hub, hub_pull, hub_schema, targets
from ccm_timer.store import hub_migrations as migrations
from ccm_timer.store import merge as records
from tests.fixtures.delivery import HUB_PASSWORD, add_minutes

NOV3 = datetime(2026, 11, 3, 13, 0, tzinfo=UTC)


def _engine(url: str, user: str = "postgres"):
    return create_engine(hub.secure_url(url.replace("postgres@", f"{user}@", 1))
                         .set(password=HUB_PASSWORD))


def _notes(engine) -> list[tuple]:
    with engine.connect() as conn:
        return conn.execute(text("SELECT tbl, workstation FROM hub_change ORDER BY seq")).all()


def test_a_hub_at_0002_is_upgraded_with_its_rows_noted_once(two, empty_hub_url):
    north, _ = two
    add_minutes(north, NOV3, 12)
    engine = _engine(empty_hub_url)
    try:
        with engine.begin() as conn:
            migrations.upgrade(conn, "0002")
        with engine.begin() as conn:  # a push as 0002 took it (no trigger yet)
            records.merge(conn, _rows(north), keep_audit=True)
        entries = _count(engine, "time_entry")
        assert entries == 1
        with engine.begin() as conn:
            migrations.upgrade(conn, "0003")
        with engine.connect() as conn:
            assert migrations.state(conn) == "0003"
        notes = _notes(engine)
        assert ("time_entry", "ws-north") in notes and ("patient", None) in notes
        assert len([n for n in notes if n[0] == "time_entry"]) == entries
        assert _count(engine, "time_entry") == entries  # the rows stay
    finally:
        engine.dispose()


def _rows(ctx) -> records.Rows:
    with ctx.read() as session:
        return records.collect_all(session.connection(), documents=False)


def _count(engine, table: str) -> int:
    with engine.connect() as conn:
        return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()


@pytest.mark.usefixtures("token_keyring")
def test_a_workstation_role_notes_its_pushes_and_pulls_but_cannot_forge_notes(two, hub_url):
    north, south = two
    login = "ws_pull_login"
    admin = _engine(hub_url)
    try:
        with admin.begin() as conn:
            conn.execute(text(f"CREATE ROLE {login} LOGIN PASSWORD '{HUB_PASSWORD}' "
                              f"IN ROLE {hub_schema.WORKSTATION_ROLE}"))
        as_workstation = hub_url.replace("postgres@", f"{login}@", 1)
        for ws in (north, south):
            targets.add(ws, "hub", kind="hub", url=as_workstation, secret=HUB_PASSWORD)
        add_minutes(north, NOV3, 12)
        for ws in (north, south):
            hub.push_target(ws, targets.get(ws, "hub"), force=True)
        assert ("time_entry", "ws-north") in _notes(admin)
        assert hub_pull.pull(south, targets.get(south, "hub")).entries == 1
        role = _engine(hub_url, login)
        try:
            for sql in ("INSERT INTO hub_change (tbl, row_id, txid) VALUES ('patient', 'x', 0)",
                        "DELETE FROM hub_change", "UPDATE hub_change SET txid = 0",
                        "SELECT nextval(pg_get_serial_sequence('hub_change', 'seq'))"):
                with pytest.raises(ProgrammingError, match="permission denied"):
                    with role.begin() as conn:
                        conn.execute(text(sql))
        finally:
            role.dispose()
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP OWNED BY {login}"))
            conn.execute(text(f"DROP ROLE {login}"))
        admin.dispose()
