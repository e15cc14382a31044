"""On a real PostgreSQL: workstations merge into the hub at the same time with no lock for
all of them, every natural key once; what a push would overwrite of another workstation's
rows is recorded as a conflict and the hub's row kept."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from ccm_timer.services.delivery import bundle_conflicts, hub
from ccm_timer.services.people import patients
from ccm_timer.store import merge as records
from ccm_timer.store.merge_guard import Guard
from tests.fixtures.delivery import HUB_PASSWORD, add_minutes, open_workstation, push_at_once
from tests.fixtures.hub_logins import owner

NOV3 = datetime(2026, 11, 3, 13, 0, tzinfo=UTC)
ZONE = "America/New_York"
MRNS = [f"T20{n:02d}" for n in range(1, 9)]


def _rows(engine, sql: str) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql))]


def test_workstations_merging_overlapping_patients_at_once_put_each_in_once(
        two, hub_url, tmp_path, clock):
    third = open_workstation(tmp_path / "third", "ws-east", clock)
    desks = [*two, third]
    try:
        for n, ws in enumerate(desks):  # the same MRNs, each desk adding them in its order
            for mrn in MRNS[n:] + MRNS[:n]:
                patients.add(ws, mrn=mrn, name=f"Synthetic, Person {mrn}")
                add_minutes(ws, NOV3 + timedelta(minutes=5 * MRNS.index(mrn)), 4, mrn=mrn)
        hub.open_engine(hub_url, HUB_PASSWORD).dispose()
        errors = push_at_once(desks, hub_url, times=2)  # the same MRNs, all at once
        assert errors == []
        engine = hub.open_engine(hub_url, HUB_PASSWORD)
        try:
            assert _rows(engine, "SELECT count(*), count(DISTINCT mrn) FROM patient") == [
                (len(MRNS) + 1, len(MRNS) + 1)]
            assert _rows(engine, "SELECT count(*) FROM category WHERE slug = 'phone-call'") == [
                (1,)]
            assert _rows(engine, "SELECT count(*) FROM (SELECT patient_id, month FROM "
                         "patient_month GROUP BY 1, 2 HAVING count(*) > 1) d") == [(0,)]
            seconds = hub.month_seconds(engine, "2026-11", ZONE)
            assert {mrn: sum(seconds[mrn].values()) for mrn in MRNS} == {
                mrn: 3 * 4 * 60 for mrn in MRNS}
            assert _rows(engine, "SELECT count(*) FROM time_entry") == [(3 * len(MRNS),)]
            assert bundle_conflicts.on_hub(engine) == []  # the same names: nothing to ask
        finally:
            engine.dispose()
    finally:
        third.close()


def test_a_patient_arriving_under_another_name_is_a_conflict_and_the_hub_keeps_its_own(
        two, hub_url):
    ws1, ws2 = two
    patients.add(ws1, mrn="T3001", name="Doe, Janet")
    patients.add(ws2, mrn="T3001", name="Doe, Jane")
    hub.push(ws1, hub_url, HUB_PASSWORD)
    hub.push(ws2, hub_url, HUB_PASSWORD)
    hub.push(ws2, hub_url, HUB_PASSWORD)  # pushed again: recorded once
    engine = hub.open_engine(hub_url, HUB_PASSWORD)
    try:
        assert _rows(engine, "SELECT family_name, given_name FROM patient WHERE mrn = 'T3001'"
                     ) == [("Doe", "Janet")]
        [c] = bundle_conflicts.on_hub(engine)
        assert (c.kind, c.sender, c.source, c.entity) == ("renamed", "ws-south", "a push",
                                                          "patient")
        assert "T3001" in c.summary and "kept the hub's name" in c.summary
    finally:
        engine.dispose()


def _amended_elsewhere(ws1, hub_url, *, with_event: bool):
    """ws-north's entry pushed, then a version 2 of it in a push from ws-south: its own
    amendment (an entry event of ws-south's chain), or a version it only relays."""
    add_minutes(ws1, NOV3, 12)
    hub.push(ws1, hub_url, HUB_PASSWORD)
    with ws1.read() as session:  # ws-north's entry as ws-south would hold it from a bundle
        rows = records.collect_all(session.connection(), documents=False)
    [v1], [span] = rows["time_entry"], rows["interval"]
    at = NOV3 + timedelta(hours=5)
    v2 = {**v1, "id": uuid.uuid4(), "version": 2, "supersedes_id": v1["id"],
          "change_reason": "longer call", "created_at": at, "span_seconds": 42 * 60,
          "span_end": v1["span_end"] + timedelta(minutes=30)}  # as its triggers kept them
    event = {**rows["audit_event"][-1], "id": uuid.uuid4(), "seq": 1, "at_utc": at,
             "workstation": "ws-south", "action": "entry.edit", "entity": "time_entry",
             "entity_id": str(v1["origin_id"]), "prev_hash": "0" * 64, "hash": "1" * 64}
    amended = {**{k: rows[k] for k in ("clinician", "category", "patient")},
               "time_entry": [{**v1, "superseded_at": at}, v2],
               "interval": [span, {**span, "id": uuid.uuid4(), "entry_id": v2["id"],
                                   "end_utc": span["end_utc"] + timedelta(minutes=30)}],
               "audit_event": [event] if with_event else []}
    engine = hub.open_engine(hub_url, HUB_PASSWORD)
    with engine.begin() as conn:
        records.merge(conn, amended, keep_audit=True,
                      pusher=Guard("ws-south", "push:ws-south", at))
    return engine, v1


def test_a_second_workstation_amending_an_entry_is_a_conflict_and_the_hub_keeps_its_version(
        two, hub_url):
    engine, v1 = _amended_elsewhere(two[0], hub_url, with_event=True)
    try:
        assert _rows(engine, "SELECT version, superseded_at IS NULL FROM time_entry") == [
            (1, True)]
        assert hub.month_seconds(engine, "2026-11", ZONE)["T1001"] == {
            ("clinical_staff", "CCM"): 12 * 60}
        [c] = bundle_conflicts.on_hub(engine)
        assert (c.kind, c.sender, c.entity_id) == ("superseded", "ws-south", str(v1["id"]))
        assert "made on ws-north" in c.summary and "longer call" in c.summary
    finally:
        engine.dispose()


def test_a_version_another_workstation_only_relays_goes_in(two, hub_url):
    engine, _ = _amended_elsewhere(two[0], hub_url, with_event=False)
    try:
        assert sorted(_rows(engine, "SELECT version, superseded_at IS NULL FROM time_entry")
                      ) == [(1, False), (2, True)]
        assert hub.month_seconds(engine, "2026-11", ZONE)["T1001"] == {
            ("clinical_staff", "CCM"): 42 * 60}
        assert bundle_conflicts.on_hub(engine) == []
    finally:
        engine.dispose()


def _deadlock(engine) -> tuple[list[str], list[Exception]]:
    """Two merges taking two rows in opposite orders: PostgreSQL gives one up (40P01)."""
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO workstation_push VALUES ('a', :t, :t, 0, 0), "
                          "('b', :t, :t, 0, 0)"), {"t": "2026-11-03T13:00:00.000000Z"})
    meet, tries, errors = threading.Barrier(2), [], []

    def merge(first: str, second: str) -> None:
        def work(conn) -> None:
            tries.append(first)
            conn.execute(text("UPDATE workstation_push SET pushes = pushes + 1 "
                              "WHERE workstation = :w"), {"w": first})
            if tries.count(first) == 1:  # only the first time: the retry goes through
                meet.wait(timeout=30)
            conn.execute(text("UPDATE workstation_push SET pushes = pushes + 1 "
                              "WHERE workstation = :w"), {"w": second})
        try:
            hub.in_transaction(engine, work)
        except hub.HubError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=merge, args=pair) for pair in (("a", "b"), ("b", "a"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return tries, errors


def test_a_merge_given_up_for_a_deadlock_is_done_again_then_a_plain_error(hub_url,
                                                                          monkeypatch):
    engine = owner(hub_url)  # the test's: it also clears the hub between its two rounds
    try:
        tries, errors = _deadlock(engine)
        assert errors == [] and len(tries) == 3  # one of the two was done again
        assert _rows(engine, "SELECT sum(pushes) FROM workstation_push") == [(4,)]
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM workstation_push"))
        monkeypatch.setattr(hub, "RETRIES", 1)
        tries, errors = _deadlock(engine)
        assert len(tries) == 2 and [str(e) for e in errors] == [
            "The clinic hub was busy with other workstations' pushes; the push is tried "
            "again later."]
    finally:
        engine.dispose()
