"""`ccm-timer worklist`: the month's worklist on the command line, filtered, in JSON, its
read audited; a wrong program or care manager is one sentence and an error code."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from ccm_timer.store.models import AuditEvent, Clinician, Patient
from tests.fixtures.billable import make_billable
from tests.fixtures.cli import run_cli
from tests.fixtures.clinic import NURSE


@pytest.fixture
def busy_clinic(busy_clinic):
    return make_billable(busy_clinic)


def test_worklist_json_filters_and_errors(busy_clinic, home):
    with busy_clinic.write() as session:
        row = session.exec(select(Patient).where(Patient.mrn == "T2010")).one()
        row.care_manager_id = session.exec(select(Clinician.id).where(
            Clinician.name == NURSE)).one()
        session.add(row)
    done = run_cli(home, "worklist", "--month", "2026-11", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["month"] == "2026-11" and data["days_left"] == 0  # November is over by now
    first = data["patients"][0]
    assert (first["mrn"], first["program"], first["minutes_needed"], first["next_code"],
            first["no_contact_yet"], first["care_manager"]) == (
        "T2010", "CCM", 20, "99490", True, NURSE)
    # The filters as a nurse types them, then the mistakes (nothing read, nothing audited).
    mine = run_cli(home, "worklist", "--month", "2026-11", "--care-manager", "avery nurse",
                   "--program", "ccm")
    assert mine.returncode == 0, mine.stderr
    assert "T2010" in mine.stdout and "T2001" not in mine.stdout
    wrong = run_cli(home, "worklist", "--program", "XYZ")
    assert wrong.returncode != 0 and "No program is called 'XYZ'" in wrong.stderr
    assert "CPO_HOSPICE, APCM, COCM." in wrong.stderr  # the stored programs, all of them
    rpm = json.loads(run_cli(home, "worklist", "--month", "2026-11", "--program", "rpm",
                             "--json").stdout)["patients"]
    assert rpm[-1]["mrn"] == "T2009" and rpm[-1]["held"].startswith("needs a real-time")
    nobody = run_cli(home, "worklist", "--month", "2026-11", "--care-manager", "Nobody Here")
    assert nobody.returncode != 0 and "check the name" in nobody.stderr
    with busy_clinic.read() as session:
        reads = session.exec(select(AuditEvent).where(AuditEvent.action == "read.report")).all()
    assert [json.loads(e.after)["detail"] for e in reads] == ["worklist"] * 3
