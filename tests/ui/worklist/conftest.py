"""The worklist tests' one helper: a patient's care manager, written to the column as stored
(migration 0012), whatever the patients service offers to set it."""

from __future__ import annotations

import pytest
from sqlmodel import select

from ccm_timer.store.models import Clinician, Patient


@pytest.fixture
def care_manager():
    def assign(ctx, mrn: str, name: str) -> None:
        with ctx.write() as session:
            row = session.exec(select(Patient).where(Patient.mrn == mrn)).one()
            row.care_manager_id = session.exec(select(Clinician.id).where(
                Clinician.name == name)).one()
            session.add(row)

    return assign


@pytest.fixture
def busy_clinic(busy_clinic):
    """Billable: the engine holds only T2009's RPM (no interactive contact recorded)."""
    from tests.fixtures.billable import make_billable

    return make_billable(busy_clinic)
