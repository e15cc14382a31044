"""The clinical record in bundles (issue 14, point 8): a month's bundle carries the
conditions, care plan, reviews, consent and scan of the patients it carries; imported on
another workstation they arrive under that workstation's patient (by MRN), twice changes
nothing, a later state (a removal, an end, a withdrawal) in a later bundle is taken, and an
older bundle carried after it changes nothing either. Forged rows: tests/security/
test_bundle_record_forgery.py."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from ccm_timer.errors import UserError
from ccm_timer.services.delivery import bundle_format as bundle
from ccm_timer.services.delivery import bundle_import as bundles
from ccm_timer.services.delivery import targets
from ccm_timer.services.people import care_plan, conditions, patients
from ccm_timer.services.security import audit, bundle_keys
from ccm_timer.sync.worker import Worker
from tests.fixtures.clinic import remover
from tests.fixtures.delivery import add_minutes, provision_bundles, queue_exports

NOV3 = datetime(2026, 11, 3, 13, 0, tzinfo=UTC)
SCAN = b"%PDF-1.4\n% synthetic consent form, no real person\n" + bytes(range(256)) * 40
ALL_TOLD = "cost-sharing,one-practitioner,right-to-stop"
RECORD = ("patient_condition", "care_plan_item", "care_plan_review", "consent_document",
          "enrollment", "patient")


def _snapshot(ctx) -> dict[str, list]:
    with ctx.engine.connect() as conn:
        return {t: sorted(map(tuple, conn.execute(text(f"SELECT * FROM {t}"))), key=repr)
                for t in (*RECORD, "time_entry", "interval", "bundle_conflict")}


def _rows(ctx, sql: str) -> list[tuple]:
    with ctx.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql))]


def _send(ws, drop: Path) -> Path:
    """A bundle of everyone's November from `ws`, through its folder target."""
    [export] = queue_exports(ws, "usb", 1)
    assert Worker(ws, timeout=2).run_once().delivered == 1
    return drop / bundle.name_for(export.id)


@pytest.fixture
def carried(two, tmp_path):
    """ws-north's record of T1001 (a written consent with its scan, a condition, a problem
    and a goal, a review) and a 12-minute call, in a bundle for ws-south."""
    ws1, ws2 = two
    provision_bundles(ws2, ws1)
    drop = tmp_path / "usb"
    drop.mkdir()
    targets.add(ws1, "usb", kind="folder", url=str(drop))
    patients.set_consent(ws1, "T1001", "CCM", date(2026, 1, 5), "written",
                         by="Nurse ws-north", disclosures=ALL_TOLD,
                         document=(SCAN, "application/pdf"))
    conditions.add(ws1, "T1001", "E11.9", date(2019, 4, 1))
    care_plan.add(ws1, "T1001", "problem", "Diabetes to keep in range", condition="E11.9")
    care_plan.add(ws1, "T1001", "goal", "HbA1c below 7.5% by March")
    care_plan.review(ws1, "T1001", substantial=True)
    add_minutes(ws1, NOV3, 12)
    return ws1, ws2, drop, _send(ws1, drop)


def test_a_months_bundle_carries_the_record_of_its_patients(carried):
    ws1, ws2, _, path = carried
    rows = bundle.open_bundle(path, bundle_keys.opening_key(ws2)).rows
    assert [r["code"] for r in rows["patient_condition"]] == ["E11.9"]
    assert sorted(r["kind"].value for r in rows["care_plan_item"]) == ["goal", "problem"]
    assert [r["reviewed_by"] for r in rows["care_plan_review"]] == ["Nurse ws-north"]
    [scan] = rows["consent_document"]
    assert scan["content"] == SCAN and scan["sha256"] == hashlib.sha256(SCAN).hexdigest()
    [enrollment] = rows["enrollment"]
    assert enrollment["consent_document_id"] == scan["id"]
    assert enrollment["consent_by"] == "Nurse ws-north" and enrollment["disclosed_right_to_stop"]
    # Whoever the record names is carried too (the foreign keys need them).
    assert enrollment["consent_by_id"] in {r["id"] for r in rows["clinician"]}


def test_the_record_arrives_on_the_other_workstation_and_twice_changes_nothing(carried):
    _, ws2, _, path = carried
    report = bundles.import_bundle(ws2, path)
    assert report.conflicts == []
    for name in ("patient_condition", "care_plan_item", "care_plan_review",
                 "consent_document", "enrollment"):
        assert report.changed[name] >= 1, name
    [(here,)] = _rows(ws2, "SELECT id FROM patient WHERE mrn = 'T1001'")
    # Under ws-south's own patient row for the MRN, not ws-north's.
    assert {r[0] for r in _rows(ws2, "SELECT patient_id FROM patient_condition UNION "
                                "SELECT patient_id FROM care_plan_item UNION SELECT "
                                "patient_id FROM care_plan_review UNION SELECT patient_id "
                                "FROM consent_document")} == {here}
    assert [c.code for c in conditions.list_for(ws2, "T1001")] == ["E11.9"]
    plan = care_plan.show(ws2, "T1001")
    assert plan.reviewed_by == "Nurse ws-north" and plan.substantial
    assert sorted(i.kind for i in plan.items) == ["goal", "problem"]
    # ws-north's enrollment (beside ws-south's own: one per workstation, as on the hub)
    # keeps its consent whole, and the scan it points at is here, byte for byte.
    [(content, sha)] = _rows(ws2, "SELECT d.content, d.sha256 FROM enrollment e JOIN "
                             "consent_document d ON d.id = e.consent_document_id WHERE "
                             "e.consent_by = 'Nurse ws-north' AND e.disclosed_cost_sharing "
                             "AND e.disclosed_one_practitioner AND e.disclosed_right_to_stop "
                             "AND e.consent_method = 'written'")
    assert content == SCAN and sha == hashlib.sha256(SCAN).hexdigest()
    snap = _snapshot(ws2)
    again = bundles.import_bundle(ws2, path)
    assert again.changed == {} and again.conflicts == []
    assert _snapshot(ws2) == snap
    with ws2.read() as session:
        assert audit.verify(session).ok


def test_a_later_state_is_taken_and_an_older_bundle_after_it_changes_nothing(carried):
    ws1, ws2, drop, first = carried
    bundles.import_bundle(ws2, first)
    [goal] = [i for i in care_plan.show(ws1, "T1001").items if i.kind == "goal"]
    conditions.remove(ws1, "T1001", "E11.9", "entered on the wrong patient", by=remover(ws1))
    care_plan.end(ws1, goal.id, "met in February")
    patients.withdraw_consent(ws1, "T1001", "CCM", date(2026, 11, 4), "moved away")
    later = bundles.import_bundle(ws2, _send(ws1, drop))
    assert later.conflicts == []
    assert later.changed == {"patient_condition": 1, "care_plan_item": 1, "enrollment": 1}
    assert conditions.list_for(ws2, "T1001") == []
    [removed] = conditions.list_for(ws2, "T1001", history=True)
    assert removed.removal_reason == "entered on the wrong patient"
    assert [i.kind for i in care_plan.show(ws2, "T1001").items] == ["problem"]
    assert _rows(ws2, "SELECT withdrawn_on, withdrawal_reason FROM enrollment WHERE "
                 "withdrawn_on IS NOT NULL") == [("2026-11-04", "moved away")]
    # The first bundle, carried again after the later one: its rows are an earlier state of
    # what is here now. Nothing changes and nothing is a conflict.
    snap = _snapshot(ws2)
    older = bundles.import_bundle(ws2, first)
    assert older.changed == {} and older.conflicts == []
    assert _snapshot(ws2) == snap


def test_a_bundle_too_large_to_open_is_refused_when_queued(carried, monkeypatch):
    ws1, _, drop, _ = carried
    monkeypatch.setattr(bundle, "MAX_SEALED", len(SCAN))  # the scan alone is over the bound
    queued = "SELECT (SELECT count(*) FROM export), (SELECT count(*) FROM outbox_item)"
    before = _rows(ws1, queued)
    with pytest.raises(UserError) as caught:
        queue_exports(ws1, "usb", 1)
    message = str(caught.value)
    assert message.startswith("The bundle would be about") and "--patient MRN" in message
    assert len(message.splitlines()) == 1
    assert _rows(ws1, queued) == before  # neither the export nor its delivery recorded
