"""The incremental push on a real PostgreSQL: from each hub target's cursor, a few rows and a
few statements for one new entry, whatever the history; redone after a kill; a full push
only when the hub's counts say it lacks something."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, text
from sqlmodel import select

from ccm_timer.services.delivery import hub, hub_push, targets
from ccm_timer.store.models import Clinician, MonthApproval, Patient
from tests.fixtures.delivery import HUB_PASSWORD, add_minutes
from tests.fixtures.hub_logins import owner

NOV3 = datetime(2026, 11, 3, 13, 0, tzinfo=UTC)
ZONE = "America/New_York"


@pytest.fixture
def engine(hub_url):
    eng = owner(hub_url)  # the test's own (the superuser): it also takes rows away
    yield eng
    eng.dispose()


def _rows(engine, sql: str) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql))]


def _local(ctx, sql: str) -> list[tuple]:
    with ctx.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql))]


def _statements(engine) -> list[str]:
    """Every statement the hub engine executes from now on (SQLAlchemy's own event)."""
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute",
                 lambda conn, cursor, statement, *rest: seen.append(statement))
    return seen


def test_one_new_entry_costs_a_few_rows_and_statements_not_the_history(two, engine):
    ws1, _ = two
    for n in range(30):  # a history: 30 entries, 60 audit events and more
        add_minutes(ws1, NOV3 - timedelta(days=1, minutes=30 * n), 5)
    first = hub_push.push_cursor(ws1, "hub", engine)
    assert first.full and first.rows > 90
    assert _local(ws1, "SELECT count(*) FROM sync_change") == [(0,)]  # every row taken
    add_minutes(ws1, NOV3 + timedelta(days=1), 7)
    seen = _statements(engine)
    report = hub_push.push_cursor(ws1, "hub", engine)
    assert not report.full
    # The entry and its interval, its patient, category and clinician, the audit events
    # from the cursor on (the one there, proving the chain still holds it, and the new one).
    assert report.rows <= 8, report.rows
    assert len(seen) <= 40, len(seen)
    assert report.changed["time_entry"] == 1 and report.changed["interval"] == 1
    assert sum(hub.month_seconds(engine, "2026-11", ZONE)["T1001"].values()) == (150 + 7) * 60
    [(change_seq, audit_seq)] = _local(ws1, "SELECT change_seq, audit_seq FROM hub_cursor")
    assert audit_seq == _local(ws1, "SELECT max(seq) FROM audit_event")[0][0]
    assert change_seq > 0 and _local(ws1, "SELECT count(*) FROM sync_change") == [(0,)]
    again = hub_push.push_cursor(ws1, "hub", engine)
    assert again.changed == {} and not again.full


def test_a_push_whose_cursor_never_moved_is_done_again_and_changes_nothing(two, engine):
    ws1, _ = two
    add_minutes(ws1, NOV3, 12)
    hub_push.push_cursor(ws1, "hub", engine)
    before = _local(ws1, "SELECT change_seq, audit_seq FROM hub_cursor")
    add_minutes(ws1, NOV3.replace(hour=15), 9)
    assert hub_push.push_cursor(ws1, "hub", engine).changed["time_entry"] == 1
    # Killed after the hub committed, before the local write: the old cursor is still there.
    with ws1.engine.begin() as conn:
        conn.execute(text("UPDATE hub_cursor SET change_seq = :c, audit_seq = :a"),
                     {"c": before[0][0], "a": before[0][1]})
    redo = hub_push.push_cursor(ws1, "hub", engine)
    assert redo.changed == {} and not redo.full  # sent again, nothing new there
    assert hub.month_seconds(engine, "2026-11", ZONE)["T1001"] == {
        ("clinical_staff", "CCM"): 21 * 60}


def test_a_hub_missing_this_workstations_versions_gets_a_full_push(two, engine):
    ws1, _ = two
    add_minutes(ws1, NOV3, 12)
    add_minutes(ws1, NOV3.replace(hour=15), 9)
    hub_push.push_cursor(ws1, "hub", engine)
    with engine.begin() as conn:  # a hub restored from an older backup, say
        conn.execute(text("DELETE FROM interval WHERE entry_id IN (SELECT id FROM time_entry "
                          "WHERE version = 1 ORDER BY created_at DESC LIMIT 1)"))
        conn.execute(text("DELETE FROM time_entry WHERE id NOT IN "
                          "(SELECT entry_id FROM interval)"))
    assert _rows(engine, "SELECT count(*) FROM time_entry") == [(1,)]
    report = hub_push.push_cursor(ws1, "hub", engine)  # nothing changed locally
    assert report.full and report.changed["time_entry"] == 1
    assert _rows(engine, "SELECT count(*) FROM time_entry") == [(2,)]


def test_push_target_sets_the_cursor_then_skips_until_something_changes(two, hub_url, clock):
    ws1, _ = two
    target = targets.add(ws1, "hub", kind="hub", url=hub_url, secret=HUB_PASSWORD)
    add_minutes(ws1, NOV3, 12)
    assert hub.push_target(ws1, target).full  # no cursor yet: everything
    assert hub.push_target(ws1, target) is None  # nothing changed
    add_minutes(ws1, NOV3.replace(hour=15), 9)
    report = hub.push_target(ws1, target)
    assert report is not None and not report.full and report.changed["time_entry"] == 1
    clock.advance(hub_push.CHECK_EVERY)
    checked = hub.push_target(ws1, target)  # the hourly check sends no history
    assert checked is not None and not checked.full and checked.changed == {}


def test_month_approvals_travel_remapped_to_the_hubs_patient(two, engine):
    ws1, ws2 = two
    add_minutes(ws2, NOV3, 5)
    hub_push.push_cursor(ws2, "hub", engine)  # the hub's T1001 is ws-south's row
    add_minutes(ws1, NOV3.replace(hour=15), 21)
    with ws1.write() as session:
        patient = session.exec(select(Patient)).one()
        nurse = session.exec(select(Clinician)).one()
        session.add(MonthApproval(patient_id=patient.id, month="2026-11", approved_at=NOV3,
                                  approved_by=nurse.name, approver_id=nurse.id, audit_seq=7,
                                  lines=json.dumps([{"code": "99490"}])))
    hub_push.push_cursor(ws1, "hub", engine)  # ws-north's first push: everything
    [(month, patient_mrn, seq)] = _rows(engine, "SELECT a.month, p.mrn, a.audit_seq FROM "
                                        "month_approval a JOIN patient p ON p.id = a.patient_id")
    assert (month, patient_mrn, seq) == ("2026-11", "T1001", 7)
    assert _rows(engine, "SELECT count(*) FROM patient") == [(1,)]


def test_a_bundle_never_brings_an_approval(two):
    from ccm_timer.store import merge as records
    from ccm_timer.store.merge_guard import Guard

    ws1, ws2 = two
    with ws1.write() as session:
        patient = session.exec(select(Patient)).one()
        nurse = session.exec(select(Clinician)).one()
        session.add(MonthApproval(patient_id=patient.id, month="2026-11", approved_at=NOV3,
                                  approved_by=nurse.name, approver_id=nurse.id, audit_seq=7,
                                  lines="[]"))
    with ws1.read() as session:
        rows = records.collect_all(session.connection(), documents=False)
    assert len(rows["month_approval"]) == 1
    with ws2.write() as session:  # as a bundle's rows are merged (a sender closing a month)
        records.merge(session.connection(), rows, keep_audit=False,
                      guard=Guard("ws-north", "bundle-1", NOV3))
    assert _local(ws2, "SELECT count(*) FROM month_approval") == [(0,)]
    assert _local(ws2, "SELECT count(*) FROM clinician") == [(2,)]  # the rest came
