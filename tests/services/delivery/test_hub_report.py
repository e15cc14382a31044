"""`report --hub`: the month report computed on the clinic hub adds up every workstation."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from ccm_timer.cli.main import run
from ccm_timer.services.delivery import hub, targets
from ccm_timer.services.month import report
from tests.fixtures.delivery import HUB_PASSWORD, add_minutes

NOV3 = datetime(2026, 11, 3, 13, 0, tzinfo=UTC)


def _billable(month_report, mrn="T1001"):
    patient = month_report.patient(mrn)
    return [(line.code, line.units) for line in patient.result.billable_lines]


def test_hub_report_crosses_a_threshold_neither_workstation_reaches(two, hub_url):
    ws1, ws2 = two
    add_minutes(ws1, NOV3, 12)
    add_minutes(ws2, NOV3.replace(hour=14), 10)
    assert _billable(report.month_report(ws1, "2026-11")) == []
    assert _billable(report.month_report(ws2, "2026-11")) == []
    hub.push(ws1, hub_url, HUB_PASSWORD)
    hub.push(ws2, hub_url, HUB_PASSWORD)
    engine = hub.open_engine(hub_url, HUB_PASSWORD)
    try:
        on_hub = report.month_report_on(engine, "2026-11", ws1.zone, ws1.now())
    finally:
        engine.dispose()
    assert _billable(on_hub) == [("99490", 1)]
    assert on_hub.patient("T1001").result.seconds_by_role["clinical_staff"] == 22 * 60


def test_report_command_from_the_hub(two, hub_url, capsys):
    ws1, ws2 = two
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
