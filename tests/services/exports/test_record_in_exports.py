"""The patient's record in every document but FHIR (tests/exports/test_fhir_record.py): the
note, the month summary, the CSV and the JSON say what the month's record held, from the
real database, and agree with the lines the report holds."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

from ccm_timer.services import exports
from ccm_timer.services.month import approvals
from ccm_timer.services.people import patients
from tests.fixtures import clinic
from tests.fixtures.clinic import approver, exporter

ALL_TOLD = "cost-sharing,one-practitioner,right-to-stop"


def csv_rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def alma(data: bytes) -> dict:
    return next(p for p in json.loads(data)["patients"] if p["mrn"] == "T1001")


def test_the_record_in_the_note_summary_csv_and_json(month_clinic):
    ctx, made = month_clinic
    approvals.approve(ctx, clinic.MONTH, by=approver(ctx))
    note = exports.note_for_entry(ctx, made["call1"].id)
    assert ("Consent for CCM: 01/05/2026, verbal, obtained by Avery Nurse, RN\n"
            "  Disclosed: cost sharing; only one practitioner can bill it each month; the "
            "right to stop at any time\n") in note
    assert ("Conditions on file:\n"
            "- E11.9 Type 2 diabetes mellitus without complications (chronic)\n"
            "- I10 Essential (primary) hypertension (chronic)\n"
            "- J06.9 Acute upper respiratory infection, unspecified\n") in note
    assert "Care plan last reviewed 11/09/2026 by Dr Blake Test, MD (substantially revised)."\
        in note
    summary = exports.month_summary(ctx, clinic.MONTH, "T1002")
    assert "Consent: not on file\n" in summary
    assert "Conditions on file: none recorded\nNo care plan review on file.\n" in summary
    rows = csv_rows(exports.export_month(ctx, clinic.MONTH, "csv", by=exporter(ctx)).content)
    assert [(r["mrn"], r["code"], r["diagnoses"]) for r in rows] == [
        ("T1001", "99490", "E11.9;I10"), ("T1001", "99439", "E11.9;I10")]  # no J06.9
    data = exports.export_month(ctx, clinic.MONTH, "json", by=exporter(ctx)).content
    assert [x["diagnoses"] for x in json.loads(data)["lines"]] == [["E11.9", "I10"]] * 2
    record = alma(data)
    assert [(c["code"], c["chronic"]) for c in record["conditions"]] == [
        ("E11.9", True), ("I10", True), ("J06.9", False)]
    assert record["care_plan_review"]["by"] == clinic.PHYSICIAN
    assert record["care_plan_revised_in_month"] is True
    [consent] = record["consents"]
    assert (consent["program"], consent["complete"], consent["obtained_by"]) == (
        "CCM", True, clinic.NURSE)


def test_an_incomplete_consent_is_named_where_its_lines_are_held(month_clinic):
    ctx, _ = month_clinic
    patients.set_consent(ctx, "T1001", "CCM", date(2026, 2, 2), "verbal",
                         disclosures="cost-sharing,one-practitioner")
    summary = exports.month_summary(ctx, clinic.MONTH, "T1001")
    assert ("Consent: 02/02/2026, verbal; incomplete, missing who obtained it, the "
            "right-to-stop disclosure\n"
            "  Disclosed: cost sharing; only one practitioner can bill it each month\n"
            ) in summary
    assert "Codes this time supports: none yet\nHeld, not billable:\n- 99490" in summary
    doc, _ = exports.build(ctx, clinic.MONTH, "T1001", draft=True)
    [consent] = doc["patients"][0]["consents"]
    assert (consent["complete"], consent["missing"]) == (
        False, ["who obtained it", "the right-to-stop disclosure"])
    assert [h["diagnoses"] for h in doc["patients"][0]["held_lines"]] == [
        ["E11.9", "I10"]] * 2


def test_a_withdrawal_and_a_written_consent_with_its_scan(month_clinic):
    ctx, made = month_clinic
    patients.set_consent(ctx, "T1001", "CCM", date(2026, 3, 4), "written", by=clinic.NURSE,
                         disclosures=ALL_TOLD, document=(b"%PDF-1.4\n%scan\n", "application/pdf"))
    patients.withdraw_consent(ctx, "T1001", "CCM", date(2026, 11, 20), "moved away")
    summary = exports.month_summary(ctx, clinic.MONTH, "T1001")
    assert ("Consent: 03/04/2026, written, obtained by Avery Nurse, RN (scanned form on file)\n"
            "  Disclosed: cost sharing; only one practitioner can bill it each month; the "
            "right to stop at any time\n  Consent withdrawn 11/20/2026.\n") in summary
    assert "  Consent withdrawn 11/20/2026.\n" in exports.note_for_entry(ctx, made["plan"].id)
    doc, _ = exports.build(ctx, clinic.MONTH, "T1001", draft=True)
    [consent] = doc["patients"][0]["consents"]
    assert (consent["withdrawn_on"], consent["has_document"], consent["complete"]) == (
        "2026-11-20", True, True)


def test_the_diagnoses_follow_the_clinics_chronic_list(month_clinic):
    """The export reads the clinic's own list, as the report does: here hypertension is
    not chronic for the clinic, so CCM has one chronic condition and its lines are held,
    and an RPM line still points to it."""
    ctx, _ = month_clinic
    (ctx.paths.settings_dir / "chronic_conditions.toml").write_text(
        'schema = 1\nnot_chronic = ["I10"]\n', encoding="utf-8")
    doc, _ = exports.build(ctx, clinic.MONTH, draft=True)
    by_mrn = {p["mrn"]: p for p in doc["patients"]}
    assert [h["diagnoses"] for h in by_mrn["T1001"]["held_lines"]] == [["E11.9"]] * 2
    assert by_mrn["T1001"]["lines"] == []
    assert [h["diagnoses"] for h in by_mrn["T1003"]["held_lines"]] == [["I10"]]
    assert [c["chronic"] for c in by_mrn["T1001"]["conditions"]] == [True, False, False]



def test_a_users_template_reads_the_record_as_the_readme_says(month_clinic):
    ctx, _ = month_clinic
    folder = exports.template_dir(ctx)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "month-summary.txt").write_text(
        "{% for c in patient.conditions if c.chronic %}{{ c.code }}/{{ c.category }} "
        "{% endfor %}|\n"
        "{% for i in patient.care_plan['items'] %}{{ i.kind }}:{{ i.condition_code }} "
        "{% endfor %}|\n"
        "{{ patient.care_plan.last_review.by }} {{ patient.care_plan.revised_in_month }}\n"
        "{% for c in patient.consents %}{{ c.program }} {{ c.date }} {{ c.method }} "
        "{{ c.obtained_by }} {{ c.disclosures|join(',') }} {{ c.complete }}{% endfor %}|\n"
        "{% for line in patient.lines %}{{ line.code }}={{ line.diagnoses|join(';') }} "
        "{% endfor %}{{ patient.qmb }}\n", encoding="utf-8")
    assert exports.month_summary(ctx, clinic.MONTH, "T1001") == (
        "E11.9/Diabetes I10/Hypertension |\n"
        "problem:E11.9 goal:E11.9 goal:I10 intervention:None |\n"
        "Dr Blake Test True\n"
        "CCM 2026-01-05 verbal Avery Nurse cost-sharing,one-practitioner,right-to-stop True|\n"
        "99490=E11.9;I10 99439=E11.9;I10 None\n")
