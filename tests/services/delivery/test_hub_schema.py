"""The hub's revision and roles (issue 19, points 4 and 7), on a real PostgreSQL: a hub
older or newer than this version, or one never set up, is refused in one sentence with
nothing written; `hub init` run twice changes nothing; the workstations' group role pushes
but may not delete or change tables; each push is recorded for `hub status`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from ccm_timer.services.delivery import hub, hub_schema
from ccm_timer.store import hub_migrations as migrations
from tests.fixtures.delivery import HUB_PASSWORD, add_minutes

NOV3 = datetime(2026, 11, 3, 13, 0, tzinfo=UTC)
OLDER = ("The clinic hub's tables are older than this version of CCM Timer; an administrator "
         "runs `ccm-timer hub init URL` to upgrade it.")
NEWER = "This workstation is older than the clinic hub; update CCM Timer here, then try again."


def _sql(url: str, sql: str, user: str = "postgres") -> list[tuple]:
    engine = hub._engine(url.replace("postgres@", f"{user}@", 1), HUB_PASSWORD, 10)
    try:
        with engine.begin() as conn:
            result = conn.execute(text(sql))
            return [tuple(r) for r in result] if result.returns_rows else []
    finally:
        engine.dispose()


def _written(url: str) -> list[tuple]:
    return _sql(url, "SELECT (SELECT count(*) FROM time_entry), "
                     "(SELECT count(*) FROM workstation_push)")


@pytest.mark.parametrize(("revision", "words"), [("0001", OLDER), ("0099", NEWER)])
def test_a_hub_older_or_newer_is_refused_in_words_with_nothing_written(
        two, hub_url, revision, words):
    ws1, _ = two
    add_minutes(ws1, NOV3, 12)
    _sql(hub_url, f"UPDATE {migrations.VERSION_TABLE} SET version_num = '{revision}'")
    with pytest.raises(hub.HubError) as caught:
        hub.push(ws1, hub_url, HUB_PASSWORD)
    assert str(caught.value) == words
    assert _written(hub_url) == [(0, 0)]
    if revision == "0099":  # hub init leaves a newer hub alone, and says why
        with pytest.raises(hub.HubError, match="update CCM Timer here"):
            hub.init_hub(hub_url, HUB_PASSWORD)
        assert _sql(hub_url, f"SELECT version_num FROM {migrations.VERSION_TABLE}") == [
            ("0099",)]


def test_a_database_never_set_up_is_refused_and_left_empty(two, empty_hub_url):
    ws1, _ = two
    with pytest.raises(hub.HubError) as caught:
        hub.push(ws1, empty_hub_url, HUB_PASSWORD)
    assert str(caught.value) == ("The clinic hub holds no CCM Timer tables yet; an "
                                 "administrator runs `ccm-timer hub init URL` to set it up.")
    assert _sql(empty_hub_url, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
                ) == [(0,)]


_GRANTS = ("SELECT table_name, privilege_type FROM information_schema.role_table_grants "
           f"WHERE grantee = '{hub_schema.WORKSTATION_ROLE}' ORDER BY 1, 2")


def test_hub_init_twice_changes_nothing(empty_hub_url):
    first = hub.init_hub(empty_hub_url, HUB_PASSWORD)
    assert (first.before, first.after, first.changed) == (None, migrations.HUB_HEAD, True)
    assert first.sentence().startswith(
        f"Made the clinic hub's tables (revision {migrations.HUB_HEAD}).")
    grants = _sql(empty_hub_url, _GRANTS)
    assert ("time_entry", "INSERT") in grants and ("time_entry", "DELETE") not in grants
    again = hub.init_hub(empty_hub_url, HUB_PASSWORD)
    assert (again.before, again.changed) == (migrations.HUB_HEAD, False)
    assert again.sentence().startswith(
        f"The clinic hub is already at revision {migrations.HUB_HEAD}; nothing changed.")
    assert _sql(empty_hub_url, _GRANTS) == grants


def test_a_workstation_role_pushes_and_reports_but_cannot_delete_or_drop(two, hub_url):
    ws1, _ = two
    add_minutes(ws1, NOV3, 25)
    login = "ws_north_login"
    _sql(hub_url, f"DO $$ BEGIN CREATE ROLE {login} LOGIN PASSWORD '{HUB_PASSWORD}' IN ROLE "
                  f"{hub_schema.WORKSTATION_ROLE}; EXCEPTION WHEN duplicate_object THEN NULL; "
                  "END $$")
    as_workstation = hub_url.replace("postgres@", f"{login}@", 1)
    hub.push(ws1, as_workstation, HUB_PASSWORD)
    engine = hub.open_engine(as_workstation, HUB_PASSWORD)
    try:
        assert hub.month_seconds(engine, "2026-11", "America/New_York")["T1001"]
        assert [c.ok for c in hub.verify_chains(engine)] == [True]
    finally:
        engine.dispose()
    for forbidden in ("DELETE FROM time_entry", "TRUNCATE audit_event",
                      "DROP TABLE time_entry", "CREATE TABLE stolen (x int)",
                      "ALTER TABLE patient ADD COLUMN x int",
                      f"UPDATE {migrations.VERSION_TABLE} SET version_num = '0001'"):
        with pytest.raises(Exception, match="permission denied|must be owner"):
            _sql(hub_url, forbidden, user=login)
    assert _sql(hub_url, "SELECT count(*) FROM time_entry") == [(1,)]


def test_each_push_is_recorded_for_hub_status(two, hub_url, clock):
    ws1, ws2 = two
    add_minutes(ws1, NOV3, 10)
    add_minutes(ws1, NOV3 + timedelta(hours=1), 10)
    add_minutes(ws2, NOV3, 5)
    hub.push(ws1, hub_url, HUB_PASSWORD)
    north_first = ws1.now()
    clock.advance(timedelta(minutes=30))
    hub.push(ws2, hub_url, HUB_PASSWORD)
    south = ws2.now()
    clock.advance(timedelta(minutes=30))
    hub.push(ws1, hub_url, HUB_PASSWORD)  # nothing new, still a push
    north = ws1.now()
    engine = hub.open_engine(hub_url, HUB_PASSWORD)
    try:
        found = hub.pushes(engine)
    finally:
        engine.dispose()
    assert [(p.workstation, p.last_push_at, p.pushes, p.entries) for p in found] == [
        ("ws-north", north, 2, 2), ("ws-south", south, 1, 1)]
    assert north > north_first
    now = north + timedelta(minutes=5)
    assert [p.lag_seconds(now) for p in found] == [300, 2100]
    assert found[1].to_dict(now)["lag_seconds"] == 2100


def test_an_owner_of_the_schema_only_is_told_what_the_database_s_owner_must_take_away(
        empty_hub_url):
    """Only a database's owner can take TEMPORARY from PUBLIC; `hub init` by an owner of the
    hub's schema alone says so, naming the statement (the functions resist such tables
    anyway: hub revision 0006), and a superuser's leaves nothing to say."""
    db = empty_hub_url.rsplit("/", 1)[1]
    _sql(empty_hub_url, f"CREATE ROLE hubkeeper LOGIN CREATEROLE PASSWORD '{HUB_PASSWORD}'")
    try:
        _sql(empty_hub_url, "CREATE SCHEMA hubkeeper AUTHORIZATION hubkeeper")  # "$user"
        made = hub.init_hub(empty_hub_url.replace("postgres@", "hubkeeper@", 1), HUB_PASSWORD)
        assert made.after == migrations.HUB_HEAD
        assert made.sentence().endswith(
            "Every role may still make temporary tables in this database, which only its "
            f"owner can take away: they run `REVOKE TEMPORARY ON DATABASE {db} FROM PUBLIC`.")
        assert "temporary" not in hub.init_hub(empty_hub_url, HUB_PASSWORD).sentence()
    finally:
        _sql(empty_hub_url, "DROP SCHEMA hubkeeper CASCADE")
        _sql(empty_hub_url, "DROP OWNED BY hubkeeper")
        _sql(empty_hub_url, "DROP ROLE hubkeeper")
