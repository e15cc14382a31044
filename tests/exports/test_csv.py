"""The billing CSV read back with Python's csv module: every value as written, text cells
that a spreadsheet would run as a formula prefixed with a single quote, numbers as numbers."""

from __future__ import annotations

import csv
import io

import pytest
from sqlmodel import select

from ccm_timer.exports import csv_file
from ccm_timer.services import exports
from ccm_timer.services.month import approvals
from ccm_timer.store.models import Patient
from tests.fixtures import clinic
from tests.fixtures.clinic import approver

HOSTILE = ["=HYPERLINK(\"http://x\")", "+1+2", "-3+4", "@SUM(A1)", "\tTab", "\rReturn",
           "\0Nul", "plain, with \"quotes\"", "line\nbreak", "'already quoted"]


def read(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # a BOM, so Excel reads UTF-8
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


@pytest.mark.parametrize("value", HOSTILE)
def test_neutralize(value):
    expected = "'" + value if value[0] in "=+-@\t\r\0" else value
    assert csv_file.neutralize(value) == expected


def _doc(name: str, warning: str) -> dict:
    person = {"id": "c1", "name": name, "credential": "RN", "role": "clinical_staff",
              "role_label": "clinical staff", "npi": "", "label": name}
    line = {"code": "99490", "name": "CCM", "program": "CCM", "units": 1, "minutes": 20,
            "date_of_service": "2026-11-30", "rendering": [person], "billing": person,
            "supervising": None, "status": "approved", "warnings": [warning],
            "diagnoses": ["E11.9", "I10"]}
    patient = {"mrn": "T1", "name": name, "birth_date": None, "approval": None,
               "amended": False, "changes": [], "lines": [line],
               "withdrawn_lines": []}
    return {"month": "2026-11", "patients": [patient], "audit_chain_head": "ab" * 32}


@pytest.mark.parametrize("value", HOSTILE)
def test_round_trip_gives_the_value_plus_the_prefix(value):
    [row] = read(csv_file.render(_doc(value, value)))
    prefixed = csv_file.neutralize(value)
    assert row["patient_name"] == row["rendering_clinician"] == row["warnings"] == prefixed
    assert row["billing_practitioner"] == prefixed
    assert row["units"] == "1" and row["minutes"] == "20"
    assert row["diagnoses"] == "E11.9;I10"


def test_numbers_stay_unquoted_numbers():
    text = csv_file.render(_doc("=x", "-y")).decode("utf-8-sig")
    assert ',1,20,' in text  # QUOTE_NONNUMERIC: numbers bare, every text cell quoted
    assert text.splitlines()[0].startswith('"mrn","patient_name"')
    # New columns go at the end, so a reader by position keeps the ones it knew.
    assert text.splitlines()[0].endswith('"warnings","audit_chain_head","diagnoses"')


def test_a_hostile_name_from_the_database_is_neutralized(month_clinic):
    """Names are checked on input, but an older database or an imported roster may hold
    one anyway: the export must not trust that."""
    ctx, _ = month_clinic
    with ctx.write() as session:
        row = session.exec(select(Patient).where(Patient.mrn == "T1001")).one()
        row.family_name = "=cmd|' /C calc'!A0"
        session.add(row)
    approvals.approve(ctx, clinic.MONTH, "T1001", by=approver(ctx))
    doc, _ = exports.build(ctx, clinic.MONTH, billing=True)
    rows = read(csv_file.render(doc))
    assert [r["patient_name"] for r in rows] == ["'=cmd|' /C calc'!A0, Alma"] * 2
    assert [(r["code"], r["units"], r["minutes"], r["diagnoses"]) for r in rows] == [
        ("99490", "1", "20", "E11.9;I10"), ("99439", "2", "40", "E11.9;I10")]
