"""Whose minutes count and consent, on the command line (issue 15, items 1-4 and 6): the
issue's cases through `ccm-timer`, the report's JSON, and `clinician set --incident-to`.

Sources: NGS Medicare, Care Management (99491/99437: "time only the billing practitioner
spends"); CMS CCM FAQ Q1 (the billing practitioner's own time counts toward 99490); CGS /
Claims Processing Manual ch. 12 section 180 (G0181: 30 minutes by the billing physician
personally); Noridian JE, CCM Q&A (consent "is obtained once prior to furnishing").
"""

from __future__ import annotations

from tests.fixtures.cli import fails, js, ok, run_cli_many

DR_A, DR_B = "Dr Blake Test", "Dr Nia Other"
ALL = "cost-sharing,one-practitioner,right-to-stop"


def entry(mrn: str, day: str, start: str, end: str, who: str,
          program: str | None = None) -> list[str]:
    return (["entry", "add", "--patient", mrn, "--category", "care-plan", "--start",
             f"2026-{day}T{start}", "--end", f"2026-{day}T{end}", "--clinician", who]
            + (["--program", program] if program else []))


def patient(data: dict, mrn: str) -> dict:
    return next(p for p in data["patients"] if p["mrn"] == mrn)


def test_dr_a_50_and_dr_b_45_then_dr_b_incident_to(cli_clinic):
    run_cli_many(cli_clinic, [
        ["clinician", "add", "--name", DR_B, "--credential", "NP", "--role", "practitioner"],
        ["patient", "practitioner", "--mrn", "T1001", "--practitioner", DR_A],
        entry("T1001", "10-05", "10:00", "10:50", DR_A),
        entry("T1001", "10-06", "10:00", "10:45", DR_B),
    ])
    p = patient(js(cli_clinic, "report", "--month", "2026-10"), "T1001")
    # Pooled, 95 minutes made 99491 + 99437 x2; Dr A's own 50 never reach 99437.
    assert "99437" not in {x["code"] for x in p["lines"]}
    assert sum(x["seconds"] for x in p["lines"]) <= 50 * 60
    assert p["minutes"] == {"clinical_staff": 0, "practitioner": 50, "other_practitioner": 45}
    assert p["other_practitioners"] == [{"name": DR_B, "program": "CCM", "seconds": 2700,
                                         "minutes": 45, "counted_as_staff": False}]
    [said] = [w["message"] for w in p["warnings"] if w["code"] == "other_practitioner"]
    assert said.startswith(f"{DR_B}'s 45 min of CCM time are not the billing practitioner's "
                           "own time; they are not counted toward 99491/99437")
    assert "ccm_" not in " ".join(w["message"] for w in p["warnings"])  # plain words
    table = ok(cli_clinic, "report", "--month", "2026-10")
    assert "not the billing practitioner's own time" in table

    shown = ok(cli_clinic, "clinician", "set", "--name", DR_B, "--incident-to", "yes")
    assert shown.startswith(f"{DR_B} works incident to the billing practitioner")
    assert js(cli_clinic, "clinician", "set", "--name", DR_B, "--incident-to", "yes")[
        "incident_to"] is True
    listed = {c["name"]: c for c in js(cli_clinic, "clinician", "list")}
    assert listed[DR_B]["incident_to"] and not listed[DR_A]["incident_to"]
    assert "INCIDENT-TO" in ok(cli_clinic, "clinician", "list")
    p = patient(js(cli_clinic, "report", "--month", "2026-10"), "T1001")
    # Incident to Dr A: 95 minutes of staff-track time (CMS FAQ Q1), 99439 capped at two.
    assert [(x["code"], x["units"], x["held"]) for x in p["lines"]] == [
        ("99490", 1, False), ("99439", 2, False)]
    assert p["other_practitioners"][0]["counted_as_staff"] is True


def test_dr_b_alone_and_g0181_from_two_physicians(cli_clinic):
    run_cli_many(cli_clinic, [
        ["clinician", "add", "--name", DR_B, "--credential", "NP", "--role", "practitioner"],
        ["patient", "practitioner", "--mrn", "T1001", "--practitioner", DR_A],
        ["patient", "practitioner", "--mrn", "T1002", "--practitioner", DR_A],
        ["patient", "consent", "--mrn", "T1002", "--program", "CPO_HOME_HEALTH", "--consent",
         "2026-01-05", "--method", "verbal", "--by", DR_A, "--disclosures", ALL],
        entry("T1001", "10-06", "10:00", "10:35", DR_B),  # Dr B alone: 35 minutes
        entry("T1002", "10-07", "10:00", "10:20", DR_A, "CPO_HOME_HEALTH"),
        entry("T1002", "10-08", "10:00", "10:15", DR_B, "CPO_HOME_HEALTH"),
    ])
    data = js(cli_clinic, "report", "--month", "2026-10")
    alone = patient(data, "T1001")
    assert alone["lines"] == []  # no 99491 from Dr B's 35 minutes
    assert "other_practitioner" in {w["code"] for w in alone["warnings"]}
    cpo = patient(data, "T1002")
    assert cpo["lines"] == []  # 20 + 15 from two physicians is no G0181
    assert [(n["code"], n["minutes_needed"]) for n in cpo["next"]
            if n["program"] == "CPO_HOME_HEALTH"] == [("G0181", 10)]


def test_no_billing_practitioner_holds_99491(cli_clinic):
    run_cli_many(cli_clinic, [entry("T1001", "10-05", "10:00", "10:35", DR_A)])
    p = patient(js(cli_clinic, "report", "--month", "2026-10"), "T1001")
    assert [(x["code"], x["held"], x["hold_reason"]) for x in p["lines"]] == [
        ("99491", True, "no billing practitioner is named for the patient")]
    [said] = [w["message"] for w in p["warnings"] if w["code"] == "no_billing_practitioner"]
    assert "ccm-timer patient practitioner" in said


def test_consent_on_the_15th_and_a_consent_after_the_month(cli_clinic):
    run_cli_many(cli_clinic, [
        ["patient", "consent", "--mrn", "T1002", "--program", "CCM", "--consent",
         "2026-10-15", "--method", "verbal", "--by", "Avery Nurse", "--disclosures", ALL],
        ["patient", "condition", "add", "--mrn", "T1002", "--icd10", "E11.9",
         "--since", "2019-04-01"],
        ["patient", "condition", "add", "--mrn", "T1002", "--icd10", "I10",
         "--since", "2015-06-01"],
        entry("T1002", "10-05", "10:00", "10:15", "Avery Nurse"),
        entry("T1002", "10-20", "10:00", "10:10", "Avery Nurse"),
        entry("T1002", "09-10", "10:00", "10:25", "Avery Nurse"),
    ])
    p = patient(js(cli_clinic, "report", "--month", "2026-10"), "T1002")
    assert p["lines"] == []  # 10 minutes from the consent day on: no 99490
    assert p["minutes_before_consent"] == {"CCM": 15}
    assert p["minutes"]["clinical_staff"] == 10
    assert any(w["code"] == "consent_during_month" and "15 min" in w["message"]
               for w in p["warnings"])
    september = patient(js(cli_clinic, "report", "--month", "2026-09"), "T1002")
    assert [(x["code"], x["hold_reason"]) for x in september["lines"]] == [
        ("99490", "CCM consent dated after this month")]
    assert "not_enrolled" not in {w["code"] for w in september["warnings"]}


def test_clinician_set_refuses_in_one_sentence(cli_clinic):
    fails(cli_clinic, "clinician", "set", "--name", "Avery Nurse", "--incident-to", "yes",
          match="Avery Nurse is clinical staff")
    fails(cli_clinic, "clinician", "set", "--name", "Nobody", "--incident-to", "no",
          match="There is no clinician 'Nobody'")
    fails(cli_clinic, "clinician", "set", "--name", DR_A, "--incident-to", "maybe",
          match="say yes or no", code=2)
