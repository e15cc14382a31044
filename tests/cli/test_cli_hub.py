"""`ccm-timer hub init` and `hub status` (issue 19, point 7) as real subprocesses on a real
PostgreSQL: init is an administrator's, takes no password in its arguments, and changes
nothing the second time; status lists each workstation's last push in local time."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlmodel import select

from ccm_timer.services.delivery import hub, targets
from ccm_timer.store.hub_migrations import HUB_HEAD
from ccm_timer.store.models import AuditEvent
from tests.fixtures.clinic import ADMIN, PASSWORD, T0
from tests.fixtures.delivery import HUB_PASSWORD, add_minutes, open_workstation


def _tables(url: str) -> int:
    engine = hub._engine(url, HUB_PASSWORD, 10)
    try:
        with engine.connect() as conn:
            return conn.exec_driver_sql(
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").scalar_one()
    finally:
        engine.dispose()


def test_hub_init_is_an_administrators_and_running_it_twice_changes_nothing(
        cli, admin_clinic, token_keyring, empty_hub_url):
    refused = cli("hub", "init", empty_hub_url)  # the clinic has an administrator
    assert refused.returncode == 1
    assert "Only an administrator may" in refused.stderr
    with_password = empty_hub_url.replace("postgres@", f"postgres:{HUB_PASSWORD}@")
    refused = cli("hub", "init", with_password, "--as", ADMIN)
    assert refused.returncode == 1 and "Leave the password out" in refused.stderr
    assert _tables(empty_hub_url) == 0  # nothing made
    typed = f"{PASSWORD}\n{HUB_PASSWORD}\n"  # the administrator's, then the hub owner's
    made = cli("hub", "init", empty_hub_url, "--as", ADMIN, input=typed)
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith(f"Made the clinic hub's tables (revision {HUB_HEAD}).")
    again = cli("hub", "init", empty_hub_url, "--as", ADMIN, "--json", input=typed)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout) == {"before": HUB_HEAD, "after": HUB_HEAD, "changed": False,
                                        "role": "ccm_hub_workstation"}
    with admin_clinic.read() as session:  # the change is audited here, once
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "hub.init")).all()
    assert [(e.actor, e.entity_id) for e in events] == [(ADMIN, empty_hub_url)]


def test_hub_status_shows_each_workstations_last_push_in_local_time(
        cli, admin_clinic, token_keyring, hub_url, tmp_path, clock):
    targets.add(admin_clinic, "hub", kind="hub", url=hub_url, secret=HUB_PASSWORD,
                by=_admin(admin_clinic))
    add_minutes(admin_clinic, T0 - timedelta(hours=3), 10)
    hub.push(admin_clinic, hub_url, HUB_PASSWORD)
    south = open_workstation(tmp_path / "other", "ws-south", clock)
    try:
        clock.advance(timedelta(minutes=45))
        add_minutes(south, T0 - timedelta(hours=2), 5)
        hub.push(south, hub_url, HUB_PASSWORD)
    finally:
        south.close()
    shown = cli("hub", "status")
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0].split() == ["WORKSTATION", "LAST", "PUSH", "LAG", "PUSHES", "ENTRIES"]
    assert lines[1].startswith("ws-south") and "2026-11-03 10:45" in lines[1]
    assert lines[2].startswith("ws-test-1") and "2026-11-03 10:00" in lines[2]
    assert [line.split()[-2:] for line in lines[1:]] == [["1", "1"], ["1", "1"]]
    found = json.loads(cli("hub", "status", "--json").stdout)
    assert [(r["workstation"], r["last_push_at"], r["entries"]) for r in found] == [
        ("ws-south", "2026-11-03T10:45:00-05:00", 1),
        ("ws-test-1", "2026-11-03T10:00:00-05:00", 1)]
    assert all(isinstance(r["lag_seconds"], int) for r in found)


def _admin(ctx):
    from ccm_timer.services.security import credentials

    return credentials.verify(ctx, ADMIN, PASSWORD)
