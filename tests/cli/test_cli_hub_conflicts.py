"""`ccm-timer hub conflicts` as a real subprocess on a real PostgreSQL: the billing office's
or an administrator's list of what the hub kept when a push disagreed with it."""

from __future__ import annotations

import json

from ccm_timer.services.delivery import hub, targets
from ccm_timer.services.people import patients
from tests.fixtures.clinic import ADMIN, PASSWORD
from tests.fixtures.delivery import HUB_PASSWORD, open_workstation


def test_hub_conflicts_lists_a_renamed_patient_for_an_administrator_only(
        cli, admin_clinic, token_keyring, hub_url, tmp_path, clock):
    from ccm_timer.services.security import credentials

    targets.add(admin_clinic, "hub", kind="hub", url=hub_url, secret=HUB_PASSWORD,
                by=credentials.verify(admin_clinic, ADMIN, PASSWORD))
    shown = cli("hub", "conflicts", "--as", ADMIN, input=f"{PASSWORD}\n")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("No conflicts on hub")
    hub.push(admin_clinic, hub_url, HUB_PASSWORD)
    south = open_workstation(tmp_path / "other", "ws-south", clock)
    try:
        patients.add(south, mrn="T1002", name="Sample, Josef")  # "Sample, José" here
        hub.push(south, hub_url, HUB_PASSWORD)
    finally:
        south.close()
    refused = cli("hub", "conflicts")  # the default clinician: neither billing nor admin
    assert refused.returncode == 1
    assert "the billing office or an administrator" in refused.stderr
    assert "Traceback" not in refused.stderr
    shown = cli("hub", "conflicts", "--as", ADMIN, input=f"{PASSWORD}\n")
    assert shown.returncode == 0, shown.stderr
    header, row = shown.stdout.splitlines()[:2]
    assert header.split() == ["RECORDED", "FROM", "VIA", "KIND", "WHAT"]
    assert "ws-south" in row and "a push" in row and "renamed" in row and "T1002" in row
    found = json.loads(cli("hub", "conflicts", "--as", ADMIN, "--json",
                           input=f"{PASSWORD}\n").stdout)
    assert [(c["kind"], c["from"], c["source"]) for c in found] == [
        ("renamed", "ws-south", "a push")]
    assert found[0]["recorded_at"].endswith("-05:00")  # local time
    # The hub's report says one waits (counted, never listed: the list is audited).
    report = cli("report", "--month", "2026-11", "--hub", "hub")
    assert report.returncode == 0, report.stderr
    assert ("1 conflict on the clinic hub waits for the billing office: see "
            "`ccm-timer hub conflicts --as NAME`.") in report.stdout.splitlines()
    assert "Josef" not in report.stdout
    counted = json.loads(cli("report", "--month", "2026-11", "--hub", "hub", "--json").stdout)
    assert counted["hub_conflicts"] == 1
