"""FHIR delivery: each resource a conditional update by the identifier we assign, in one
transaction, so a retry after a lost answer updates instead of duplicating (reliability
R5.4, T21 without HAPI). tests/security/test_receivers.py sends a month's real export to a
server that keeps no client ids."""

from __future__ import annotations

import json
import random
from datetime import timedelta

from ccm_timer.services.delivery import outbox, outbox_status, targets
from ccm_timer.services.exports import history as export_records
from ccm_timer.sync.fhir_target import ID_SYSTEM, TAG_SYSTEM, plan
from ccm_timer.sync.worker import Worker


def _observation(ident: str, minutes: int) -> dict:
    return {"resourceType": "Observation", "id": ident, "status": "final",
            "code": {"text": "care management minutes"},
            "valueQuantity": {"value": minutes, "unit": "min"}}


def _queue(ctx, doc: dict, name: str = "fhir") -> object:
    with ctx.write() as session:
        export = export_records.record_export(
            session, ctx, month="2026-11", scope="all", fmt="fhir",
            content=json.dumps(doc).encode(), actor="Avery Nurse",
            filename_hint="ccm-2026-11.fhir.json")
        outbox.enqueue(session, ctx, export, name)
    return export


def test_a_transaction_of_conditional_updates_survives_a_reset_after_commit(ctx, clock,
                                                                           fhir_server):
    targets.add(ctx, "fhir", kind="fhir", url=fhir_server.url, secret="tok")
    doc = {"resourceType": "Bundle", "type": "collection",
           "entry": [{"resource": _observation("ccm-a1", 22)},
                     {"resource": _observation("ccm-a2", 31)}]}
    export = _queue(ctx, doc)
    fhir_server.faults.append("reset_after_commit")
    worker = Worker(ctx, timeout=2, lease=timedelta(seconds=60), rng=random.Random(1))
    first = worker.run_once()
    assert [a.kind for a in first.attempts] == ["retry"]
    clock.advance(first.attempts[0].delay + 0.001)
    assert worker.run_once().delivered == 1
    [a1] = fhir_server.find("Observation", ID_SYSTEM, "ccm-a1")
    [a2] = fhir_server.find("Observation", ID_SYSTEM, "ccm-a2")
    assert sorted(fhir_server.resources) == sorted([a1, a2])
    assert fhir_server.posts == 2  # sent twice, still one resource per identifier
    assert fhir_server.versions == {a1: 2, a2: 2}  # the retry updated what the first made
    tags = fhir_server.resources[a1]["meta"]["tag"]
    assert tags == [{"system": TAG_SYSTEM, "code": str(export.id)}]
    [item] = outbox_status.list_items(ctx, include_delivered=True)
    assert f"{a1}/_history/2" in item.receipt


def test_a_single_resource_is_one_conditional_update(ctx, fhir_server):
    targets.add(ctx, "fhir", kind="fhir", url=fhir_server.url, secret="tok")
    _queue(ctx, _observation("ccm-b1", 40))
    assert Worker(ctx, timeout=2).run_once().delivered == 1
    assert list(fhir_server.resources) == fhir_server.find("Observation", ID_SYSTEM, "ccm-b1")
    assert fhir_server.requests == [("PUT", f"Observation?identifier={ID_SYSTEM}|ccm-b1")]
    assert fhir_server.posts == 0


def test_a_resource_without_an_id_fails_permanently_with_the_reason(ctx, fhir_server):
    targets.add(ctx, "fhir", kind="fhir", url=fhir_server.url, secret="tok")
    doc = {"resourceType": "Bundle", "type": "collection",
           "entry": [{"resource": {"resourceType": "Observation", "status": "final"}}]}
    _queue(ctx, doc)
    [attempt] = Worker(ctx, timeout=2).run_once().attempts
    assert attempt.kind == "failed"
    assert "has no id" in attempt.message
    assert fhir_server.resources == {}


def test_the_same_export_always_plans_the_same_bytes():
    doc = json.dumps({"resourceType": "Bundle", "type": "collection",
                      "entry": [{"resource": _observation("x1", 5)}]}).encode()
    assert plan(doc, "e1") == plan(doc, "e1")
    method, path, body = plan(doc, "e1")
    assert (method, path) == ("POST", "")
    [entry] = json.loads(body)["entry"]
    assert entry["request"] == {"method": "PUT",
                                "url": "Observation?identifier=urn:ccm-timer:resource-id%7Cx1"}
    assert "id" not in entry["resource"]  # the server's id, whatever it is, is kept
    assert entry["resource"]["identifier"] == [{"system": ID_SYSTEM, "value": "x1"}]
