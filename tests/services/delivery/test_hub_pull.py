"""Pull-back from the clinic hub (issue 19, point 2), on a real PostgreSQL: two workstations
as two data folders; what one pushes, the other pulls, so the patient's minutes add up on
both; a pull changes nothing twice, takes no live timer into the record, and leaves a row
made here as it was (a conflict instead)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from ccm_timer.errors import UserError
from ccm_timer.services.delivery import hub, hub_pull, hub_scope, targets
from ccm_timer.services.month import report
from ccm_timer.services.people import patients
from ccm_timer.services.timing import entries, timers
from ccm_timer.store import merge as records
from ccm_timer.store.local_tables import hub_cursor, sync_change
from ccm_timer.sync.worker import Worker
from tests.fixtures.clinic import corrector
from tests.fixtures.delivery import HUB_PASSWORD, add_minutes
from tests.fixtures.hub_logins import owner

NOV3 = datetime(2026, 11, 3, 13, 0, tzinfo=UTC)


def _hub(ctx, hub_url):
    return targets.add(ctx, "hub", kind="hub", url=hub_url, secret=HUB_PASSWORD)


def _seconds_by_role(ctx, mrn="T1001") -> dict[str, int]:
    found = report.month_report(ctx, "2026-11").patient(mrn)
    return {k: v for k, v in found.result.seconds_by_role.items() if v}


def _count(ctx, name: str) -> int:
    with ctx.read() as session:
        return session.connection().execute(
            select(func.count()).select_from(records.table(name))).scalar_one()


def _sync_changes(ctx) -> int:
    with ctx.read() as session:
        return session.connection().execute(
            select(func.count()).select_from(sync_change)).scalar_one()


@pytest.fixture
def hubbed(two, hub_url):
    """ws-north and ws-south with the hub as a target, each pushed once."""
    north, south = two
    for ws in (north, south):
        _hub(ws, hub_url)
    return north, south


def test_b_pulls_a_s_minutes_into_its_month_report_and_a_second_pull_changes_nothing(
        hubbed):
    north, south = hubbed
    add_minutes(north, NOV3, 12)
    add_minutes(south, NOV3.replace(hour=15), 10)
    for ws in (north, south):
        hub.push_target(ws, targets.get(ws, "hub"), force=True)
    assert _seconds_by_role(south) == {"clinical_staff": 10 * 60}
    pulled = hub_pull.pull(south, targets.get(south, "hub"))
    assert (pulled.entries, pulled.workstations, pulled.conflicts) == (1, ("ws-north",), [])
    assert pulled.sentence(south).startswith(
        "Took 1 entry from 1 other workstation; the clinic's totals are as of ")
    assert _seconds_by_role(south) == {"clinical_staff": 22 * 60}
    with south.read() as session:  # one audit event, with the evidence of the entry taken
        events = session.connection().execute(text(
            "SELECT action, evidence FROM audit_event WHERE action LIKE 'hub.%'")).all()
    assert [e[0] for e in events] == ["hub.pull"] and events[0][1]
    # Nothing the pull wrote is a local change to push back.
    log_after_pull = _sync_changes(south)
    rows = {name: _count(south, name) for name in ("time_entry", "interval", "audit_event")}
    again = hub_pull.pull(south, targets.get(south, "hub"))
    assert (again.entries, again.changed) == (0, {})
    assert again.sentence(south).startswith("Nothing new from the other workstations;")
    assert {name: _count(south, name) for name in rows} == rows
    assert _sync_changes(south) == log_after_pull
    # The north's own entries are not taken back from the hub.
    assert hub_pull.pull(north, targets.get(north, "hub")).entries == 1  # the south's one


def test_an_entry_of_another_workstation_cannot_be_edited_voided_here(hubbed):
    north, south = hubbed
    made = add_minutes(north, NOV3, 12)
    hub.push_target(north, targets.get(north, "hub"), force=True)
    hub.push_target(south, targets.get(south, "hub"), force=True)
    hub_pull.pull(south, targets.get(south, "hub"))
    ref = str(made.id)
    said = "This entry was recorded on workstation ws-north; correct it there."
    with pytest.raises(UserError) as edit:
        entries.edit(south, ref, reason="typo", note="changed", by=corrector(south))
    with pytest.raises(UserError) as void:
        entries.void(south, ref, reason="duplicate", by=corrector(south))
    assert str(edit.value) == str(void.value) == said
    assert [v.version for v in entries.history(south, ref)] == [1]
    # On its own workstation it is corrected, and the new version comes with the next pull.
    entries.edit(north, ref, reason="typo", note="phoned back", by=corrector(north))
    hub.push_target(north, targets.get(north, "hub"), force=True)
    assert hub_pull.pull(south, targets.get(south, "hub")).conflicts == []
    assert [v.note for v in entries.history(south, ref)][-1] == "phoned back"
    assert _seconds_by_role(south) == {"clinical_staff": 12 * 60}


def test_a_running_timer_elsewhere_is_shown_live_never_counted_and_arrives_when_stopped(
        hubbed, clock):
    north, south = hubbed
    timers.start(north, patient_mrn="T1001", category_slug="phone-call")
    clock.advance(timedelta(minutes=7))
    hub.push_target(north, targets.get(north, "hub"), force=True)
    hub.push_target(south, targets.get(south, "hub"), force=True)
    hub_pull.pull(south, targets.get(south, "hub"))
    live = hub_scope.live_timers(south)
    assert [(t.workstation, t.clinician, t.patient_mrn, t.category, t.state, t.seconds)
            for t in live] == [("ws-north", "Nurse ws-north", "T1001", "phone-call",
                                "running", 7 * 60)]
    clock.advance(timedelta(minutes=2))  # counted on to now
    assert hub_scope.live_timers(south)[0].seconds == 9 * 60
    assert report.month_report(south, "2026-11").patient("T1001") is None or \
        _seconds_by_role(south) == {}
    assert _count(south, "time_entry") == 0
    timers.stop(north)
    hub.push_target(north, targets.get(north, "hub"), force=True)
    hub_pull.pull(south, targets.get(south, "hub"))
    assert hub_scope.live_timers(south) == []
    assert _seconds_by_role(south) == {"clinical_staff": 9 * 60}


def test_one_mrn_under_two_names_is_a_recorded_conflict_and_the_local_name_stays(hubbed):
    north, south = hubbed
    patients.add(north, mrn="T1009", name="Fixture, Ada")
    patients.add(south, mrn="T1009", name="Fixture, Ida")
    add_minutes(north, NOV3, 12, mrn="T1009")
    hub.push_target(north, targets.get(north, "hub"), force=True)
    hub.push_target(south, targets.get(south, "hub"), force=True)
    pulled = hub_pull.pull(south, targets.get(south, "hub"))
    assert [(c.kind, c.entity) for c in pulled.conflicts] == [("renamed", "patient")]
    assert "recorded for the billing office" in pulled.sentence(south)
    with south.read() as session:
        names = session.connection().execute(text(
            "SELECT given_name FROM patient WHERE mrn = 'T1009'")).scalars().all()
        kinds = session.connection().execute(text(
            "SELECT kind, sender FROM bundle_conflict")).all()
    assert names == ["Ida"]
    assert kinds == [("renamed", "the clinic hub (hub)")]
    assert hub_pull.pull(south, targets.get(south, "hub")).conflicts == []  # nothing new
    assert _count(south, "bundle_conflict") == 1


def test_a_pull_before_the_first_push_and_a_hub_at_another_revision_are_refused(
        hubbed, hub_url):
    north, south = hubbed
    with pytest.raises(UserError, match="has not pushed to the clinic hub hub yet"):
        hub_pull.pull(south, targets.get(south, "hub"))
    hub.push_target(south, targets.get(south, "hub"), force=True)
    engine = owner(hub_url)  # the superuser: it stands for a newer version's hub init
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE ccm_hub_version SET version_num = '0099'"))
    finally:
        engine.dispose()
    with pytest.raises(hub.HubError, match="older than the clinic hub"):
        hub_pull.pull(south, targets.get(south, "hub"))


def test_the_worker_pulls_after_its_push_and_the_scope_labels_follow(hubbed, clock):
    north, south = hubbed
    assert hub_scope.scope(south).label.startswith("This workstation only: the clinic hub "
                                                   "has not been reached yet")
    add_minutes(north, NOV3, 12)
    Worker(north, timeout=5).run_once(force=True)
    report_ = Worker(south, timeout=5).run_once(force=True)
    assert report_.hub_errors == []
    assert report_.hub_pulls and report_.hub_pulls[0].startswith("Took 1 entry")
    assert _seconds_by_role(south) == {"clinical_staff": 12 * 60}
    at = hub_scope.scope(south)
    assert at.all_workstations and at.label == f"All workstations, as of {at.label[-5:]}"
    clock.advance(hub_scope.STALE_AFTER + timedelta(seconds=1))
    stale = hub_scope.scope(south)
    assert not stale.all_workstations
    assert stale.label.startswith("This workstation, and the others as of ")
    with south.read() as session:
        cursor = session.connection().execute(select(hub_cursor)).mappings().one()
    assert cursor["pulled_at"] is not None and cursor["pulled_seq"] > 0


def test_no_hub_target_is_this_workstation_only(two):
    north, _ = two
    assert hub_scope.scope(north).label == "This workstation only"
    assert hub_scope.live_timers(north) == []


def test_a_connection_cut_by_the_server_mid_pull_takes_nothing(hubbed, hub_url):
    import psycopg

    north, south = hubbed
    add_minutes(north, NOV3, 12)
    for ws in (north, south):
        hub.push_target(ws, targets.get(ws, "hub"), force=True)
    url = hub.secure_url(hub_url)

    def cut(step: str) -> None:  # the server ends every other session on the hub
        if step == "read changes":
            with psycopg.connect(host=url.host, port=url.port, user="postgres",
                                 password=HUB_PASSWORD, dbname=url.database,
                                 autocommit=True) as conn:
                conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             "WHERE datname = current_database() AND pid <> pg_backend_pid()")

    with pytest.raises(hub.HubError) as cut_off:
        hub_pull.pull(south, targets.get(south, "hub"), on_step=cut)
    assert str(cut_off.value) == "No connection to the clinic hub. Nothing was taken."
    assert _count(south, "time_entry") == 0  # none taken
    with south.read() as session:
        assert session.connection().execute(select(hub_cursor.c.pulled_at)).scalar() is None
    assert hub_pull.pull(south, targets.get(south, "hub")).entries == 1
