"""`ccm-timer export --approved-only`: notes (or a draft) of the approved patient-months
only, as the app's "Only approved patients" makes them (a real subprocess)."""

from __future__ import annotations

import json

from ccm_timer.services.month import approvals
from tests.fixtures.cli import ok, run_cli
from tests.fixtures.clinic import MONTH, approver


def test_notes_of_the_approved_patients_only(month_clinic, home):
    ctx, _ = month_clinic
    refused = run_cli(home, "export", "--month", MONTH, "--format", "ehr-text",
                      "--approved-only")
    assert refused.returncode == 1 and "No patient-month of 2026-11 is approved" in (
        refused.stderr)
    approvals.approve(ctx, MONTH, "T1001", by=approver(ctx))
    said = json.loads(ok(home, "export", "--month", MONTH, "--format", "ehr-text",
                         "--approved-only", "--json"))
    assert (said["patients"], said["left_out"]) == (1, 2)
