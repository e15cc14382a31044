"""APCM and CoCM on the command line (issue 15): `--program APCM|COCM` in `patient add` and
`patient consent`, the QMB status from `patient set --qmb` choosing the APCM level (CY 2025 PFS
final rule CMS-1807-F), CoCM on its activities with the first month from the enrolment
(CMS-1654-F), and the month report, human and --json, showing them; an unknown program is
one sentence listing the programs, and nothing is written."""

from __future__ import annotations

from tests.fixtures.cli import db_digest, fails, js, ok
from tests.fixtures.clinic import NURSE

TOLD = "cost-sharing,one-practitioner,right-to-stop"
CONSENT = ["--consent", "2026-10-01", "--method", "verbal", "--by", NURSE, "--disclosures",
           TOLD]


def lines(data: dict, mrn: str) -> list[tuple[str, int, bool]]:
    patient = next(p for p in data["patients"] if p["mrn"] == mrn)
    return [(x["code"], x["units"], x["held"]) for x in patient["lines"]]


def warnings(data: dict, mrn: str) -> list[str]:
    patient = next(p for p in data["patients"] if p["mrn"] == mrn)
    return [w["code"] for w in patient["warnings"]]


def test_apcm_consent_and_qmb_choose_the_level(cli_clinic):
    # T1001 has E11.9 and I10 on file (two chronic conditions) and a CCM consent.
    said = ok(cli_clinic, "patient", "consent", "--mrn", "T1001", "--program", "apcm",
              *CONSENT)
    assert "APCM" in said
    data = js(cli_clinic, "report", "--month", "2026-11")
    assert lines(data, "T1001") == [("G0557", 1, False)]  # no minutes needed
    assert "qmb_unknown" in warnings(data, "T1001")
    ok(cli_clinic, "patient", "set", "--mrn", "T1001", "--qmb", "yes")
    data = js(cli_clinic, "report", "--month", "2026-11")
    assert lines(data, "T1001") == [("G0558", 1, False)]
    assert "qmb_unknown" not in warnings(data, "T1001")
    assert data["rules"]["codes"]["G0558"]["monthly"] is True
    table = ok(cli_clinic, "report", "--month", "2026-11")
    assert "G0558" in table
    assert "The payment shown for G0558 ($117.00) is an estimate" in table


def test_apcm_beside_ccm_time_holds_the_one_worth_less(cli_clinic):
    ok(cli_clinic, "patient", "consent", "--mrn", "T1001", "--program", "APCM", *CONSENT)
    ok(cli_clinic, "entry", "add", "--patient", "T1001", "--category", "phone-call",
       "--start", "2026-11-03T10:00", "--end", "2026-11-03T10:45")
    data = js(cli_clinic, "report", "--month", "2026-11")
    assert lines(data, "T1001") == [("99490", 1, False), ("99439", 1, False),
                                    ("G0557", 1, True)]
    table = ok(cli_clinic, "report", "--month", "2026-11")
    assert "APCM (G0557) cannot be billed in the same month as CCM" in table


def test_patient_add_with_cocm_and_its_activities(cli_clinic):
    ok(cli_clinic, "patient", "add", "--mrn", "T3001", "--name", "Testpatient, Ida",
       "--program", "COCM", *CONSENT)
    listed = ok(cli_clinic, "patient", "list")
    assert "COCM" in listed
    categories = ok(cli_clinic, "category", "list")
    assert "cocm-care-manager" in categories and "apcm-care-management" in categories
    ok(cli_clinic, "entry", "add", "--patient", "T3001", "--category", "cocm-care-manager",
       "--start", "2026-10-06T10:00", "--end", "2026-10-06T11:15")
    ok(cli_clinic, "entry", "add", "--patient", "T3001", "--category", "cocm-care-manager",
       "--start", "2026-11-03T10:00", "--end", "2026-11-03T11:05")
    # October is the enrolment's first month (70 min: 99492); November a later one (60).
    assert lines(js(cli_clinic, "report", "--month", "2026-10", "--patient", "T3001"),
                 "T3001") == [("99492", 1, False)]
    november = js(cli_clinic, "report", "--month", "2026-11", "--patient", "T3001")
    assert lines(november, "T3001") == [("99493", 1, False)]
    assert november["patients"][0]["minutes_by_program"] == {"COCM": 65}
    table = ok(cli_clinic, "report", "--month", "2026-11", "--patient", "T3001")
    assert "99493" in table


def test_an_unknown_program_is_one_sentence_and_writes_nothing(cli_clinic):
    before = db_digest(cli_clinic)
    fails(cli_clinic, "patient", "consent", "--mrn", "T1001", "--program", "TCM", *CONSENT,
          match="The program 'TCM' is unknown; use one of CCM, PCM, BHI, RPM, "
                "CPO_HOME_HEALTH, CPO_HOSPICE, APCM, COCM.")
    fails(cli_clinic, "patient", "add", "--mrn", "T3002", "--name", "Testpatient, Una",
          "--program", "APC", match="The program 'APC' is unknown")
    assert db_digest(cli_clinic) == before
