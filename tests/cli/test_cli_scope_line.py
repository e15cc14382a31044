"""`report` and `worklist` say first whose minutes they count (issue 19, point 2), as the
windows do, and carry it as "scope" in JSON: the clinic's as of the last pull, this
workstation's only once that is old, the hub's own rows for `report --hub`; a CSV stays a
table from its first line."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from ccm_timer.cli.main import build_parser
from ccm_timer.services.delivery import hub, hub_pull, hub_scope, targets
from tests.fixtures.delivery import HUB_PASSWORD, add_minutes


def _run(ctx, capsys, *argv: str) -> str:
    args = build_parser().parse_args(list(argv))
    args.json = getattr(args, "json", False)
    capsys.readouterr()
    args.handler(ctx, args)
    return capsys.readouterr().out


@pytest.fixture
def south(two, hub_url, token_keyring, clock):
    """ws-south having pulled ws-north's 12 minutes."""
    north, south = two
    for ws in two:
        targets.add(ws, "hub", kind="hub", url=hub_url, secret=HUB_PASSWORD)
    add_minutes(north, clock.now() - timedelta(days=1), 12)
    for ws in two:
        hub.push_target(ws, targets.get(ws, "hub"), force=True)
    hub_pull.pull(south, targets.get(south, "hub"))
    return south


def test_report_and_worklist_say_whose_minutes_first_and_in_json(south, capsys, clock):
    at = hub_scope.last_pull(south, "hub")
    when = at.astimezone(south.zone).strftime("%H:%M")
    fresh = f"Minutes from all workstations, as of {when}."
    for command in (["report", "--month", "2026-11"], ["worklist", "--month", "2026-11"]):
        assert _run(south, capsys, *command).splitlines()[0] == fresh
    data = json.loads(_run(south, capsys, "report", "--month", "2026-11", "--json"))
    assert data["scope"] == {"label": f"All workstations, as of {when}",
                             "all_workstations": True, "hub": "hub",
                             "as_of": at.isoformat()}
    assert data["patients"][0]["minutes"]["clinical_staff"] == 12  # the pulled minutes
    csv = _run(south, capsys, "report", "--month", "2026-11", "--csv")
    assert csv.startswith("mrn,name,")

    clock.advance(hub_scope.STALE_AFTER + timedelta(minutes=1))
    stale = (f"Minutes from this workstation, and the others as of {when}, when the clinic "
             "hub was last reached.")
    assert _run(south, capsys, "worklist", "--month", "2026-11").splitlines()[0] == stale
    data = json.loads(_run(south, capsys, "worklist", "--month", "2026-11", "--json"))
    assert data["scope"]["all_workstations"] is False
    assert data["scope"]["label"] == (f"This workstation, and the others as of {when}, when "
                                      "the clinic hub was last reached")
    hubbed = json.loads(_run(south, capsys, "report", "--month", "2026-11", "--hub", "hub",
                             "--json"))
    assert hubbed["scope"]["label"] == "All workstations, read from the clinic hub now"
    assert hubbed["scope"]["all_workstations"] is True


def test_a_workstation_without_a_hub_says_this_workstation_only(clinic, capsys):
    out = _run(clinic, capsys, "report", "--month", "2026-11")
    assert out.splitlines()[0] == "Minutes from this workstation only."
    data = json.loads(_run(clinic, capsys, "worklist", "--month", "2026-11", "--json"))
    assert data["scope"] == {"label": "This workstation only", "all_workstations": False,
                             "hub": None, "as_of": None}
