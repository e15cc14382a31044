"""`report --hub`: the month report computed on the clinic hub adds up every workstation,
its minutes and its clinical record (conditions recorded on either count)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from ccm_timer.cli.main import run
from ccm_timer.services.delivery import hub, targets
from ccm_timer.services.month import report
from ccm_timer.services.people import clinicians, conditions, patients
from ccm_timer.services.timing import entries
from tests.fixtures.clinic import remover
from tests.fixtures.delivery import HUB_PASSWORD, add_minutes

NOV3 = datetime(2026, 11, 3, 13, 0, tzinfo=UTC)


def _billable(month_report, mrn="T1001"):
    patient = month_report.patient(mrn)
    return [(line.code, line.units) for line in patient.result.billable_lines]


def _held(month_report, mrn="T1001"):
    result = month_report.patient(mrn).result
    return ([(line.code, line.held) for line in result.lines],
            sorted({w.code for w in result.warnings}))


def _consent(ws) -> None:
    patients.set_consent(ws, "T1001", "CCM", date(2026, 1, 5), "verbal",
                         by=f"Nurse {ws.workstation}",
                         disclosures="cost-sharing,one-practitioner,right-to-stop")


def _on_hub(hub_url, ws):
    engine = hub.open_engine(hub_url, HUB_PASSWORD)
    try:
        return report.month_report_on(engine, "2026-11", ws.zone, ws.now())
    finally:
        engine.dispose()


@pytest.fixture
def recorded(two):
    """T1001 with a complete consent on both workstations and one chronic condition on
    each: diabetes on ws-north, hypertension on ws-south."""
    ws1, ws2 = two
    for ws, code in ((ws1, "E11.9"), (ws2, "I10")):
        _consent(ws)
        conditions.add(ws, "T1001", code, date(2019, 4, 1))
    return ws1, ws2


def test_hub_report_crosses_a_threshold_neither_workstation_reaches(recorded, hub_url):
    ws1, ws2 = recorded
    add_minutes(ws1, NOV3, 12)
    add_minutes(ws2, NOV3.replace(hour=14), 10)
    assert _billable(report.month_report(ws1, "2026-11")) == []
    assert _billable(report.month_report(ws2, "2026-11")) == []
    hub.push(ws1, hub_url, HUB_PASSWORD)
    hub.push(ws2, hub_url, HUB_PASSWORD)
    on_hub = _on_hub(hub_url, ws1)
    assert _billable(on_hub) == [("99490", 1)]
    assert on_hub.patient("T1001").result.seconds_by_role["clinical_staff"] == 22 * 60
    assert [c.code for c in on_hub.patient("T1001").record.conditions] == ["E11.9", "I10"]


def test_the_hub_counts_conditions_pushed_from_two_workstations(two, hub_url):
    ws1, ws2 = two
    add_minutes(ws1, NOV3, 12)
    add_minutes(ws2, NOV3.replace(hour=14), 10)
    for ws in (ws1, ws2):
        _consent(ws)
    conditions.add(ws1, "T1001", "E11.9", date(2019, 4, 1))
    hub.push(ws1, hub_url, HUB_PASSWORD)
    hub.push(ws2, hub_url, HUB_PASSWORD)
    # 22 minutes on the hub, but one chronic condition on file: 99490 held, and said why.
    assert _held(_on_hub(hub_url, ws1)) == ([("99490", True)], ["care_plan_not_reviewed",
                                                                 "too_few_conditions"])
    # ws-south records the second one: two chronic conditions, from two desks, bill.
    conditions.add(ws2, "T1001", "I10", date(2015, 6, 1))
    assert _held(report.month_report(ws2, "2026-11"))[1].count("too_few_conditions") == 1
    hub.push(ws2, hub_url, HUB_PASSWORD)
    assert _held(_on_hub(hub_url, ws1)) == ([("99490", False)], ["care_plan_not_reviewed"])
    # Its removal travels too: on file in November still (it was, part of the month), no
    # longer in December, which is one chronic condition short again.
    conditions.remove(ws2, "T1001", "I10", "ruled out at the visit", by=remover(ws2))
    hub.push(ws2, hub_url, HUB_PASSWORD)
    assert _held(_on_hub(hub_url, ws1))[0] == [("99490", False)]
    engine = hub.open_engine(hub_url, HUB_PASSWORD)
    try:
        december = report.month_report_on(engine, "2026-12", ws1.zone, ws1.now())
    finally:
        engine.dispose()
    assert [c.code for c in december.patient("T1001").record.conditions] == ["E11.9"]


def test_report_command_from_the_hub(recorded, hub_url, capsys):
    ws1, ws2 = recorded
    add_minutes(ws1, NOV3, 12)
    add_minutes(ws2, NOV3.replace(hour=14), 10)
    for ws in (ws1, ws2):
        hub.push(ws, hub_url, HUB_PASSWORD)
    targets.add(ws1, "hub", kind="hub", url=hub_url, secret=HUB_PASSWORD)
    data = report.month_report(ws1, "2026-11").to_dict()
    assert data["patients"][0]["minutes"]["clinical_staff"] == 12
    # The command in this process: it reads the password from the same (test) keyring.
    capsys.readouterr()
    assert run(["--data-dir", str(ws1.paths.data), "report", "--month", "2026-11",
                "--hub", "hub", "--json"]) == 0
    hub_data = json.loads(capsys.readouterr().out)
    assert hub_data["patients"][0]["minutes"]["clinical_staff"] == 22
    assert [(x["code"], x["held"]) for x in hub_data["patients"][0]["lines"]] == [
        ("99490", False)]


def test_the_hub_counts_whose_minutes_and_consent_as_a_workstation_does(two, hub_url, clock):
    """Issue 15 on PostgreSQL: the same month_time split at a consent day, the same roles.
    NGS Medicare: 99491/99437 count only the billing practitioner's own time; Noridian JE:
    consent comes before the service, so no second before its day counts."""
    ws1, ws2 = two
    clock.advance(datetime(2026, 12, 2, 15, 0, tzinfo=UTC) - clock.now())
    for ws, code in ((ws1, "E11.9"), (ws2, "I10")):
        patients.set_consent(ws, "T1001", "CCM", date(2026, 11, 10), "verbal",
                             by=f"Nurse {ws.workstation}",
                             disclosures="cost-sharing,one-practitioner,right-to-stop")
        conditions.add(ws, "T1001", code, date(2019, 4, 1))
    clinicians.add(ws1, name="Dr Ada Bill", credential="MD", role="practitioner")
    patients.set_billing_practitioner(ws1, "T1001", "Dr Ada Bill")
    clinicians.add(ws2, name="Dr Nia Other", credential="NP", role="practitioner")
    # Before the consent day (5 November): 15 nurse minutes, shown apart on both.
    add_minutes(ws1, datetime(2026, 11, 5, 15, 0, tzinfo=UTC), 15)
    # After it: Dr Ada Bill 30 minutes on ws-north, Dr Nia Other 40 on ws-south.
    for ws, who, day, minutes in ((ws1, "Dr Ada Bill", 12, 30), (ws2, "Dr Nia Other", 13, 40)):
        start = datetime(2026, 11, day, 15, 0, tzinfo=UTC)
        entries.add_manual(ws, patient_mrn="T1001", category_slug="phone-call", start=start,
                           end=start + timedelta(minutes=minutes), clinician=who)
    for ws in (ws1, ws2):
        hub.push(ws, hub_url, HUB_PASSWORD)
    result = _on_hub(hub_url, ws1).patient("T1001").result
    assert dict(result.seconds_before_consent) == {"CCM": 15 * 60}
    assert dict(result.seconds_by_role) == {"clinical_staff": 0, "practitioner": 30 * 60,
                                            "other_practitioner": 40 * 60}
    # Dr Ada Bill's own 30 minutes: 99491, or 99490 on the same 30 (the rule file decides);
    # never 99437, which the pooled 70 minutes would have made.
    assert "99437" not in {x.code for x in result.lines}
    assert sum(x.seconds for x in result.lines) <= 30 * 60
    assert {w.code for w in result.warnings} >= {"other_practitioner", "consent_during_month"}
