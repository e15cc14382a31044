"""The patient's record in the FHIR export (exports/fhir_record.py): Condition, CarePlan with
Goals, Consent, and the claim lines' diagnoses. Every resource is validated with
fhir.resources' R4B models (R4B changed none of these resources from R4), every reference
resolves inside the bundle, ids are stable, and the FHIR target still takes the bundle.

The documents here are built by exports/document.py from hand-made rows, with the record as
services/exports/gather.py adds it; the end-to-end tests at the bottom go through gather."""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

from ccm_timer.core.month import parse_month
from ccm_timer.exports import document, fhir, fhir_record
from ccm_timer.sync import fhir_target
from tests.fixtures.clinic import approver, exporter

ZONE = ZoneInfo("America/New_York")
MONTH = parse_month("2026-11")
NURSE = {"id": "c-nurse", "name": "Avery Nurse", "credential": "RN", "role": "clinical_staff",
         "npi": None}
DOCTOR = {"id": "c-doc", "name": "Dr Blake Test", "credential": "MD", "role": "practitioner",
          "npi": "1234567893"}
PEOPLE = {p["name"]: p for p in (NURSE, DOCTOR)}
CODES = {"99490": {"name": "CCM, clinical staff, first 20 min", "program": "CCM",
                   "threshold_minutes": 20, "time": "staff"}}


def _entry(n: int, day: int, minutes: int) -> dict:
    start = datetime(2026, 11, day, 15, 0, tzinfo=UTC)
    return document.entry_item({
        "id": f"e{n}", "origin_id": f"o{n}", "version": 1, "supersedes_id": None,
        "start": start, "end": start.replace(minute=minutes), "state": "stopped",
        "seconds": minutes * 60, "clinician": NURSE["name"], "clinician_role": "clinical_staff",
        "category": "phone-call", "category_label": "Phone call", "program": "CCM",
        "note": "", "source": "timer"}, ZONE, PEOPLE)


def _conditions() -> list[dict]:
    return [
        {"code": "E11.9", "description": "Type 2 diabetes mellitus without complications",
         "since": "2019-04-01", "since_label": "04/01/2019", "chronic": True,
         "category": "Diabetes"},
        {"code": "I10", "description": "Essential (primary) hypertension", "since": None,
         "since_label": "", "chronic": True, "category": "Hypertension"},
        {"code": "J06.9", "description": "Acute upper respiratory infection, unspecified",
         "since": "2026-11-02", "since_label": "11/02/2026", "chronic": False,
         "category": None},
    ]


def _item(kind: str, text: str, code: str | None, day: int, by: str = "Dr Blake Test") -> dict:
    at = datetime(2026, 11, day, 14, 0, tzinfo=UTC)
    return {"kind": kind, "text": text, "condition_code": code, "created_at": at.isoformat(),
            "created_label": at.astimezone(ZONE).strftime("%m/%d/%Y"), "created_by": by}


def _care_plan() -> dict:
    review = datetime(2026, 11, 9, 15, 0, tzinfo=UTC)
    return {
        "items": [
            _item("problem", "Type 2 diabetes, A1c above goal", "E11.9", 3),
            _item("problem", "Lives alone, misses doses", None, 3, by="Avery Nurse"),
            _item("goal", "A1c below 8% by March 2027", "E11.9", 3),
            _item("goal", "Home blood pressure below 140/90", "I10", 3),
            _item("intervention", "Monthly call: medications, home BP log, diet", None, 3),
            _item("intervention", "Diabetes education referral", "E11.9", 4),
        ],
        "last_review": {"at": review.isoformat(), "at_label": "11/09/2026 10:00",
                        "by": "Dr Blake Test", "substantial": True},
        "revised_in_month": True,
    }


def _consent(program: str = "CCM", **changes) -> dict:
    row = {"program": program, "program_name": document.PROGRAM_NAMES[program],
           "date": "2026-01-05", "date_label": "01/05/2026", "method": "verbal",
           "obtained_by": "Avery Nurse",
           "disclosures": ["cost-sharing", "one-practitioner", "right-to-stop"],
           "disclosure_labels": ["cost-sharing", "one practitioner a month",
                                 "right to stop"],
           "complete": True, "missing": [], "withdrawn_on": None, "has_document": False}
    return {**row, **changes}


def month_doc(*, consents=None, care_plan=None, qmb=False, diagnoses=("E11.9", "I10")) -> dict:
    entries = [_entry(1, 3, 12), _entry(2, 4, 12)]
    result = {"lines": [{"code": "99490", "program": "CCM", "track": "ccm_staff", "units": 1,
                         "seconds": 1440, "held": False, "hold_reason": None}],
              "seconds": {"by_role": {"clinical_staff": 1440}, "by_program": {"CCM": 1440}},
              "warnings": [], "next": []}
    p = document.patient_month(
        patient={"id": "p1", "mrn": "T1001", "family_name": "Testpatient", "given_name": "Alma",
                 "birth_date": "1950-02-03"},
        result=result, entries=entries,
        enrollments=[{"program": "CCM", "consent_date": "2026-01-05", "consent_method": "verbal",
                      "start_date": "2026-01-05", "end_date": None}],
        codes=CODES, billing=document.person(DOCTOR), approval=None, changes=[],
        draft=False, month=MONTH)
    # The record, as services/exports/gather.py adds it.
    p.update(conditions=_conditions(), qmb=qmb,
             care_plan=_care_plan() if care_plan is None else care_plan,
             consents=[_consent()] if consents is None else consents)
    for line in p["lines"]:
        line["diagnoses"] = list(diagnoses)
    doc = document.month_document(
        month=MONTH, zone=ZONE, generated_at=datetime(2026, 12, 1, 15, tzinfo=UTC),
        generated_by="Dr Blake Test", scope="all", draft=False, patients=[p])
    doc["audit_chain_head"] = "0" * 64
    return doc


# The codes of R4's required bindings these resources use: fhir.resources checks a code's
# shape, not its value set.
REQUIRED = {
    ("Condition", "clinicalStatus"): {"active", "recurrence", "relapse", "inactive",
                                      "remission", "resolved"},
    ("Condition", "verificationStatus"): {"unconfirmed", "provisional", "differential",
                                          "confirmed", "refuted", "entered-in-error"},
    ("CarePlan", "status"): {"draft", "active", "on-hold", "revoked", "completed",
                             "entered-in-error", "unknown"},
    ("CarePlan", "intent"): {"proposal", "plan", "order", "option"},
    ("Goal", "lifecycleStatus"): {"proposed", "planned", "accepted", "active", "on-hold",
                                  "completed", "cancelled", "entered-in-error", "rejected"},
    ("Consent", "status"): {"draft", "proposed", "active", "rejected", "inactive",
                            "entered-in-error"},
    ("ChargeItem", "status"): {"planned", "billable", "not-billable", "aborted", "billed",
                               "entered-in-error", "unknown"},
}
ACTIVITY_STATUS = {"not-started", "scheduled", "in-progress", "on-hold", "completed",
                   "cancelled", "stopped", "unknown", "entered-in-error"}


def _bound(res: dict) -> None:
    for (kind, field), codes in REQUIRED.items():
        if res["resourceType"] == kind:
            value = res[field]
            code = value["coding"][0]["code"] if isinstance(value, dict) else value
            assert code in codes, (kind, field, code)
    for activity in res.get("activity", []) if res["resourceType"] == "CarePlan" else []:
        assert activity["detail"]["status"] in ACTIVITY_STATUS
    for provision in [res["provision"]] if "provision" in res else []:
        assert provision["type"] in {"deny", "permit"}


def render(doc: dict) -> dict:
    data = fhir.render(doc)
    Bundle.model_validate_json(data)  # raises on anything R4 does not allow
    bundle = json.loads(data)
    for entry in bundle["entry"]:  # and each resource by its own model, not just as an entry
        res = entry["resource"]
        get_fhir_model_class(res["resourceType"]).model_validate(res)
        _bound(res)
    return bundle


def by_type(bundle: dict, kind: str) -> list[dict]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def one(bundle: dict, kind: str) -> dict:
    [res] = by_type(bundle, kind)
    return res


def references(value) -> list[str]:
    return re.findall(r'"reference": "([^"]+)"', json.dumps(value))


def test_every_reference_resolves_inside_the_bundle():
    bundle = render(month_doc())
    held = {f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in bundle["entry"]}
    refs = references(bundle)
    assert refs and set(refs) <= held, set(refs) - held
    kinds = {r.split("/")[0] for r in refs}
    assert {"Patient", "Condition", "Goal", "Practitioner", "Procedure"} <= kinds
    assert {e["resource"]["resourceType"] for e in bundle["entry"]} >= {
        "Condition", "CarePlan", "Goal", "Consent"}


def test_conditions_carry_the_icd10cm_code_and_say_which_are_chronic():
    bundle = render(month_doc())
    patient = one(bundle, "Patient")
    found = {c["code"]["coding"][0]["code"]: c for c in by_type(bundle, "Condition")}
    assert list(found) == ["E11.9", "I10", "J06.9"]
    diabetes = found["E11.9"]
    assert diabetes["code"]["coding"] == [{
        "system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "E11.9",
        "display": "Type 2 diabetes mellitus without complications"}]
    assert diabetes["subject"] == {"reference": f"Patient/{patient['id']}"}
    assert diabetes["clinicalStatus"]["coding"] == [{
        "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
        "code": "active"}]
    assert diabetes["onsetDateTime"] == "2019-04-01"
    assert "onsetDateTime" not in found["I10"]  # no since-date, no onset
    for c in found.values():
        assert c["category"][0]["coding"][0] == {
            "system": "http://terminology.hl7.org/CodeSystem/condition-category",
            "code": "problem-list-item", "display": "Problem List Item"}

    def chronic(c: dict) -> list[dict]:
        return [cat for cat in c["category"]
                if cat["coding"][0]["system"] == fhir_record.CHRONIC_SYSTEM]

    assert chronic(diabetes) == [{"coding": [{"system": "urn:ccm-timer:chronic-condition",
                                              "code": "chronic",
                                              "display": "Chronic condition"}],
                                  "text": "Chronic condition (Diabetes)"}]
    assert chronic(found["I10"]) and not chronic(found["J06.9"])  # the acute one is not


def test_ids_are_stable_across_renders_and_record_changes():
    doc = month_doc()
    first, second = render(doc), render(copy.deepcopy(doc))
    assert [e["resource"]["id"] for e in first["entry"]] == [
        e["resource"]["id"] for e in second["entry"]]
    assert all(e["fullUrl"] == f"urn:uuid:{e['resource']['id']}" for e in first["entry"])
    # A condition, goal or consent keeps its id when the rest of the record changes, so a
    # later export overwrites it on the server instead of adding a copy.
    changed = month_doc(consents=[_consent(withdrawn_on="2026-12-31"), _consent("RPM")])
    changed["patients"][0]["conditions"] = _conditions()[::-1][:2]
    changed["patients"][0]["care_plan"]["items"].pop(0)
    after = render(changed)

    def ids(bundle: dict, kind: str, key) -> dict:
        return {key(r): r["id"] for r in by_type(bundle, kind)}

    code = lambda r: r["code"]["coding"][0]["code"]  # noqa: E731
    assert ids(after, "Condition", code).items() <= ids(first, "Condition", code).items()
    text = lambda r: r["description"]["text"]  # noqa: E731
    assert ids(after, "Goal", text) == ids(first, "Goal", text)
    program = lambda r: r["category"][1]["coding"][0]["code"]  # noqa: E731
    assert ids(after, "Consent", program)["CCM"] == ids(first, "Consent", program)["CCM"]
    assert one(after, "CarePlan")["id"] == one(first, "CarePlan")["id"]
    # Another patient's record gets other ids.
    other = month_doc()
    other["patients"][0]["id"] = "p2"
    assert not {r["id"] for r in by_type(render(other), "Condition")} & {
        r["id"] for r in by_type(first, "Condition")}


def test_the_care_plan_addresses_its_problems_with_goals_interventions_and_review():
    bundle = render(month_doc())
    patient = one(bundle, "Patient")
    conditions = {c["code"]["coding"][0]["code"]: c["id"] for c in by_type(bundle, "Condition")}
    plan = one(bundle, "CarePlan")
    assert (plan["status"], plan["intent"]) == ("active", "plan")
    assert plan["subject"] == {"reference": f"Patient/{patient['id']}"}
    # Only the problem linked to a condition addresses one; both are in the description.
    assert plan["addresses"] == [{"reference": f"Condition/{conditions['E11.9']}",
                                  "display": "Type 2 diabetes, A1c above goal"}]
    assert plan["description"] == ("Problems: Type 2 diabetes, A1c above goal (E11.9); "
                                   "Lives alone, misses doses")
    goals = {g["description"]["text"]: g for g in by_type(bundle, "Goal")}
    assert set(goals) == {"A1c below 8% by March 2027", "Home blood pressure below 140/90"}
    assert sorted(r["reference"] for r in plan["goal"]) == sorted(
        f"Goal/{g['id']}" for g in goals.values())
    bp = goals["Home blood pressure below 140/90"]
    assert bp["lifecycleStatus"] == "active"
    assert bp["subject"] == plan["subject"]
    assert bp["addresses"] == [{"reference": f"Condition/{conditions['I10']}"}]
    assert bp["note"][0]["authorString"] == "Dr Blake Test"
    activities = [a["detail"] for a in plan["activity"]]
    assert [a["description"] for a in activities] == [
        "Monthly call: medications, home BP log, diet", "Diabetes education referral"]
    assert {a["status"] for a in activities} == {"in-progress"}
    assert activities[1]["reasonReference"] == [{"reference":
                                                 f"Condition/{conditions['E11.9']}"}]
    review, revised = plan["note"][:2]
    assert review == {"text": "Care plan last reviewed (a substantial revision).",
                      "authorString": "Dr Blake Test", "time": "2026-11-09T15:00:00+00:00"}
    assert revised == {"text": "Care plan substantially revised in November 2026."}
    assert plan["contributor"] == [{"display": "Avery Nurse"}, {"display": "Dr Blake Test"}]


def test_a_plan_never_reviewed_says_so_and_no_plan_sends_none():
    plan = _care_plan()
    plan.update(last_review=None, revised_in_month=False)
    [note, *_] = one(render(month_doc(care_plan=plan)), "CarePlan")["note"]
    assert note == {"text": "Care plan never reviewed."}
    empty = render(month_doc(care_plan={"items": [], "last_review": None,
                                        "revised_in_month": False}))
    assert not by_type(empty, "CarePlan") and not by_type(empty, "Goal")


def _ext(res: dict, url: str) -> list:
    return [next(v for k, v in e.items() if k.startswith("value"))
            for e in res.get("extension", []) if e["url"] == url]


def test_a_consent_per_enrolment_with_method_who_and_disclosures():
    bundle = render(month_doc(consents=[_consent(), _consent("RPM", method="written",
                                                             has_document=True)]))
    patient_ref = {"reference": f"Patient/{one(bundle, 'Patient')['id']}"}
    ccm, rpm = by_type(bundle, "Consent")
    assert ccm["status"] == "active"
    assert ccm["scope"] == {"coding": [{
        "system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "treatment",
        "display": "Treatment"}]}
    assert ccm["category"][0]["coding"][0] == {"system": "http://loinc.org", "code": "59284-0",
                                               "display": "Patient Consent"}
    assert ccm["category"][1]["coding"][0]["code"] == "CCM"
    assert rpm["category"][1]["coding"][0]["code"] == "RPM"
    # R4 invariants fhir.resources does not check: ppc-1 (a policy or policyRule) and
    # ppc-5 (a treatment consent names its patient).
    for consent in (ccm, rpm):
        assert consent.get("policy") or consent.get("policyRule")
        assert consent["patient"] == patient_ref
    assert ccm["policyRule"]["coding"][0]["code"] == "OPTIN"
    assert ccm["dateTime"] == "2026-01-05"
    assert ccm["provision"] == {"type": "permit", "period": {"start": "2026-01-05"}}
    assert _ext(ccm, fhir_record.CONSENT_METHOD) == ["verbal"]
    # The nurse's Practitioner is in the bundle (her calls support the line): a reference.
    nurse = fhir.stable_id("Practitioner", NURSE["id"])
    assert _ext(ccm, fhir_record.CONSENT_OBTAINED_BY) == [
        {"reference": f"Practitioner/{nurse}", "display": "Avery Nurse"}]
    assert [c["code"] for c in _ext(ccm, fhir_record.CONSENT_DISCLOSURE)] == [
        "cost-sharing", "one-practitioner", "right-to-stop"]
    assert _ext(ccm, fhir_record.CONSENT_DOCUMENT) == []
    assert _ext(rpm, fhir_record.CONSENT_METHOD) == ["written"]
    assert _ext(rpm, fhir_record.CONSENT_DOCUMENT) == [True]


def test_a_withdrawn_consent_is_inactive_from_that_day():
    consent = one(render(month_doc(consents=[_consent(withdrawn_on="2026-11-20")])), "Consent")
    assert consent["status"] == "inactive"
    assert consent["provision"]["period"] == {"start": "2026-01-05", "end": "2026-11-20"}


def test_an_incomplete_or_missing_consent_says_what_is_missing():
    incomplete = _consent(method=None, obtained_by="Someone Elsewhere",
                          disclosures=["cost-sharing"], disclosure_labels=["cost-sharing"],
                          complete=False, missing=["one-practitioner", "right-to-stop"])
    none = _consent("RPM", date=None, date_label="not on file", method=None,
                    obtained_by=None, disclosures=[], disclosure_labels=[], complete=False,
                    missing=["consent date", "method", "who obtained it"])
    first, second = by_type(render(month_doc(consents=[incomplete, none])), "Consent")
    assert first["status"] == "active"  # the patient agreed; the record lacks elements
    assert _ext(first, fhir_record.CONSENT_METHOD) == []
    assert _ext(first, fhir_record.CONSENT_MISSING) == ["one-practitioner", "right-to-stop"]
    # Not in the bundle: a name, no reference.
    assert _ext(first, fhir_record.CONSENT_OBTAINED_BY) == [{"display": "Someone Elsewhere"}]
    assert second["status"] == "proposed"
    assert "dateTime" not in second and "provision" not in second
    assert _ext(second, fhir_record.CONSENT_MISSING) == [
        "consent date", "method", "who obtained it"]


def test_a_claim_line_points_at_its_diagnoses_in_order():
    bundle = render(month_doc(diagnoses=("I10", "E11.9")))
    conditions = {c["code"]["coding"][0]["code"]: c["id"] for c in by_type(bundle, "Condition")}
    charge = one(bundle, "ChargeItem")
    assert [r["coding"][0] for r in charge["reason"]] == [
        {"system": fhir_record.ICD10CM, "code": "I10",
         "display": "Essential (primary) hypertension"},
        {"system": fhir_record.ICD10CM, "code": "E11.9",
         "display": "Type 2 diabetes mellitus without complications"}]
    support = [r["reference"] for r in charge["supportingInformation"]]
    assert support[-2:] == [f"Condition/{conditions['I10']}", f"Condition/{conditions['E11.9']}"]
    assert all(r.startswith("Procedure/") for r in support[:-2])
    assert "reason" not in one(render(month_doc(diagnoses=())), "ChargeItem")


def test_a_qmb_patient_is_noted_on_the_charge():
    def notes(qmb):
        return [n["text"] for n in one(render(month_doc(qmb=qmb)), "ChargeItem")["note"]]

    assert any("Qualified Medicare Beneficiary" in n for n in notes(True))
    assert not any("Qualified Medicare Beneficiary" in n for n in notes(False))
    assert not any("Qualified Medicare Beneficiary" in n for n in notes(None))  # unknown


def test_the_fhir_target_sends_the_record_with_every_reference_inside_the_transaction():
    content = fhir.render(month_doc())
    method, path, body = fhir_target.plan(content, "export-1")
    assert (method, path) == ("POST", "")
    planned = json.loads(body)
    urls = {e["fullUrl"] for e in planned["entry"]}
    refs = references(planned)
    # Every reference is to an entry of the same transaction (none left to a server search).
    assert refs and set(refs) <= urls, set(refs) - urls
    kinds = [e["request"]["url"].split("?")[0] for e in planned["entry"]]
    assert {"Condition", "CarePlan", "Goal", "Consent"} <= set(kinds)



# --- end to end: the November clinic (tests/fixtures/clinic.py) as gather builds it --------


def _exported(ctx, **kw) -> dict:
    from ccm_timer.services import exports

    doc, _ = exports.build(ctx, "2026-11", billing=True, **kw)
    return render(doc)


def _approved(month_clinic):
    from ccm_timer.services.month import approvals

    ctx, made = month_clinic
    approvals.approve(ctx, "2026-11", by=approver(ctx))
    return ctx, made


def test_the_months_export_carries_t1001s_record(month_clinic):
    ctx, _ = _approved(month_clinic)
    bundle = _exported(ctx)
    held = {f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in bundle["entry"]}
    assert set(references(bundle)) <= held
    patient = one(bundle, "Patient")
    assert patient["identifier"][0]["value"] == "T1001"
    conditions = {c["code"]["coding"][0]["code"]: c for c in by_type(bundle, "Condition")}
    assert set(conditions) == {"E11.9", "I10", "J06.9"}
    assert conditions["E11.9"]["code"]["coding"][0]["system"] == (
        "http://hl7.org/fhir/sid/icd-10-cm")
    assert conditions["E11.9"]["onsetDateTime"] == "2019-04-01"
    assert len(conditions["I10"]["category"]) == 2  # problem-list-item and chronic
    assert len(conditions["J06.9"]["category"]) == 1  # acute
    # The CCM lines point at the chronic conditions, not the acute one.
    for charge in by_type(bundle, "ChargeItem"):
        assert [r["coding"][0]["code"] for r in charge["reason"]] == ["E11.9", "I10"]
    plan = one(bundle, "CarePlan")
    assert plan["addresses"] == [{"reference": f"Condition/{conditions['E11.9']['id']}",
                                  "display": "Type 2 diabetes, A1c above goal"}]
    goals = {g["description"]["text"]: g for g in by_type(bundle, "Goal")}
    assert set(goals) == {"A1c below 8% by March 2027", "Home blood pressure below 140/90"}
    assert goals["Home blood pressure below 140/90"]["addresses"] == [
        {"reference": f"Condition/{conditions['I10']['id']}"}]
    assert [a["detail"]["description"] for a in plan["activity"]] == [
        "Monthly call: medications, home BP log, diet"]
    review = plan["note"][0]
    assert review["authorString"] == "Dr Blake Test"
    assert review["time"].startswith("2026-11-09")
    assert "substantial" in review["text"]
    consent = one(bundle, "Consent")
    assert (consent["status"], consent["dateTime"]) == ("active", "2026-01-05")
    assert _ext(consent, fhir_record.CONSENT_METHOD) == ["verbal"]
    nurse = next(p for p in by_type(bundle, "Practitioner") if p["name"][0]["text"] ==
                 "Avery Nurse")
    assert _ext(consent, fhir_record.CONSENT_OBTAINED_BY) == [
        {"reference": f"Practitioner/{nurse['id']}", "display": "Avery Nurse"}]
    assert [c["code"] for c in _ext(consent, fhir_record.CONSENT_DISCLOSURE)] == [
        "cost-sharing", "one-practitioner", "right-to-stop"]
    assert _ext(consent, fhir_record.CONSENT_MISSING) == []
    # A second export of the same month: the same resources, by id.
    again = _exported(ctx)
    assert [e["resource"]["id"] for e in again["entry"]] == [
        e["resource"]["id"] for e in bundle["entry"]]


def test_a_consent_withdrawn_after_the_month_is_inactive(month_clinic):
    from datetime import date

    from ccm_timer.services.people import patients

    ctx, _ = _approved(month_clinic)
    before = one(_exported(ctx), "Consent")
    patients.withdraw_consent(ctx, "T1001", "CCM", date(2026, 12, 1), "patient moved away")
    consent = one(_exported(ctx, draft=True), "Consent")
    assert consent["id"] == before["id"]  # the server's copy is updated, not duplicated
    assert consent["status"] == "inactive"
    assert consent["provision"]["period"] == {"start": "2026-01-05", "end": "2026-12-01"}


def test_the_fhir_server_holds_the_record_with_references_resolved(month_clinic, fhir_server,
                                                                   token_keyring):
    from ccm_timer.services import exports
    from ccm_timer.services.delivery import targets
    from ccm_timer.sync.fhir_target import ID_SYSTEM
    from ccm_timer.sync.worker import Worker

    ctx, _ = _approved(month_clinic)
    targets.add(ctx, "ehr", kind="fhir", url=fhir_server.url, secret="tok")
    result = exports.export_month(ctx, "2026-11", "fhir", send="ehr", by=exporter(ctx))
    assert Worker(ctx, timeout=2).run_once().delivered == 1
    sent = [e["resource"] for e in json.loads(result.content)["entry"]]
    assert len(fhir_server.resources) == len(sent)
    for res in sent:
        [key] = fhir_server.find(res["resourceType"], ID_SYSTEM, res["id"])
        if res["resourceType"] in ("Condition", "CarePlan", "Goal", "Consent"):
            held = fhir_server.resources[key]
            refs = references(held)
            assert refs and all(ref in fhir_server.resources for ref in refs), refs
    kinds = sorted({key.split("/")[0] for key in fhir_server.resources})
    assert {"Condition", "CarePlan", "Goal", "Consent"} <= set(kinds)
