"""The clinical record on the clinic hub (issue 14, point 8), on a real PostgreSQL: a
workstation's conditions, care plan, reviews and consent with its scan arrive, later states
(a removal, an end) follow, pushing again changes nothing and sends no scan twice, and a
hub made before the record existed is refused in one sentence until `hub init` brings it
forward."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text

from ccm_timer.services.delivery import bundle_format as bundle
from ccm_timer.services.delivery import bundle_import as bundles
from ccm_timer.services.delivery import hub, hub_push, targets
from ccm_timer.services.month import report
from ccm_timer.services.people import care_plan, conditions, patients
from ccm_timer.sync.worker import Worker
from tests.fixtures.clinic import remover
from tests.fixtures.delivery import HUB_PASSWORD, add_minutes, provision_bundles, queue_exports
from tests.fixtures.hub_history import undo_least_privilege
from tests.fixtures.hub_logins import owner

NOV3 = datetime(2026, 11, 3, 13, 0, tzinfo=UTC)
SCAN = b"%PDF-1.4\n% synthetic consent form, no real person\n" + bytes(range(256)) * 40
ALL_TOLD = "cost-sharing,one-practitioner,right-to-stop"


def record_on(ws, code: str = "E11.9", scan: bytes | None = SCAN) -> None:
    """T1001's record on one workstation: a written consent complete with its scan, a
    condition, a problem and a goal for it, and a review."""
    patients.set_consent(ws, "T1001", "CCM", date(2026, 1, 5), "written",
                         by=f"Nurse {ws.workstation}", disclosures=ALL_TOLD,
                         document=(scan, "application/pdf") if scan else None)
    conditions.add(ws, "T1001", code, date(2019, 4, 1))
    care_plan.add(ws, "T1001", "problem", f"{code} to keep in range", condition=code)
    care_plan.add(ws, "T1001", "goal", "HbA1c below 7.5% by March")
    care_plan.review(ws, "T1001", substantial=True)


def hub_rows(engine, sql: str) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql))]


@pytest.fixture
def engine(hub_url):
    made = owner(hub_url)  # the test's own (the superuser): it also makes an old hub
    yield made
    made.dispose()


def test_the_record_made_on_a_workstation_arrives_on_the_hub(two, hub_url, engine):
    ws1, ws2 = two
    record_on(ws1)
    first = hub.push(ws1, hub_url, HUB_PASSWORD)
    for name in ("patient_condition", "care_plan_item", "care_plan_review",
                 "consent_document"):
        assert first.changed[name] >= 1, name
    hub.push(ws2, hub_url, HUB_PASSWORD)  # the same patient, by MRN, from the other desk
    [patient] = hub_rows(engine, "SELECT id FROM patient WHERE mrn = 'T1001'")
    assert hub_rows(engine, "SELECT patient_id, code, since, removed_at FROM "
                    "patient_condition") == [(patient[0], "E11.9", date(2019, 4, 1), None)]
    assert sorted(hub_rows(engine, "SELECT patient_id, kind, condition_code FROM "
                           "care_plan_item")) == sorted([(patient[0], "PROBLEM", "E11.9"),
                                                         (patient[0], "GOAL", None)])
    assert hub_rows(engine, "SELECT patient_id, reviewed_by, substantial FROM "
                    "care_plan_review") == [(patient[0], "Nurse ws-north", True)]
    [(doc_patient, media, size, sha, content)] = hub_rows(
        engine, "SELECT patient_id, media_type, size, sha256, content FROM consent_document")
    assert (doc_patient, media, size) == (patient[0], "application/pdf", len(SCAN))
    assert sha == hashlib.sha256(SCAN).hexdigest() and bytes(content) == SCAN
    consents = hub_rows(engine, "SELECT consent_method, consent_by, disclosed_cost_sharing, "
                        "disclosed_one_practitioner, disclosed_right_to_stop, "
                        "consent_document_id IS NOT NULL, patient_id FROM enrollment "
                        "ORDER BY consent_by NULLS LAST")
    assert consents[0] == ("written", "Nurse ws-north", True, True, True, True, patient[0])
    assert consents[1][6] == patient[0]  # ws-south's own copy, remapped by MRN too
    # The month report on the hub reads the record from PostgreSQL as a workstation does.
    record = report.month_report_on(engine, "2026-11", ws1.zone, ws1.now()).patient(
        "T1001").record
    assert [c.code for c in record.conditions] == ["E11.9"] and record.conditions[0].chronic
    assert sorted(i.kind for i in record.care_plan) == ["goal", "problem"]
    assert record.last_review is not None and record.last_review.by == "Nurse ws-north"
    assert record.revised_in_month  # a substantial review in November


def test_a_bundle_of_the_record_imported_into_the_hub_twice_changes_nothing(
        two, hub_url, engine, tmp_path):
    ws1, ws2 = two
    provision_bundles(ws2, ws1)
    drop = tmp_path / "usb"
    drop.mkdir()
    targets.add(ws1, "usb", kind="folder", url=str(drop))
    record_on(ws1)
    add_minutes(ws1, NOV3, 12)
    [export] = queue_exports(ws1, "usb", 1)
    assert Worker(ws1, timeout=2).run_once().delivered == 1
    hub.push(ws2, hub_url, HUB_PASSWORD)
    path = drop / bundle.name_for(export.id)
    first = bundles.import_bundle(ws2, path, hub_url=hub_url, password=HUB_PASSWORD)
    assert first.conflicts == []
    assert {n: first.changed.get(n) for n in ("patient_condition", "consent_document",
                                              "care_plan_review")} == {
        "patient_condition": 1, "consent_document": 1, "care_plan_review": 1}
    assert bundles.import_bundle(ws2, path, hub_url=hub_url,
                                 password=HUB_PASSWORD).changed == {}
    [(patient,)] = hub_rows(engine, "SELECT id FROM patient")  # ws-south's, by MRN
    assert hub_rows(engine, "SELECT patient_id FROM patient_condition UNION SELECT "
                    "patient_id FROM consent_document") == [(patient,)]


def test_pushing_twice_changes_nothing_and_sends_no_scan_again(two, hub_url, engine):
    ws1, _ = two
    record_on(ws1)
    first = hub.push(ws1, hub_url, HUB_PASSWORD)
    again = hub.push(ws1, hub_url, HUB_PASSWORD)
    assert again.changed == {}
    assert again.rows == first.rows - 1  # the same rows, but not the scan the hub has


def test_a_removal_and_an_end_recorded_later_follow_on_the_next_push(two, hub_url, engine):
    ws1, _ = two
    record_on(ws1)
    hub.push(ws1, hub_url, HUB_PASSWORD)
    [goal] = [i for i in care_plan.show(ws1, "T1001").items if i.kind == "goal"]
    conditions.remove(ws1, "T1001", "E11.9", "entered on the wrong patient", by=remover(ws1))
    care_plan.end(ws1, goal.id, "met in February")
    report = hub.push(ws1, hub_url, HUB_PASSWORD)
    assert report.changed["patient_condition"] == 1 and report.changed["care_plan_item"] == 1
    assert hub_rows(engine, "SELECT removal_reason FROM patient_condition") == [
        ("entered on the wrong patient",)]
    assert hub_rows(engine, "SELECT end_reason FROM care_plan_item WHERE kind = 'GOAL'") == [
        ("met in February",)]


def test_many_scans_go_in_batches_and_each_arrives_once(two, hub_url, engine, monkeypatch):
    ws1, _ = two
    monkeypatch.setattr(hub_push, "DOCUMENT_BATCH_BYTES", len(SCAN) * 2)  # two scans a batch
    for n in range(5):  # five consents rescanned: every scan is kept
        patients.set_consent(ws1, "T1001", "CCM", date(2026, 1, 5), "written",
                             by="Nurse ws-north", disclosures=ALL_TOLD,
                             document=(SCAN + bytes([n]), "application/pdf"))
    assert hub.push(ws1, hub_url, HUB_PASSWORD).changed["consent_document"] == 5
    assert hub_rows(engine, "SELECT count(*) FROM consent_document") == [(5,)]
    assert hub.push(ws1, hub_url, HUB_PASSWORD).changed == {}


def _make_old_hub(engine) -> None:
    """The hub as a version before the clinical record left it (revision 0008's tables),
    before the hub had migrations of its own."""
    with engine.begin() as conn:
        undo_least_privilege(conn)
        conn.execute(text("DROP TABLE ccm_hub_version, workstation_push, hub_change"))
        conn.execute(text("DROP FUNCTION ccm_hub_note_change() CASCADE"))  # 0003's triggers
        for name in ("care_plan_review", "care_plan_item", "patient_condition"):
            conn.execute(text(f"DROP TABLE {name}"))
        for column in ("consent_by", "consent_by_id", "disclosed_cost_sharing",
                       "disclosed_one_practitioner", "disclosed_right_to_stop",
                       "consent_document_id", "withdrawn_on", "withdrawal_reason"):
            conn.execute(text(f"ALTER TABLE enrollment DROP COLUMN {column}"))
        conn.execute(text("DROP TABLE consent_document"))
        conn.execute(text("ALTER TABLE patient DROP COLUMN qmb"))


def test_a_hub_made_before_the_record_is_refused_then_brought_forward_by_hub_init(
        two, hub_url, engine):
    ws1, ws2 = two
    hub.push(ws2, hub_url, HUB_PASSWORD)
    _make_old_hub(engine)
    record_on(ws1)
    with pytest.raises(hub.HubError) as caught:
        hub.push(ws1, hub_url, HUB_PASSWORD)
    message = str(caught.value)
    assert message == ("The clinic hub's tables are older than this version of CCM Timer; an "
                       "administrator runs `ccm-timer hub init URL` to upgrade it.")
    assert hub_rows(engine, "SELECT to_regclass('patient_condition')") == [(None,)]
    assert hub.init_hub(hub_url, HUB_PASSWORD).before == ""  # recognised, not recreated
    hub.push(ws1, hub_url, HUB_PASSWORD)
    assert hub_rows(engine, "SELECT code FROM patient_condition") == [("E11.9",)]
    # ws-south's enrollment, pushed before: its consent's disclosures are not on file.
    assert sorted(hub_rows(engine, "SELECT disclosed_cost_sharing FROM enrollment")) == [
        (False,), (True,)]
