"""The patient's record on the command line (issue 14): conditions, a complete consent,
withdrawal, a scanned consent, `patient set`, the exact forms and JSON shapes of the issue;
bad input is one sentence and leaves the database as it was."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from tests.fixtures.cli import db_digest, fails, js, ok, run_cli
from tests.fixtures.keyring import KEYRING_ENV

ALL = "cost-sharing,one-practitioner,right-to-stop"
CONSENT = ["patient", "consent", "--mrn", "T1002", "--program", "CCM", "--consent",
           "2026-10-01"]
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def test_condition_add_list_remove_in_the_issues_forms(cli_clinic):
    # cli_clinic added T1001's two through `patient condition add` (tests/fixtures/clinic.py)
    assert js(cli_clinic, "patient", "condition", "list", "--mrn", "T1001") == [
        {"code": "E11.9", "description": "Type 2 diabetes mellitus without complications",
         "since": "2019-04-01", "chronic": True},
        {"code": "I10", "description": "Essential (primary) hypertension",
         "since": "2015-06-01", "chronic": True}]
    added = js(cli_clinic, "patient", "condition", "add", "--mrn", "T1002", "--icd10",
               "j06.9", "--since", "2026-11-02")
    assert added == {"code": "J06.9", "description": "Acute upper respiratory infection, "
                     "unspecified", "since": "2026-11-02", "chronic": False}
    said = ok(cli_clinic, "patient", "condition", "add", "--mrn", "T1002", "--icd10", "J44.9")
    assert said == ("Added J44.9 (Chronic obstructive pulmonary disease, unspecified) to "
                    "T1002; chronic: yes (Chronic obstructive pulmonary disease and "
                    "bronchiectasis).\n")
    table = [re.split(r"\s{2,}", line) for line in ok(
        cli_clinic, "patient", "condition", "list", "--mrn", "T1002").splitlines()]
    assert table == [
        ["CODE", "DESCRIPTION", "SINCE", "CHRONIC"],
        ["J06.9", "Acute upper respiratory infection, unspecified", "2026-11-02", "no"],
        ["J44.9", "Chronic obstructive pulmonary disease, unspecified",
         "yes (Chronic obstructive pulmonary disease and bronchiectasis)"]]
    said = ok(cli_clinic, "patient", "condition", "remove", "--mrn", "T1002", "--icd10",
              "J06.9", "--reason", "resolved")
    assert said == ("Removed J06.9 (Acute upper respiratory infection, unspecified) from "
                    "T1002: resolved; it stays in the history.\n")
    assert [c["code"] for c in js(cli_clinic, "patient", "condition", "list", "--mrn",
                                  "T1002")] == ["J44.9"]
    history = js(cli_clinic, "patient", "condition", "list", "--mrn", "T1002", "--history")
    assert [(h["code"], h["removed_by"], h["removal_reason"]) for h in history] == [
        ("J06.9", "Avery Nurse", "resolved"), ("J44.9", None, None)]  # she typed her password
    # The default clinician added it (issue 16: the one acting is named, not "admin").
    assert history[0]["removed_at"] and history[0]["added_by"] == "Avery Nurse"
    shown = ok(cli_clinic, "patient", "condition", "list", "--mrn", "T1002", "--history")
    assert "REMOVED" in shown and "resolved" in shown and "Avery Nurse" in shown
    actions = _audit_actions(cli_clinic)
    assert actions.count("condition.add") == 4 and actions.count("condition.remove") == 1
    assert "intact" in ok(cli_clinic, "audit", "verify")


def _audit_actions(home) -> list[str]:
    """The audit trail's actions, read in-process as the next command would see them."""
    from sqlmodel import col, select

    from ccm_timer.services.context import open_app
    from ccm_timer.store.models import AuditEvent

    ctx = open_app(str(home))
    try:
        with ctx.read() as session:
            return list(session.exec(select(AuditEvent.action).order_by(col(AuditEvent.seq))))
    finally:
        ctx.close()


def test_no_conditions_yet_says_what_to_do(cli_clinic):
    assert "No conditions on file for T1002: add one with `ccm-timer patient condition " \
        "add`" in ok(cli_clinic, "patient", "condition", "list", "--mrn", "T1002")
    assert js(cli_clinic, "patient", "condition", "list", "--mrn", "T1002") == []


@pytest.mark.parametrize("args, says", [
    (["add", "--mrn", "T1002", "--icd10", "E99.999X"], "E99.999X is not in the ICD-10-CM "
     "code set; check the code (nothing was written)."),
    (["add", "--mrn", "T1002", "--icd10", "diabetes"], "'diabetes' is not an ICD-10-CM code"),
    (["add", "--mrn", "T1002", "--icd10", "E11"], "E11 is a category, not a billable code"),
    (["add", "--mrn", "T1001", "--icd10", "I10"], "I10 is already on T1001's problem list."),
    (["add", "--mrn", "T1002", "--icd10", "I10", "--since", "2999-01-01"],
     "since-date 2999-01-01 is in the future"),
    (["add", "--mrn", "NOPE", "--icd10", "I10"], "No patient has MRN 'NOPE'"),
    (["remove", "--mrn", "T1001", "--icd10", "I10", "--reason", " "], "Give a reason for "
     "removing the condition"),
    (["remove", "--mrn", "T1001", "--icd10", "J45.909", "--reason", "x"], "J45.909 is not "
     "on T1001's problem list"),
    (["list", "--mrn", "NOPE"], "No patient has MRN 'NOPE'"),
])
def test_bad_condition_input_is_one_sentence_and_nothing_written(cli_clinic, args, says):
    fails(cli_clinic, "patient", "condition", *args, match=says)


def test_usage_errors_are_one_line(cli_clinic):
    fails(cli_clinic, "patient", "condition", "add", "--mrn", "T1002", match="required: "
          "--icd10", code=2)
    fails(cli_clinic, "patient", "condition", "remove", "--mrn", "T1001", "--icd10", "I10",
          match="required: --reason", code=2)
    fails(cli_clinic, "patient", "condition", "add", "--mrn", "T1002", "--icd10", "I10",
          "--since", "2019-02-30", match="not a real calendar date", code=2)
    fails(cli_clinic, "patient", "set", "--mrn", "T1002", "--qmb", "maybe",
          match="say yes or no, not 'maybe'", code=2)
    fails(cli_clinic, "patient", "withdraw", "--mrn", "T1001", "--program", "CCM", "--on",
          "2026-11-01", match="required: --reason", code=2)


def test_consent_complete_in_the_issues_form(cli_clinic):
    said = ok(cli_clinic, *CONSENT, "--method", "verbal", "--by", "Avery Nurse",
              "--disclosures", ALL)
    assert said == "Consent for CCM recorded for T1002 on 2026-10-01.\n"
    [patient] = [p for p in js(cli_clinic, "patient", "list") if p["mrn"] == "T1002"]
    assert patient["enrollments"][0] == {
        "program": "CCM", "consent_date": "2026-10-01", "consent_method": "verbal",
        "consent_by": "Avery Nurse", "disclosures": ALL.split(","), "consent_complete": True,
        "consent_document": False, "start_date": "2026-10-01", "end_date": None,
        "withdrawn_on": None, "withdrawal_reason": None}
    listed = ok(cli_clinic, "patient", "list")
    assert "incomplete" not in listed and "no consent" not in listed


def test_an_incomplete_consent_is_recorded_and_says_what_holds_the_lines(cli_clinic):
    said = ok(cli_clinic, *CONSENT)  # the form existing callers use keeps working
    assert said == (
        "Consent for CCM recorded for T1002 on 2026-10-01, but the CCM lines stay held until "
        "how it was given, who obtained it, the cost-sharing disclosure, the one-practitioner "
        "disclosure and the right-to-stop disclosure are recorded: record them with "
        "`ccm-timer patient consent --mrn T1002 --program CCM --consent 2026-10-01 --method "
        "verbal|written --by NAME --disclosures cost-sharing,one-practitioner,right-to-stop`."
        "\n")
    assert "T1002" in _row(cli_clinic, "consent incomplete")
    said = ok(cli_clinic, *CONSENT, "--method", "written", "--disclosures", ALL)
    assert said.endswith("but the CCM lines stay held until who obtained it is recorded: "
                         "record it with `ccm-timer patient consent --mrn T1002 --program CCM "
                         "--consent 2026-10-01 --by NAME`.\n")
    data = js(cli_clinic, *CONSENT)
    assert data["enrollments"][0]["consent_complete"] is False
    assert data["enrollments"][0]["consent_method"] == "written"  # kept: same date
    ok(cli_clinic, *CONSENT, "--by", "Dr Blake Test")
    assert "incomplete" not in ok(cli_clinic, "patient", "list")


def _row(home, marker: str) -> str:
    return next(line for line in ok(home, "patient", "list").splitlines() if marker in line)


def test_a_scanned_written_consent(cli_clinic, tmp_path):
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(PDF)
    said = ok(cli_clinic, *CONSENT, "--method", "written", "--by", "Avery Nurse",
              "--disclosures", ALL, "--scan", str(scan))
    assert said == "Consent for CCM recorded for T1002 on 2026-10-01 with its scan.\n"
    [patient] = [p for p in js(cli_clinic, "patient", "list") if p["mrn"] == "T1002"]
    assert patient["enrollments"][0]["consent_document"] is True
    # kept inside the encrypted database, never as a file in the data folder
    assert PDF not in b"".join(p.read_bytes() for p in cli_clinic.rglob("*") if p.is_file())
    changes = [a for a in _audit_actions(cli_clinic) if not a.startswith("read.")]
    assert changes[-2:] == ["consent_document.add", "enrollment.set"]
    assert "intact" in ok(cli_clinic, "audit", "verify")
    # The compliance officer reads it back: the same bytes, the read audited.
    out = tmp_path / "out" / "consent.pdf"
    out.parent.mkdir()
    shown = js(cli_clinic, "patient", "consent-scan", "--mrn", "T1002", "--program", "CCM",
               "--out", str(out))
    assert out.read_bytes() == PDF and shown["media_type"] == "application/pdf"
    assert out.stat().st_mode & 0o077 == 0
    assert _audit_actions(cli_clinic)[-1] == "consent_document.read"
    fails(cli_clinic, "patient", "consent-scan", "--mrn", "T1002", "--program", "CCM",
          "--out", str(out), match="already exists")
    fails(cli_clinic, "patient", "consent-scan", "--mrn", "T1001", "--program", "CCM",
          "--out", str(tmp_path / "x.pdf"), match="No scanned CCM consent is kept for T1001")


def test_bad_scans_and_consents_are_one_sentence_and_nothing_written(cli_clinic, tmp_path):
    text = tmp_path / "scan.pdf"
    text.write_text("not a scan at all", encoding="utf-8")
    pdf = tmp_path / "real.pdf"
    pdf.write_bytes(PDF)
    written = [*CONSENT, "--method", "written"]
    fails(cli_clinic, *written, "--scan", str(text), match="The scanned consent is not a "
          "PDF, PNG, JPEG or TIFF file")
    fails(cli_clinic, *written, "--scan", str(tmp_path / "none.pdf"), match="no file")
    fails(cli_clinic, *written, "--scan", str(tmp_path), match="is a folder")
    fails(cli_clinic, *CONSENT, "--method", "verbal", "--scan", str(pdf),
          match="give --method written")
    fails(cli_clinic, *CONSENT, "--method", "telepathy", match="The consent method "
          "'telepathy' is unknown; use verbal or written.")
    fails(cli_clinic, *CONSENT, "--by", "Nobody", match="There is no clinician 'Nobody'")
    fails(cli_clinic, *CONSENT, "--disclosures", "cost-sharing,free-lunch",
          match="The disclosure 'free-lunch' is unknown")
    fails(cli_clinic, "patient", "consent", "--mrn", "T1002", "--program", "XYZ",
          "--consent", "2026-10-01", match="The program 'XYZ' is unknown")
    fails(cli_clinic, "patient", "consent", "--mrn", "T1002", "--program", "CCM",
          "--consent", "2999-01-01", match="is in the future")


def test_add_a_patient_with_a_complete_consent_and_qmb(cli_clinic):
    said = ok(cli_clinic, "patient", "add", "--mrn", "T3001", "--name", "Newpatient, Ida",
              "--program", "PCM", "--consent", "2026-09-01", "--method", "written", "--by",
              "Dr Blake Test", "--disclosures", ALL, "--qmb", "yes")
    assert said == "Added T3001: Newpatient, Ida; PCM (consent 2026-09-01).\n"
    said = ok(cli_clinic, "patient", "add", "--mrn", "T3002", "--name", "Other, Ida",
              "--program", "CCM", "--consent", "2026-09-01", "--method", "verbal")
    assert said.startswith("Added T3002: Other, Ida; CCM (consent 2026-09-01), but the CCM "
                           "lines stay held until who obtained it, the cost-sharing")
    [ida] = [p for p in js(cli_clinic, "patient", "list") if p["mrn"] == "T3001"]
    assert ida["qmb"] is True and ida["enrollments"][0]["consent_complete"] is True
    header, *rows = ok(cli_clinic, "patient", "list").splitlines()
    assert header.split() == ["MRN", "NAME", "BORN", "QMB", "PROGRAMS"]
    assert next(r for r in rows if r.startswith("T3001")).split()[-2:] == ["yes", "PCM"]
    assert next(r for r in rows if r.startswith("T3002")).endswith("CCM (consent incomplete)")
    assert next(r for r in rows if r.startswith("T1002")).endswith("CCM (no consent)")
    assert next(r for r in rows if r.startswith("T1001")).endswith("  CCM")  # complete
    fails(cli_clinic, "patient", "add", "--mrn", "T3003", "--name", "More, Ida", "--program",
          "CCM", "--method", "verbal", match="need its date (--consent)")
    fails(cli_clinic, "patient", "add", "--mrn", "T3003", "--name", "More, Ida", "--program",
          "CCM", "--consent", "2026-09-01", "--by", "Nobody", match="no clinician 'Nobody'")
    assert "T3003" not in ok(cli_clinic, "patient", "list")


def test_withdraw(cli_clinic):
    said = ok(cli_clinic, "patient", "withdraw", "--mrn", "T1001", "--program", "ccm", "--on",
              "2026-11-20", "--reason", "moved to another practice")
    assert said == "T1001 withdrew CCM consent; the enrolment ends on 2026-11-20.\n"
    [alma] = [p for p in js(cli_clinic, "patient", "list") if p["mrn"] == "T1001"]
    ccm = alma["enrollments"][0]
    assert (ccm["withdrawn_on"], ccm["withdrawal_reason"], ccm["end_date"]) == (
        "2026-11-20", "moved to another practice", "2026-11-20")
    assert _row(cli_clinic, "T1001").endswith("CCM (withdrawn 2026-11-20)")
    fails(cli_clinic, "patient", "withdraw", "--mrn", "T1001", "--program", "CCM", "--on",
          "2026-11-21", "--reason", "again", match="already withdrawn on 2026-11-20")
    fails(cli_clinic, "patient", "withdraw", "--mrn", "T1002", "--program", "PCM", "--on",
          "2026-11-21", "--reason", "x", match="T1002 is not enrolled in PCM")
    fails(cli_clinic, "patient", "withdraw", "--mrn", "T1002", "--program", "CCM", "--on",
          "2026-11-21", "--reason", " ", match="Give the reason the consent was withdrawn")
    assert js(cli_clinic, "patient", "withdraw", "--mrn", "T1002", "--program", "CCM",
              "--on", "2026-11-21", "--reason", "declined")["enrollments"][0][
        "withdrawn_on"] == "2026-11-21"


def test_patient_set(cli_clinic):
    said = ok(cli_clinic, "patient", "set", "--mrn", "T1002", "--qmb", "yes", "--dob",
              "1948-07-19", "--name", "Sample-Ortiz, José")
    assert said == "Updated T1002: Sample-Ortiz, José, born 1948-07-19, QMB.\n"
    data = js(cli_clinic, "patient", "set", "--mrn", "T1002", "--qmb", "no")
    assert (data["qmb"], data["family_name"], data["birth_date"]) == (
        False, "Sample-Ortiz", "1948-07-19")
    fails(cli_clinic, "patient", "set", "--mrn", "T1002", match="Say what to change: --name, "
          "--dob, --qmb or --care-manager.")
    fails(cli_clinic, "patient", "set", "--mrn", "T1002", "--name", "Nocomma",
          match="Family, Given")
    fails(cli_clinic, "patient", "set", "--mrn", "T1002", "--dob", "2999-01-01",
          match="is in the future")
    fails(cli_clinic, "patient", "set", "--mrn", "NOPE", "--qmb", "yes", match="No patient")


def test_roster_with_conditions_and_consent_columns(cli_clinic, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "mrn,name,program,consent,conditions,consent method,consent by,disclosures\n"
        'R1,"Roster, Ana",CCM,2026-01-02,E11.9;I10,verbal,Avery Nurse,'
        "cost-sharing;one-practitioner;right-to-stop\n"
        'R2,"Roster, Bo",CCM,2026-01-02,E99.999X,,,\n'
        'R3,"Roster, Cy",CCM,2026-01-02,E11,,Nobody,\n', encoding="utf-8")
    before = db_digest(cli_clinic)
    result = run_cli(cli_clinic, "patient", "import", str(roster), "--preview")
    assert result.returncode == 1
    assert "line 3: E99.999X is not in the ICD-10-CM code set" in result.stdout
    assert "line 4: E11 is a category" in result.stdout
    assert "conditions: conditions" in result.stdout
    fails(cli_clinic, "patient", "import", str(roster), match="line 3: E99.999X", lines=3)
    assert db_digest(cli_clinic) == before
    roster.write_text(roster.read_text(encoding="utf-8").splitlines()[0] + "\n"
                      + roster.read_text(encoding="utf-8").splitlines()[1] + "\n",
                      encoding="utf-8")
    assert js(cli_clinic, "patient", "import", str(roster))["conditions"] == 2
    assert [c["code"] for c in js(cli_clinic, "patient", "condition", "list", "--mrn",
                                  "R1")] == ["E11.9", "I10"]
    assert _row(cli_clinic, "R1").endswith("  CCM")  # complete consent from the roster


def _imported(home, *argv: str) -> list[str]:
    """The top-level packages a command imported, of those it must not need, and "code_set"
    when it read the ICD-10-CM code set (its index, or the package that builds it)."""
    code = ("import sys; import ccm_timer.cli.main as m; rc = m.main(sys.argv[1:]);"
            "names = {n.split('.')[0] for n in sys.modules};"
            "cs = sys.modules.get('ccm_timer.services.people.code_set');"
            "read = 'simple_icd_10_cm' in sys.modules or bool("
            "cs and cs._index.cache_info().currsize);"
            "names |= {'code_set'} if read else set();"
            "bad = sorted(names & {'code_set', 'sqlalchemy', 'sqlmodel', 'PySide6'});"
            "print(','.join(bad), file=sys.stderr); sys.exit(rc)")
    result = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True,
                            text=True, env={"CCM_TIMER_HOME": str(home),
                                            "PATH": "/usr/bin:/bin", **KEYRING_ENV})
    assert result.returncode == 0, result.stderr
    return [n for n in result.stderr.strip().split(",") if n]


def test_only_condition_add_reads_the_code_set(cli_clinic):
    assert _imported(cli_clinic, "patient", "condition", "list", "--mrn", "T1001") == [
        "sqlalchemy", "sqlmodel"]
    assert _imported(cli_clinic, "patient", "list") == ["sqlalchemy", "sqlmodel"]
    assert "code_set" in _imported(
        cli_clinic, "patient", "condition", "add", "--mrn", "T1002", "--icd10", "I10")
    assert _imported(cli_clinic, "status") == []
    assert json.loads(ok(cli_clinic, "status", "--json"))["state"] == "idle"
