"""Least privilege on the clinic hub (issue 19, point 5), on a real PostgreSQL: each
workstation pushes and pulls with a login role of its own (`hub add-workstation`); row-level
security lets it read its clinic's rows and write only its own; two clinics sharing one hub
each keep their own patient T1001."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from ccm_timer.errors import UserError
from ccm_timer.services.delivery import hub, hub_pull, hub_roles, targets
from tests.fixtures.delivery import HUB_PASSWORD, add_minutes, open_workstation

NOV3 = datetime(2026, 11, 3, 13, 0, tzinfo=UTC)
ADMIN = "Avery Admin"


def _role_url(hub_url: str, role: str) -> str:
    return hub_url.replace("postgresql://postgres@", f"postgresql://{role}@")


def _login(ctx, hub_url: str, name: str | None = None) -> tuple[str, str]:
    """The workstation's own hub role (made as an administrator would) and its target."""
    password = hub_roles.new_password()
    added = hub_roles.add_workstation(ctx, ADMIN, hub_url, HUB_PASSWORD, name or ctx.workstation,
                                      password)
    url = _role_url(hub_url, added.role)
    # A target's password is kept in the keyring by the target's name, which these
    # workstations share in one test: a name each.
    targets.add(ctx, _target(ctx), kind="hub", url=url, secret=password)
    return url, password


def _target(ctx) -> str:
    return f"hub-{ctx.workstation}"


def _as(url: str, password: str):
    return create_engine(hub.secure_url(url).set(password=password))


def _owner(hub_url: str):
    return _as(hub_url, HUB_PASSWORD)


@pytest.fixture
def clinics(two, tmp_path, clock, hub_url):
    """ws-north and ws-south of one clinic and ws-east of another, each with its own role,
    each with a patient T1001 of its own and time on them, pushed."""
    north, south = two
    east = open_workstation(tmp_path / "other-clinic", "ws-east", clock)
    logins = {"ws-north": _login(north, hub_url)}
    south.update_settings(clinic_id=north.settings.clinic_id)  # one clinic, one key
    logins["ws-south"] = _login(south, hub_url)
    logins["ws-east"] = _login(east, hub_url)
    for ws, minutes in ((north, 12), (south, 7), (east, 30)):
        add_minutes(ws, NOV3, minutes)
        hub.push_target(ws, targets.get(ws, _target(ws)), force=True)
    yield north, south, east, logins
    east.close()
    _drop_roles(hub_url)


def _drop_roles(hub_url: str) -> None:
    """Login roles belong to the server, not to the test's database: dropped after."""
    owner = _owner(hub_url)
    with owner.begin() as conn:
        for role in ("ccm_ws_ws_north", "ccm_ws_ws_south", "ccm_ws_ws_east"):
            conn.execute(text(f"DROP ROLE IF EXISTS {role}"))
    owner.dispose()


def test_two_clinics_keep_their_own_t1001_and_a_workstation_sees_only_its_clinic(
        clinics, hub_url):
    north, south, east, logins = clinics
    assert north.settings.clinic_id and north.settings.clinic_id != east.settings.clinic_id
    owner = _owner(hub_url)
    with owner.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM patient WHERE mrn = 'T1001'")
                            ).scalar() == 2
        orgs = dict(conn.execute(text("SELECT workstation, org_id FROM time_entry")).all())
    assert orgs["ws-north"] == orgs["ws-south"] != orgs["ws-east"]
    for name, month_minutes in (("ws-south", 19), ("ws-east", 30)):
        engine = _as(*logins[name])
        try:
            with engine.connect() as conn:
                assert conn.execute(text("SELECT count(*) FROM patient")).scalar() == 1
                spans = conn.execute(text("SELECT sum(span_seconds) FROM time_entry "
                                          "WHERE superseded_at IS NULL")).scalar()
                assert spans == month_minutes * 60
                assert conn.execute(text("SELECT count(*) FROM hub_change WHERE tbl = "
                                         "'patient'")).scalar() == 1
                assert conn.execute(text("SELECT count(*) FROM hub_workstation_role")
                                    ).scalar() == 1  # its own row only
        finally:
            engine.dispose()
    owner.dispose()


def test_b_cannot_change_a_s_entry_nor_write_as_a_nor_move_a_row_to_another_clinic(
        clinics, hub_url):
    _north, _south, _east, logins = clinics
    engine = _as(*logins["ws-south"])
    try:
        with engine.begin() as conn:
            changed = conn.execute(text(
                "UPDATE time_entry SET note = 'changed by south' "
                "WHERE workstation = 'ws-north'")).rowcount
            assert changed == 0
        for statement in (
                "UPDATE time_entry SET org_id = 999 WHERE workstation = 'ws-south'",
                "UPDATE time_entry SET workstation = 'ws-north' WHERE workstation = 'ws-south'",
                "INSERT INTO chain_head (chain, workstation, seq, hash, pushed_at) VALUES "
                "('forged', 'ws-north', 1, 'x', '2026-11-03T13:00:00.000000+00:00')",
                "DELETE FROM time_entry"):
            with pytest.raises(DBAPIError):
                with engine.begin() as conn:
                    conn.execute(text(statement))
    finally:
        engine.dispose()
    owner = _owner(hub_url)
    with owner.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM time_entry WHERE note = "
                                 "'changed by south'")).scalar() == 0
        assert conn.execute(text("SELECT count(DISTINCT org_id) FROM time_entry WHERE "
                                 "workstation <> 'ws-east'")).scalar() == 1
        assert conn.execute(text("SELECT count(*) FROM chain_head WHERE chain = 'forged'")
                            ).scalar() == 0
    owner.dispose()


def test_a_workstation_pushing_with_another_s_role_is_refused_and_nothing_goes_in(
        clinics, hub_url):
    north, _south, _east, logins = clinics
    add_minutes(north, NOV3 + timedelta(hours=2), 5)
    south_url, south_password = logins["ws-south"]
    with pytest.raises(UserError):
        hub.push(north, south_url, south_password)
    owner = _owner(hub_url)
    with owner.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM time_entry WHERE workstation = "
                                 "'ws-north'")).scalar() == 1
    owner.dispose()


def test_pulls_bring_the_clinic_s_minutes_and_not_the_other_clinic_s(clinics):
    north, south, east, _logins = clinics
    report = hub_pull.pull(south, targets.get(south, _target(south)))
    assert report is not None
    with south.read() as session:
        conn = session.connection()
        spans = dict(conn.execute(text(
            "SELECT workstation, sum(span_seconds) FROM time_entry "
            "WHERE superseded_at IS NULL GROUP BY workstation")).all())
    assert spans == {"ws-north": 12 * 60, "ws-south": 7 * 60}


def test_a_role_name_of_another_clinic_or_workstation_is_refused_and_a_rerun_rotates(
        clinics, hub_url):
    north, _south, east, logins = clinics
    with pytest.raises(UserError, match="another clinic or workstation"):
        hub_roles.add_workstation(east, ADMIN, hub_url, HUB_PASSWORD, "ws-north", "p4ssword-east")
    old_url, old_password = logins["ws-north"]
    again = hub_roles.add_workstation(north, ADMIN, hub_url, HUB_PASSWORD, "ws-north", "n3w-pass")
    assert not again.new
    with pytest.raises(DBAPIError):
        _as(old_url, old_password).connect()
    with _as(old_url, "n3w-pass").connect() as conn:
        assert conn.execute(text("SELECT ccm_hub_ws()")).scalar() == "ws-north"


def test_the_scram_verifier_is_postgresqls_and_no_password_reaches_the_audit_trail(
        clinics):
    north, *_ = clinics
    with north.read() as session:
        events = session.connection().execute(text(
            "SELECT after FROM audit_event WHERE action = 'hub.add_workstation'")).all()
    assert events and all("ccm_ws_ws_north" in e[0] for e in events)
    password = targets.get_secret(_target(north))
    with north.read() as session:  # the role's password is in no event
        assert not session.connection().execute(text(
            "SELECT count(*) FROM audit_event WHERE after LIKE :p"), {"p": f"%{password}%"}
            ).scalar()
    verifier = hub_roles.scram_verifier("pencil", b"\x00" * 16)
    assert verifier.startswith("SCRAM-SHA-256$4096:AAAAAAAAAAAAAAAAAAAAAA==$")
    with pytest.raises(UserError):
        hub_roles.role_name("ws north; DROP ROLE x")


def test_add_workstation_off_loopback_asks_for_a_checked_certificate(two):
    north, _ = two
    with pytest.raises(hub.HubError, match="certificate checked"):
        hub_roles.add_workstation(north, ADMIN, "postgresql://postgres@hub.example.org/ccm"
                                  "?sslmode=require", "x", "ws-north", "p4ssword")


def test_the_owner_s_push_maps_t1001_to_the_first_clinic_s_patient_not_another_s(
        clinics, hub_url, tmp_path, clock):
    """The hub's owner sees every clinic's rows: its merge still keys MRNs in its clinic
    (the first), so another clinic's T1001 is never taken for this one."""
    north, *_ = clinics
    west = open_workstation(tmp_path / "owner", "ws-west", clock)
    try:
        add_minutes(west, NOV3, 3)
        hub.push(west, hub_url, HUB_PASSWORD)
    finally:
        west.close()
    owner = _owner(hub_url)
    with owner.connect() as conn:
        patients = dict(conn.execute(text(
            "SELECT e.workstation, p.org_id FROM time_entry e JOIN patient p "
            "ON p.id = e.patient_id")).all())
    owner.dispose()
    assert patients["ws-west"] == patients["ws-north"] == 1 != patients["ws-east"]


def test_after_a_pull_a_full_push_with_the_workstation_s_role_still_goes_in(clinics):
    """A pull brings the other workstations' rows here; a full push sends them back,
    and the hub leaves them as they are (they are not this workstation's to write)."""
    north, south, *_ = clinics
    hub_pull.pull(south, targets.get(south, _target(south)))
    add_minutes(south, NOV3 + timedelta(hours=3), 4)
    report = hub.push(south, targets.get(south, _target(south)).url,
                      targets.get_secret(_target(south)))  # a full push: every row here
    assert report.full and report.changed.get("time_entry") == 1  # its new one only
    hub_pull.pull(north, targets.get(north, _target(north)))
    with north.read() as session:
        spans = dict(session.connection().execute(text(
            "SELECT workstation, sum(span_seconds) FROM time_entry "
            "WHERE superseded_at IS NULL GROUP BY workstation")).all())
    assert spans == {"ws-north": 12 * 60, "ws-south": 11 * 60}


def test_a_pull_from_a_hub_off_this_machine_asks_for_a_checked_certificate(clinics):
    north, *_ = clinics  # pushed to its target once: the pull would go on
    target = targets.Target(_target(north), "hub", "postgresql://ccm_ws_ws_north@"
                            "hub.example.org/ccm?sslmode=prefer")
    with pytest.raises(hub.HubError, match="certificate checked"):
        hub_pull.pull(north, target, password="x")


def test_hub_init_from_a_workstation_names_the_first_clinic_by_its_key(two, empty_hub_url):
    north, south = two
    assert not north.settings.clinic_id
    hub_roles.init(north, empty_hub_url, HUB_PASSWORD)
    key = north.settings.clinic_id
    assert key
    hub_roles.init(north, empty_hub_url, HUB_PASSWORD)  # again: the same clinic
    hub_roles.init(south, empty_hub_url, HUB_PASSWORD)  # another key: a second clinic
    owner = _owner(empty_hub_url)
    with owner.connect() as conn:
        assert conn.execute(text("SELECT id, clinic_id FROM hub_org ORDER BY id")).all() == [
            (1, key), (2, south.settings.clinic_id)]
    owner.dispose()


def test_the_command_prints_the_new_password_once_and_the_role_signs_in_with_it(
        two, hub_url, monkeypatch, capsys):
    import io
    import sys

    from ccm_timer.cli.main import build_parser

    north, _ = two
    args = build_parser().parse_args(["hub", "add-workstation", "ws-north", hub_url])
    monkeypatch.setattr(sys, "stdin", io.StringIO(HUB_PASSWORD + "\n"))  # the owner's
    try:
        args.handler(north, args)
        out = capsys.readouterr().out
        password = out.split("shown only now: ")[1].split()[0]
        with _as(_role_url(hub_url, "ccm_ws_ws_north"), password).connect() as conn:
            assert conn.execute(text("SELECT ccm_hub_ws()")).scalar() == "ws-north"
        with north.read() as session:
            assert password not in str(session.connection().execute(text(
                "SELECT after FROM audit_event WHERE action = 'hub.add_workstation'")).all())
    finally:
        _drop_roles(hub_url)


def test_the_owner_s_hub_report_counts_only_the_first_clinic_s_patients(clinics, hub_url):
    """The owner is not under row-level security: `report --hub` through an owner's target
    must still count its own clinic's T1001 (the first), never add or swap in another's."""
    owner = _owner(hub_url)
    try:
        seconds = hub.month_seconds(owner, "2026-11", "UTC")
    finally:
        owner.dispose()
    assert list(seconds) == ["T1001"]
    assert sum(seconds["T1001"].values()) == (12 + 7) * 60
