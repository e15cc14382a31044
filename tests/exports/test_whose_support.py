"""The exports list as a claim line's support only the time the month counted (issue 15):
another practitioner's entries never support a code of the billing practitioner's own time
and support a staff code only when counted as staff time (NGS Medicare: 99491/99437 count
"time only the billing practitioner spends"); entries before a consent day support nothing
(Noridian JE: consent is obtained before the service)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from ccm_timer.services import exports
from ccm_timer.services.people import clinicians, conditions, patients
from ccm_timer.services.timing import entries
from tests.fixtures.clinic import NURSE

DR_B = "Dr Nia Other"
TOLD = "cost-sharing,one-practitioner,right-to-stop"


def _patient(doc: dict, mrn: str) -> dict:
    return next(p for p in doc["patients"] if p["mrn"] == mrn)


def _add(ctx, mrn: str, start: datetime, minutes: int, who: str | None = None):
    return entries.add_manual(ctx, patient_mrn=mrn, category_slug="care-plan", start=start,
                              end=start + timedelta(minutes=minutes), clinician=who)


def test_another_practitioner_supports_a_staff_line_only_when_counted_as_staff(month_clinic):
    ctx, _made = month_clinic
    clinicians.add(ctx, name=DR_B, credential="NP", role="practitioner")
    theirs = _add(ctx, "T1001", datetime(2026, 11, 20, 19, 0, tzinfo=UTC), 20, DR_B)
    doc, _ = exports.build(ctx, "2026-11")
    t1001 = _patient(doc, "T1001")
    item = next(e for e in t1001["entries"] if e["id"] == str(theirs.id))
    assert (item["counts"], item["counted_seconds"]) == ([], 20 * 60)
    for line in t1001["lines"]:
        assert str(theirs.id) not in line["entry_ids"]
        assert DR_B not in line["rendering_label"]
    clinicians.set_incident_to(ctx, DR_B, True)
    doc, _ = exports.build(ctx, "2026-11")
    t1001 = _patient(doc, "T1001")
    staff_lines = [x for x in t1001["lines"] if x["basis"] == "staff"]
    assert staff_lines and all(str(theirs.id) in x["entry_ids"] for x in staff_lines)
    assert all(str(theirs.id) not in x["entry_ids"] for x in t1001["lines"]
               if x["basis"] == "practitioner")


def test_an_entry_before_the_consent_day_supports_no_line(month_clinic):
    ctx, made = month_clinic
    for code in ("E11.9", "I10"):
        conditions.add(ctx, "T1002", code, date(2019, 4, 1))
    patients.set_consent(ctx, "T1002", "CCM", date(2026, 11, 10), "verbal", by=NURSE,
                         disclosures=TOLD)
    after = _add(ctx, "T1002", datetime(2026, 11, 20, 16, 0, tzinfo=UTC), 21)
    doc, _ = exports.build(ctx, "2026-11")
    t1002 = _patient(doc, "T1002")
    [line] = t1002["lines"]
    assert line["code"] == "99490" and line["entry_ids"] == [str(after.id)]
    early = next(e for e in t1002["entries"] if e["id"] == str(made["jose"].id))
    assert (early["seconds"], early["counted_seconds"]) == (25 * 60, 0)  # shown, not counted
