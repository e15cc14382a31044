"""The FHIR export is a valid R4 transaction Bundle (checked with fhir.resources' R4B
models: R4B changed none of the resources used here), with ids derived from ours so a
second PUT of the same month changes nothing."""

from __future__ import annotations

import json
import uuid

from fhir.resources.R4B.bundle import Bundle

from ccm_timer.exports import fhir
from ccm_timer.services import exports
from ccm_timer.services.month import approvals
from ccm_timer.sync import fhir_target
from tests.fixtures import clinic
from tests.fixtures.clinic import approver, corrector, exporter


def bundle(ctx, **kw) -> dict:
    doc, _ = exports.build(ctx, clinic.MONTH, billing=True, **kw)
    data = fhir.render(doc)
    Bundle.model_validate_json(data)  # raises on anything R4 does not allow
    return json.loads(data)


def by_type(doc: dict, kind: str) -> list[dict]:
    return [e["resource"] for e in doc["entry"] if e["resource"]["resourceType"] == kind]


def test_valid_r4_bundle_with_patients_charge_items_and_time(month_clinic):
    ctx, made = month_clinic
    approvals.approve(ctx, clinic.MONTH, by=approver(ctx))
    doc = bundle(ctx)
    assert doc["type"] == "transaction"
    for entry in doc["entry"]:
        res = entry["resource"]
        assert uuid.UUID(res["id"])
        assert entry["request"] == {"method": "PUT", "url": f"{res['resourceType']}/{res['id']}"}
    [patient] = by_type(doc, "Patient")  # only patients with billable lines
    assert patient["identifier"][0]["value"] == "T1001"
    assert patient["birthDate"] == "1950-02-03"
    charges = by_type(doc, "ChargeItem")
    assert [(c["code"]["coding"][0]["code"], c["quantity"]["value"], c["status"])
            for c in charges] == [("99490", 1, "billable"), ("99439", 2, "billable")]
    assert charges[0]["code"]["coding"][0]["system"] == fhir.CPT
    assert charges[0]["occurrencePeriod"] == {"start": "2026-11-01T00:00:00-04:00",
                                              "end": "2026-11-30T23:59:59-05:00"}
    procedures = {p["id"]: p for p in by_type(doc, "Procedure")}
    assert len(procedures) == 4  # the three calls and the care-plan review
    refs = [r["reference"].split("/") for r in charges[0]["supportingInformation"]]
    assert {rid for kind, rid in refs if kind == "Procedure"} == set(procedures)
    # After the time, the conditions the line's diagnoses name (issue 14).
    conditions = {c["id"]: c["code"]["coding"][0]["code"] for c in by_type(doc, "Condition")}
    assert [conditions[rid] for kind, rid in refs if kind == "Condition"] == ["E11.9", "I10"]
    assert [r["coding"][0]["code"] for r in charges[0]["reason"]] == ["E11.9", "I10"]
    plan = procedures[fhir.stable_id("Procedure", made["plan"].origin_id)]
    assert plan["performedPeriod"] == {"start": "2026-11-09T15:00:00+00:00",
                                       "end": "2026-11-09T15:31:20+00:00"}
    npis = [p.get("identifier", [{}])[0].get("value") for p in by_type(doc, "Practitioner")]
    assert "1234567893" in npis
    roles = {p["function"]["text"] for p in charges[0]["performer"]}
    assert roles == {"rendering", "supervising", "billing"}
    # The sync engineer's FHIR target accepts it as is.
    method, path, _body = fhir_target.plan(json.dumps(doc).encode(), "export-1")
    assert (method, path) == ("POST", "")


def test_ids_are_stable_across_exports_and_edits(month_clinic):
    ctx, made = month_clinic
    approvals.approve(ctx, clinic.MONTH, by=approver(ctx))
    first = bundle(ctx, draft=True)
    second = bundle(ctx, draft=True)
    assert [e["resource"]["id"] for e in first["entry"]] == [
        e["resource"]["id"] for e in second["entry"]]
    assert {c["status"] for c in by_type(first, "ChargeItem")} == {"planned"}  # drafts
    from ccm_timer.services.timing import entries

    entries.edit(ctx, str(made["call1"].id), reason="typo in note", note="BP log reviewed.",
                 by=corrector(ctx))
    after = bundle(ctx, draft=True)
    # The edited entry's new version overwrites the same Procedure on the server.
    assert {p["id"] for p in by_type(after, "Procedure")} == {
        p["id"] for p in by_type(first, "Procedure")}
    assert {c["id"] for c in by_type(after, "ChargeItem")} == {
        c["id"] for c in by_type(first, "ChargeItem")}


def test_an_amendment_withdraws_a_line_the_time_no_longer_supports(month_clinic):
    from ccm_timer.exports import csv_file
    from ccm_timer.services.timing import entries

    ctx, made = month_clinic
    approvals.approve(ctx, clinic.MONTH, by=approver(ctx))
    exports.export_month(ctx, clinic.MONTH, "fhir", by=exporter(ctx))
    sent = {c["code"]["coding"][0]["code"]: c["id"] for c in by_type(bundle(ctx), "ChargeItem")}
    entries.void(ctx, str(made["plan"].id), reason="entered for the wrong patient",
                 by=corrector(ctx, clinic.PHYSICIAN))
    approvals.approve(ctx, clinic.MONTH, "T1001", by=approver(ctx))
    doc = bundle(ctx)
    assert doc["meta"]["tag"][0]["code"] == "amendment"
    charges = {c["code"]["coding"][0]["code"]: c for c in by_type(doc, "ChargeItem")}
    assert charges["99490"]["status"] == "billable"
    assert charges["99439"]["status"] == "entered-in-error"
    assert {k: c["id"] for k, c in charges.items()} == sent  # the same resources, updated
    assert len(by_type(doc, "Procedure")) == 3  # the voided review supports nothing now
    built, _ = exports.build(ctx, clinic.MONTH, billing=True)
    rows = [r for r in csv_file.rows(built) if r[0] == "T1001"]
    assert [(r[5], r[8], r[17]) for r in rows] == [("99490", 1, "approved"),
                                                   ("99439", 0, "withdrawn")]
    assert "voided (entered for the wrong patient)" in rows[1][21]
