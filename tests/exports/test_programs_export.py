"""The exports cope with APCM and CoCM (issue 15): a monthly APCM line with no minutes and
the 2026 behavioral-health add-on arrive in a valid FHIR R4 bundle, the CSV and the JSON,
named by program, with the standalone CoCM code they replace listed as held."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta

from fhir.resources.R4B.bundle import Bundle

from ccm_timer.exports import csv_file, fhir, json_file
from ccm_timer.services import exports
from ccm_timer.services.month import approvals
from ccm_timer.services.people import conditions, patients
from ccm_timer.services.timing import entries
from tests.fixtures import clinic
from tests.fixtures.clinic import approver

TOLD = "cost-sharing,one-practitioner,right-to-stop"


def _apcm_patient(ctx) -> None:
    """T4001: APCM and CoCM consented in October, two chronic conditions, a QMB, and 65
    minutes of CoCM care-manager work in November (G0558 + G0569; 99493 held)."""
    patients.add(ctx, mrn="T4001", name="Testpatient, Ida", qmb=True)
    for program in ("APCM", "COCM"):
        patients.set_consent(ctx, "T4001", program, date(2026, 10, 1), "verbal",
                             by=clinic.NURSE, disclosures=TOLD)
    for code in ("E11.9", "I10"):
        conditions.add(ctx, "T4001", code, date(2019, 4, 1))
    start = clinic.DAY + timedelta(days=2, hours=5)  # clear of the clinic's other calls
    entries.add_manual(ctx, patient_mrn="T4001", category_slug="cocm-care-manager",
                       start=start, end=start + timedelta(minutes=65))


def _lines(doc: dict, mrn: str) -> list[tuple[str, str]]:
    patient = next(p for p in doc["patients"] if p["mrn"] == mrn)
    return [(x["code"], x["program"]) for x in patient["lines"]]


def test_apcm_and_its_add_on_in_every_billing_format(month_clinic):
    ctx, _ = month_clinic
    _apcm_patient(ctx)
    approvals.approve(ctx, clinic.MONTH, by=approver(ctx))
    doc, _ = exports.build(ctx, clinic.MONTH, billing=True)
    assert _lines(doc, "T4001") == [("G0558", "APCM"), ("G0569", "APCM")]
    patient = next(p for p in doc["patients"] if p["mrn"] == "T4001")
    assert [x["code"] for x in patient["held_lines"]] == ["99493"]
    line = patient["lines"][0]
    assert (line["minutes"], line["rendering"], line["held"]) == (0, [], False)  # no minutes
    # The add-on bills CoCM's month of work: that work is the time behind it.
    addon = patient["lines"][1]
    assert len(addon["entry_ids"]) == 1 and addon["rendering_label"].startswith(clinic.NURSE)
    assert {e["program"]: e["program_name"] for e in patient["programs"]} == {
        "APCM": "Advanced Primary Care Management",
        "COCM": "Psychiatric Collaborative Care Management"}

    bundle = fhir.render(doc)
    Bundle.model_validate_json(bundle)  # raises on anything R4 does not allow
    charges = [e["resource"] for e in json.loads(bundle)["entry"]
               if e["resource"]["resourceType"] == "ChargeItem"]
    assert {"G0558", "G0569"} <= {c["code"]["coding"][0]["code"] for c in charges}

    rows = list(csv.DictReader(io.StringIO(csv_file.render(doc).decode("utf-8-sig"),
                                           newline="")))
    assert [r["code"] for r in rows if r["mrn"] == "T4001"] == ["G0558", "G0569"]

    data = json.loads(json_file.render(doc))
    assert [(x["code"], x["program"], x["minutes"]) for x in data["lines"]
            if x["patient"]["mrn"] == "T4001"] == [("G0558", "APCM", 0), ("G0569", "APCM", 0)]
