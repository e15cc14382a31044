"""The FHIR R4 export: a transaction Bundle of PUTs, so posting it twice changes nothing.

- Patient, identified by MRN;
- Practitioner for everyone whose time or name is on a line (NPI when known);
- Procedure for each supporting time entry (who, when, what), id derived from the entry's
  origin so an edited entry overwrites its earlier version on the server;
- ChargeItem for each claim line: CPT/HCPCS code, quantity, the month as occurrence period,
  performers, its ICD-10-CM diagnoses as `reason` (in the line's order: the diagnosis
  pointers), the Procedures and the diagnoses' Conditions as supporting information;
- the patient's record (exports/fhir_record.py): Condition, CarePlan with Goals, Consent.

Every id is a UUID derived from ours (document.stable_id): the same patient-month and code
always map to the same ChargeItem, so an amendment replaces what was sent before.
"""

from __future__ import annotations

import json
from typing import Any

from ccm_timer.exports import fhir_record
from ccm_timer.exports.document import stable_id

CPT = "http://www.ama-assn.org/go/cpt"
HCPCS = "urn:oid:2.16.840.1.113883.6.285"  # HCPCS Level II (G codes)
NPI = "http://hl7.org/fhir/sid/us-npi"
MRN_SYSTEM = "urn:ccm-timer:mrn"  # a clinic's own MRN system URI can replace it
ENTRY_SYSTEM = "urn:ccm-timer:entry"
EXPORT_KIND = "urn:ccm-timer:export-kind"
AUDIT_CHAIN_HEAD = "urn:ccm-timer:audit-chain-head"  # the trail this file was made from


def _ref(kind: str, rid: str) -> dict[str, str]:
    return {"reference": f"{kind}/{rid}"}


def _patient(p: dict[str, Any], mrn_system: str) -> dict[str, Any]:
    res: dict[str, Any] = {
        "resourceType": "Patient",
        "id": stable_id("Patient", p["id"]),
        "identifier": [{
            "use": "usual",
            "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203",
                                 "code": "MR"}]},
            "system": mrn_system,
            "value": p["mrn"],
        }],
        "name": [{"family": p["family_name"], "given": [p["given_name"]]}],
    }
    if p["birth_date"]:
        res["birthDate"] = p["birth_date"]
    return res


def _practitioner(person: dict[str, Any]) -> dict[str, Any]:
    res: dict[str, Any] = {
        "resourceType": "Practitioner",
        "id": stable_id("Practitioner", person["id"]),
        "name": [{"text": person["name"]}],
    }
    if person["npi"]:
        res["identifier"] = [{"system": NPI, "value": person["npi"]}]
    if person["credential"]:
        res["qualification"] = [{"code": {"text": person["credential"]}}]
    return res


def _procedure(entry: dict[str, Any], patient_ref: dict[str, str]) -> dict[str, Any]:
    res: dict[str, Any] = {
        "resourceType": "Procedure",
        "id": stable_id("Procedure", entry["origin_id"]),
        "identifier": [{"system": ENTRY_SYSTEM, "value": entry["origin_id"]},
                       {"system": f"{ENTRY_SYSTEM}-version", "value": entry["id"]}],
        "status": "in-progress" if entry["running"] else "completed",
        "category": {"text": entry["program_name"]},
        "code": {"text": entry["activity"]},
        "subject": patient_ref,
        "performedPeriod": {"start": entry["start_utc"]},
        "performer": [{
            "function": {"text": entry["clinician"]["role_label"]},
            "actor": _ref("Practitioner", stable_id("Practitioner", entry["clinician"]["id"])),
        }],
    }
    if entry["end_utc"]:
        res["performedPeriod"]["end"] = entry["end_utc"]
    notes = [f"{entry['minutes_text']} (version {entry['version']})"]
    if entry["note"]:
        notes.append(entry["note"])
    res["note"] = [{"text": n} for n in notes]
    return res


def _performers(line: dict[str, Any]) -> list[dict[str, Any]]:
    out = [(p, "rendering") for p in line["rendering"]]
    if line["supervising"]:
        out.append((line["supervising"], "supervising"))
    if line["billing"]:
        out.append((line["billing"], "billing"))
    return [{"function": {"text": role},
             "actor": _ref("Practitioner", stable_id("Practitioner", p["id"]))}
            for p, role in out]


def _charge_item(doc: dict[str, Any], p: dict[str, Any], line: dict[str, Any],
                 patient_ref: dict[str, str]) -> dict[str, Any]:
    system = HCPCS if line["code"][:1].isalpha() else CPT
    notes = ["Draft: not approved for billing." if line["draft"] else "Approved."]
    if p["amended"]:
        notes.append("Amended after export: " + "; ".join(c["summary"] for c in p["changes"]))
    if p["qmb"]:
        notes.append("QMB: the patient is a Qualified Medicare Beneficiary and may not be "
                     "billed Medicare cost-sharing (deductible or coinsurance).")
    notes += line["warnings"]
    by_id = {e["id"]: e for e in p["entries"]}
    reasons, conditions = fhir_record.diagnoses(p, line)
    res = {
        "resourceType": "ChargeItem",
        "id": line["id"],
        "status": "planned" if line["draft"] else "billable",
        "code": {"coding": [{"system": system, "code": line["code"], "display": line["name"]}],
                 "text": line["name"]},
        "subject": patient_ref,
        "occurrencePeriod": {"start": doc["period"]["start"], "end": doc["period"]["end"]},
        "performer": _performers(line),
        "quantity": {"value": line["units"]},
        "enteredDate": doc["generated_at"],
        "supportingInformation": [
            _ref("Procedure", stable_id("Procedure", by_id[i]["origin_id"]))
            for i in line["entry_ids"]] + conditions,
        "note": [{"text": n} for n in notes],
    }
    if reasons:
        res["reason"] = reasons
    return res


def _withdrawn(line: dict[str, Any], patient_ref: dict[str, str]) -> dict[str, Any]:
    """A line an earlier export sent that the time no longer supports: same id, so the
    server's copy is marked entered-in-error rather than left billable."""
    system = HCPCS if line["code"][:1].isalpha() else CPT
    return {
        "resourceType": "ChargeItem",
        "id": line["id"],
        "status": "entered-in-error",
        "code": {"coding": [{"system": system, "code": line["code"], "display": line["name"]}],
                 "text": line["name"]},
        "subject": patient_ref,
        "note": [{"text": "Withdrawn by an amendment: the time no longer supports this code."}],
    }


def resources(doc: dict[str, Any], mrn_system: str = MRN_SYSTEM) -> list[dict[str, Any]]:
    people: dict[str, dict[str, Any]] = {}
    sent: list[tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]] = []
    for p in doc["patients"]:
        if not p["lines"] and not p["withdrawn_lines"]:
            continue
        patient = _patient(p, mrn_system)
        ref = _ref("Patient", patient["id"])
        used: set[str] = set()
        charges = []
        for line in p["lines"]:
            charges.append(_charge_item(doc, p, line, ref))
            used.update(line["entry_ids"])
            for person in (*line["rendering"], line["supervising"], line["billing"]):
                if person:
                    people.setdefault(person["id"], person)
        for e in p["entries"]:
            if e["id"] in used:
                people.setdefault(e["clinician"]["id"], e["clinician"])
        sent.append((p, patient, [_procedure(e, ref) for e in p["entries"] if e["id"] in used]
                     + charges + [_withdrawn(line, ref) for line in p["withdrawn_lines"]]))
    # The record once everyone on a line is known: who obtained a consent is then a
    # reference to their Practitioner when the bundle holds it.
    by_name = {person["name"]: person for person in people.values()}
    out = [_practitioner(people[k]) for k in sorted(people)]
    for p, patient, rest in sent:
        ref = _ref("Patient", patient["id"])
        out += [patient, *fhir_record.record(p, ref, doc["month_label"], by_name), *rest]
    return out


def render(doc: dict[str, Any], mrn_system: str = MRN_SYSTEM) -> bytes:
    kind = "draft" if doc["draft"] else "amendment" if doc["amendment"] else "final"
    bundle = {
        "resourceType": "Bundle",
        "meta": {"tag": [{"system": EXPORT_KIND, "code": kind},
                         {"system": AUDIT_CHAIN_HEAD, "code": doc["audit_chain_head"]}]},
        "type": "transaction",
        "timestamp": doc["generated_at"],
        "entry": [
            {"fullUrl": f"urn:uuid:{r['id']}", "resource": r,
             "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"}}
            for r in resources(doc, mrn_system)
        ],
    }
    return (json.dumps(bundle, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
