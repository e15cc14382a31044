"""`patient set --care-manager NAME` and `patient add --care-manager` (issue 17): the
clinician who manages a patient's care, whom the worklist filters by; "" removes them."""

from __future__ import annotations

from tests.fixtures.cli import fails, js, ok


def _care_manager(home, mrn: str):
    from ccm_timer.services.context import open_app
    from ccm_timer.services.people import clinicians, patients

    ctx = open_app(str(home))
    try:
        who = patients.get(ctx, mrn).care_manager_id
        return next((c.name for c in clinicians.list_clinicians(ctx) if c.id == who), None)
    finally:
        ctx.close()


def test_set_and_clear_the_care_manager(cli_clinic) -> None:
    assert "Updated T1002" in ok(cli_clinic, "patient", "set", "--mrn", "T1002",
                                 "--care-manager", "Avery Nurse")
    assert _care_manager(cli_clinic, "T1002") == "Avery Nurse"
    fails(cli_clinic, "patient", "set", "--mrn", "T1002", "--care-manager", "Nobody",
          match="There is no clinician 'Nobody'")
    ok(cli_clinic, "patient", "set", "--mrn", "T1002", "--care-manager", "")
    assert _care_manager(cli_clinic, "T1002") is None
    added = js(cli_clinic, "patient", "add", "--mrn", "T2001", "--name", "New, Pat",
               "--care-manager", "Dr Blake Test")
    assert added["mrn"] == "T2001" and _care_manager(cli_clinic, "T2001") == "Dr Blake Test"
