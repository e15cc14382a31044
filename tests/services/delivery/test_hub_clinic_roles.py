"""One clinic at a time through the hub owner's URL, and the change log's pruning (hub
revision 0005), on a real PostgreSQL: the owner's reports, `hub status`, `hub verify`,
conflicts and pulls see the clinic of the workstation they run on and no other; a login or
clinic key that does not match is refused; a pull whose cursor is older than a prune reads
its clinic whole and misses nothing. And no way round it for a login (revision 0006): no
temporary table, operator or group role of its own changes whose rows it sees."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from ccm_timer.services.delivery import bundle_conflicts, hub, hub_pull, targets
from tests.fixtures.delivery import HUB_PASSWORD, add_minutes, open_workstation
from tests.fixtures.hub_logins import drop_roles, login, owner, target_name

NOV3 = datetime(2026, 11, 3, 13, 0, tzinfo=UTC)
WORKSTATIONS = ("ws-north", "ws-south", "ws-east")


@pytest.fixture
def clinics(two, tmp_path, clock, hub_url):
    """ws-north and ws-south of one clinic, ws-east of another, each with its own login
    role and a T1001 of its own with time on it, pushed."""
    north, south = two
    east = open_workstation(tmp_path / "other-clinic", "ws-east", clock)
    login(north, hub_url)
    south.update_settings(clinic_id=north.settings.clinic_id)  # one clinic, one key
    login(south, hub_url)
    login(east, hub_url)
    for ws, minutes in ((north, 12), (south, 7), (east, 30)):
        add_minutes(ws, NOV3, minutes)
        hub.push_target(ws, targets.get(ws, target_name(ws)), force=True)
    yield north, south, east
    east.close()
    drop_roles(hub_url, *WORKSTATIONS)


def _as_owner(hub_url: str, ctx):
    return hub.open_engine(hub_url, HUB_PASSWORD, clinic=ctx.settings.clinic_id)


def _as_login(ctx):
    """The workstation's own login, through the hub target `login` gave it."""
    target = targets.get(ctx, target_name(ctx))
    return hub.open_engine(target.url, targets.get_secret(target.name),
                           clinic=ctx.settings.clinic_id)


def test_through_the_owner_s_url_each_clinic_sees_only_its_own_records(clinics, hub_url):
    north, _south, east = clinics
    for ctx, minutes, workstations in ((north, 12 + 7, ["ws-north", "ws-south"]),
                                       (east, 30, ["ws-east"])):
        engine = _as_owner(hub_url, ctx)
        try:
            seconds = hub.month_seconds(engine, "2026-11", "UTC")
            assert list(seconds) == ["T1001"]
            assert sum(seconds["T1001"].values()) == minutes * 60
            assert [p.workstation for p in hub.pushes(engine)] == workstations  # hub status
            assert [c.workstation for c in hub.verify_chains(engine)] == workstations
            with engine.connect() as conn:
                assert conn.execute(text("SELECT count(*) FROM patient")).scalar() == 1
                assert conn.execute(text("SELECT count(*) FROM hub_org")).scalar() == 1
        finally:
            engine.dispose()


def test_a_pull_through_the_owner_s_url_takes_its_clinic_s_minutes_only(
        clinics, hub_url, tmp_path, clock):
    north, *_ = clinics
    west = open_workstation(tmp_path / "owner", "ws-west", clock)
    try:
        west.update_settings(clinic_id=north.settings.clinic_id)
        targets.add(west, "hub", kind="hub", url=hub_url, secret=HUB_PASSWORD)
        hub.push_target(west, targets.get(west, "hub"), force=True)
        hub_pull.pull(west, targets.get(west, "hub"))
        with west.read() as session:
            spans = dict(session.connection().execute(text(
                "SELECT workstation, sum(span_seconds) FROM time_entry "
                "WHERE superseded_at IS NULL GROUP BY workstation")).all())
    finally:
        west.close()
    assert spans == {"ws-north": 12 * 60, "ws-south": 7 * 60}  # never ws-east's 30


def test_a_login_of_another_clinic_or_a_clinic_the_hub_lacks_is_refused(clinics, hub_url):
    north, _south, east = clinics
    north_login = targets.get(north, target_name(north))
    with pytest.raises(hub.HubError, match="belongs to another clinic"):
        hub.open_engine(north_login.url, targets.get_secret(target_name(north)),
                        clinic=east.settings.clinic_id)
    with pytest.raises(hub.HubError, match="not one of the clinic hub's yet"):
        hub.open_engine(hub_url, HUB_PASSWORD, clinic="9d6c2f0e-0000-4000-8000-000000000000")
    engine = hub.open_engine(north_login.url, targets.get_secret(target_name(north)),
                             clinic=north.settings.clinic_id)
    engine.dispose()


def test_two_clinics_may_record_the_same_conflict_key(clinics, hub_url):
    north, _south, east = clinics
    for ctx in (north, east):
        engine = _as_owner(hub_url, ctx)
        try:
            with engine.begin() as conn:
                conn.execute(text(
                    "INSERT INTO bundle_conflict (id, recorded_at, bundle, sender, kind, "
                    "entity, entity_id, summary, incoming) VALUES (gen_random_uuid(), "
                    "'2026-11-04T00:00:00.000000Z', 'push:ws-x', 'ws-x', 'person', "
                    "'patient', 'p1', 'synthetic', '{}')"))
            assert len(bundle_conflicts.on_hub(engine)) == 1  # its own clinic's
        finally:
            engine.dispose()


def test_a_pull_older_than_the_change_log_s_prune_reads_its_clinic_whole(clinics, hub_url):
    north, south, _east = clinics
    hub_pull.pull(north, targets.get(north, target_name(north)))
    add_minutes(south, NOV3 + timedelta(hours=2), 5)  # noted after north's cursor
    hub.push_target(south, targets.get(south, target_name(south)), force=True)
    engine = owner(hub_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE hub_change SET noted_at = now() - interval '90 days'"))
        with engine.begin() as conn:  # what a push does daily, with no day to wait
            assert conn.execute(text(
                "SELECT ccm_hub_prune_notes(interval '60 days', interval '0 seconds')")
            ).scalar() > 0
            assert conn.execute(text("SELECT count(*) FROM hub_change")).scalar() == 0
    finally:
        engine.dispose()
    report = hub_pull.pull(north, targets.get(north, target_name(north)))
    assert report.entries == 1  # south's new entry, its note pruned
    with north.read() as session:
        spans = dict(session.connection().execute(text(
            "SELECT workstation, sum(span_seconds) FROM time_entry "
            "WHERE superseded_at IS NULL GROUP BY workstation")).all())
    assert spans == {"ws-north": 12 * 60, "ws-south": 12 * 60}
    assert hub_pull.pull(north, targets.get(north, target_name(north))).entries == 0


def test_a_workstation_may_ask_for_the_daily_prune_but_not_choose_what_goes(
        clinics, hub_url):
    north, *_ = clinics
    engine = _as_login(north)
    try:
        with engine.begin() as conn:
            assert conn.execute(text("SELECT ccm_hub_prune()")).scalar() == 0  # a day
        with pytest.raises(DBAPIError, match="permission denied"), engine.begin() as conn:
            conn.execute(text("SELECT ccm_hub_prune_notes(interval '0 s', interval '0 s')"))
        with pytest.raises(DBAPIError, match="permission denied"), engine.begin() as conn:
            conn.execute(text("DELETE FROM hub_change"))
    finally:
        engine.dispose()


@contextmanager
def _temp_allowed(hub_url: str, role: str):
    """What `hub init` takes away from every role (a temporary table named as a hub table
    is found first by PostgreSQL), given back to one for a while, to try the functions'
    own guard (taken back after: a role holding a grant cannot be dropped)."""
    engine = owner(hub_url)
    try:
        with engine.begin() as conn:
            db = conn.execute(text("SELECT current_database()")).scalar_one()
            conn.execute(text(f'GRANT TEMPORARY ON DATABASE "{db}" TO {role}'))
        yield
    finally:
        with engine.begin() as conn:
            conn.execute(text(f'REVOKE TEMPORARY ON DATABASE "{db}" FROM {role}'))
        engine.dispose()


def test_a_workstation_login_may_not_make_temporary_tables(clinics, hub_url):
    north, *_ = clinics
    engine = _as_login(north)
    try:
        with pytest.raises(DBAPIError, match="permission denied"), engine.begin() as conn:
            conn.execute(text("CREATE TEMP TABLE hub_workstation_role (role varchar)"))
    finally:
        engine.dispose()


def test_a_table_of_the_hub_s_names_in_a_session_changes_neither_clinic_nor_prune(
        clinics, hub_url):
    """Row-level security asks ccm_hub_org() whose rows a role sees, and a push's prune
    records what it cut: both read the hub's tables by their schema, never a temporary
    table a workstation made with the same name (tried with TEMPORARY given back)."""
    north, *_ = clinics
    engine = _as_login(north)
    try:
        with _temp_allowed(hub_url, "ccm_ws_ws_north"), engine.begin() as conn:
            conn.execute(text("CREATE TEMP TABLE hub_workstation_role (role varchar, "
                              "org_id integer, workstation varchar)"))
            conn.execute(text("INSERT INTO hub_workstation_role "
                              "VALUES (current_user, 2, 'ws-east')"))
            conn.execute(text("CREATE TEMP TABLE hub_change_pruned (id integer, "
                              "below_txid bigint, pruned_at timestamptz)"))
            conn.execute(text("INSERT INTO hub_change_pruned VALUES (1, 0, '2000-01-01')"))
            assert conn.execute(text("SELECT ccm_hub_org()")).scalar() == 1
            assert conn.execute(text("SELECT ccm_hub_ws()")).scalar() == "ws-north"
            assert conn.execute(text("SELECT count(*) FROM patient")).scalar() == 1
            assert conn.execute(text("SELECT ccm_hub_prune()")).scalar() == 0  # its day
    finally:
        engine.dispose()


def test_hub_init_records_the_clinic_s_role_anew_after_a_restore(clinics, hub_url):
    """A hub restored into another database has another oid, so its clinics' roles other
    names: `hub init` records the new one where the old one was, and the owner's URL works
    again for that clinic."""
    north, *_ = clinics
    engine = owner(hub_url)
    try:
        with engine.begin() as conn:  # the name the database had before the restore
            conn.execute(text("UPDATE hub_clinic_role SET role = 'ccm_clinic_1_1' "
                              "WHERE org_id = 1"))
    finally:
        engine.dispose()
    hub.init_hub(hub_url, HUB_PASSWORD, clinic_id=north.settings.clinic_id)
    engine = _as_owner(hub_url, north)
    try:
        assert sum(hub.month_seconds(engine, "2026-11", "UTC")["T1001"].values()) == 19 * 60
    finally:
        engine.dispose()


def test_a_login_that_takes_on_the_workstations_group_sees_and_writes_nothing(
        clinics, hub_url):
    """Every login is a member of ccm_hub_workstation, so it may SET ROLE to it: the group
    itself belongs to no clinic (not the first one, as an unlisted role once did)."""
    _north, _south, east = clinics  # ws-east: the second clinic's
    engine = _as_login(east)
    try:
        with engine.begin() as conn:
            conn.execute(text("SET ROLE ccm_hub_workstation"))
            assert conn.execute(text("SELECT ccm_hub_org()")).scalar() is None
            for table in ("patient", "time_entry", "hub_change", "hub_org"):
                assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 0
        with pytest.raises(DBAPIError), engine.begin() as conn:
            conn.execute(text("SET ROLE ccm_hub_workstation"))
            conn.execute(text("INSERT INTO patient (id, mrn, family_name, given_name, active) "
                              "VALUES (gen_random_uuid(), 'T9999', 'Forged', 'Row', true)"))
    finally:
        engine.dispose()


def test_an_operator_of_a_login_s_own_does_not_change_its_clinic(clinics, hub_url):
    """A schema any role may create in (a database upgraded from PostgreSQL 14 keeps one)
    must not let a login's own `=` decide whose rows it sees (one that never matches made
    the login unlisted, so the first clinic's): the functions use pg_catalog's."""
    _north, _south, east = clinics  # the second clinic's
    engine = owner(hub_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE SCHEMA open_to_all"))
            conn.execute(text("GRANT CREATE, USAGE ON SCHEMA open_to_all TO PUBLIC"))
        login_engine = _as_login(east)
        try:
            with login_engine.begin() as conn:
                own = conn.execute(text("SELECT ccm_hub_org()")).scalar()
                conn.execute(text("CREATE FUNCTION open_to_all.never(varchar, name) RETURNS "
                                  "boolean LANGUAGE sql IMMUTABLE AS 'SELECT false'"))
                conn.execute(text("CREATE OPERATOR open_to_all.= (LEFTARG = varchar, "
                                  "RIGHTARG = name, FUNCTION = open_to_all.never)"))
                conn.execute(text("SET search_path = open_to_all, public"))
                assert own != 1 and conn.execute(text("SELECT ccm_hub_org()")).scalar() == own
                assert conn.execute(text("SELECT ccm_hub_ws()")).scalar() == "ws-east"
                assert {r[0] for r in conn.execute(text("SELECT org_id FROM patient"))} == {own}
        finally:
            login_engine.dispose()
    finally:
        with engine.begin() as conn:  # the login's objects with it (else it cannot be dropped)
            conn.execute(text("DROP SCHEMA open_to_all CASCADE"))
        engine.dispose()
