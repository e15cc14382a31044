"""Issue 13, defect 17: receivers saw duplicates (up to 14 copies of one export reached a
server that does not deduplicate). The FHIR target now writes conditional updates, which a
server applies once however often they arrive; the README tells every receiver what a
retry looks like."""

from __future__ import annotations

import json
import random
import re
from datetime import timedelta
from pathlib import Path

import pytest

from ccm_timer.services import exports
from ccm_timer.services.delivery import outbox_status, targets
from ccm_timer.sync import fhir_target, https_target
from ccm_timer.sync.fhir_target import ID_SYSTEM, TAG_SYSTEM
from ccm_timer.sync.worker import Worker
from tests.fixtures.clinic import corrector
from tests.fixtures.servers import FhirServer

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture
def forgetful_fhir():
    """A FHIR server that keeps no client-assigned id: a PUT by id it does not hold yet
    makes a new resource, as servers that assign every id do."""
    srv = FhirServer(client_ids=False)
    yield srv
    srv.close()


def _deliver_through_resets(ctx, clock, server, resets: int) -> None:
    server.faults.extend(["reset_after_commit"] * resets)
    worker = Worker(ctx, timeout=2, lease=timedelta(seconds=60), rng=random.Random(7))
    for _ in range(resets):
        [attempt] = worker.run_once().attempts
        assert attempt.kind == "retry"
        clock.advance(attempt.delay + 0.001)
    assert worker.run_once().delivered == 1


def test_a_months_fhir_export_is_held_once_after_retries(month_clinic, clock, forgetful_fhir,
                                                         token_keyring):
    ctx, _ = month_clinic
    targets.add(ctx, "ehr", kind="fhir", url=forgetful_fhir.url, secret="tok")
    result = exports.export_month(ctx, "2026-11", "fhir", draft=True, send="ehr")
    sent = [e["resource"] for e in json.loads(result.content)["entry"]]
    assert {r["resourceType"] for r in sent} >= {"Patient", "Practitioner", "Procedure",
                                                 "ChargeItem"}
    _deliver_through_resets(ctx, clock, forgetful_fhir, resets=3)
    assert forgetful_fhir.posts == 4  # the whole export committed four times ...
    held = forgetful_fhir.resources
    assert len(held) == len(sent)  # ... and each resource is there once
    for resource in sent:
        [key] = forgetful_fhir.find(resource["resourceType"], ID_SYSTEM, resource["id"])
        assert forgetful_fhir.versions[key] == 4  # updated by each retry, never re-made
        assert held[key]["meta"]["tag"] == [{"system": TAG_SYSTEM,
                                             "code": str(result.export_id)}]
    # References point at what the server holds, under the ids it chose.
    refs = re.findall(r'"reference": "([^"]+)"', json.dumps(list(held.values())))
    assert refs and all(ref in held for ref in refs), refs
    [item] = outbox_status.list_items(ctx, include_delivered=True)
    assert item.state == "delivered"


def test_the_old_put_by_id_duplicates_on_such_a_server(forgetful_fhir):
    """Why conditional updates: the same PUT [type]/[id] twice is two resources there."""
    from urllib.request import Request, urlopen

    body = json.dumps({"resourceType": "Observation", "id": "x1", "status": "final"}).encode()
    for _ in range(2):
        urlopen(Request(f"{forgetful_fhir.url}/Observation/x1", body, method="PUT",
                        headers={"Content-Type": "application/fhir+json"}), timeout=5).read()
    assert len(forgetful_fhir.resources) == 2


def test_a_later_export_of_the_month_updates_what_the_first_made(month_clinic, clock,
                                                                forgetful_fhir, token_keyring):
    ctx, made = month_clinic
    targets.add(ctx, "ehr", kind="fhir", url=forgetful_fhir.url, secret="tok")
    exports.export_month(ctx, "2026-11", "fhir", draft=True, send="ehr")
    assert Worker(ctx, timeout=2).run_once().delivered == 1
    before = dict(forgetful_fhir.versions)
    from ccm_timer.services.timing import entries

    entries.edit(ctx, str(made["call1"].id), reason="call was longer",
                 end=made["call1"].end + timedelta(minutes=3), by=corrector(ctx))
    exports.export_month(ctx, "2026-11", "fhir", draft=True, send="ehr")
    assert Worker(ctx, timeout=2).run_once().delivered == 1
    assert set(forgetful_fhir.versions) == set(before)  # the same resources, no new ones
    assert all(forgetful_fhir.versions[k] == v + 1 for k, v in before.items())


def test_the_readme_tells_receivers_what_a_retry_looks_like():
    text = README.read_text(encoding="utf-8")
    section = text.split("## For receivers", 1)[1].split("\n## ", 1)[0]
    # The names and values the code sends, as the README states them.
    assert "Idempotency-Key: <export id>" in section
    assert https_target.__doc__ and "Idempotency-Key: <export id>" in https_target.__doc__
    assert "X-Content-SHA256" in section
    assert "same bytes under the same key" in section
    assert f"PUT [type]?identifier={ID_SYSTEM}|<id>" in section
    assert fhir_target.conditional_url("Patient", "<id>") == (
        f"Patient?identifier={ID_SYSTEM}%7C%3Cid%3E")
    assert f"`{TAG_SYSTEM}|<export id>`" in section
    for status in ("409", "422", "429"):
        assert status in section
