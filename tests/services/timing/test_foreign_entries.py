"""Only the workstation that made an entry changes it (issue 19: entries pulled from the
clinic hub or carried in a bundle): here, stopping, pausing, switching away from, editing or
voiding another workstation's entry is refused in one sentence, and nothing changes. The
entry is another workstation's by its `workstation` column, set here in SQL as a row that
came from elsewhere would have it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from ccm_timer.errors import UserError
from ccm_timer.services.timing import entries, timers
from tests.fixtures.clinic import corrector

SAID = "This entry was recorded on workstation ws-east; correct it there."


def _made_elsewhere(ctx, entry_id) -> None:
    with ctx.write() as session:
        session.connection().execute(text(
            "UPDATE time_entry SET workstation = 'ws-east' WHERE id = :id"),
            {"id": entry_id.hex})


def _versions(ctx) -> list[tuple]:
    with ctx.read() as session:
        return session.connection().execute(text(
            "SELECT version, state, superseded_at FROM time_entry ORDER BY version")).all()


@pytest.mark.parametrize("action", ["stop", "pause", "switch"])
def test_a_live_timer_of_another_workstation_is_not_stopped_here(clinic, clock, action):
    live = timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
    _made_elsewhere(clinic, live.id)
    clock.advance(timedelta(minutes=5))
    before = _versions(clinic)
    with pytest.raises(UserError) as refused:
        if action == "switch":
            timers.switch(clinic, patient_mrn="T1002", category_slug="phone-call")
        else:
            getattr(timers, action)(clinic)
    assert str(refused.value) == SAID
    assert _versions(clinic) == before


def test_another_workstation_s_entry_is_not_edited_or_voided_here(clinic, clock):
    live = timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
    clock.advance(timedelta(minutes=5))
    timers.stop(clinic)
    _made_elsewhere(clinic, live.id)
    for change in (lambda: entries.edit(clinic, str(live.id), reason="typo", note="x",
                                        by=corrector(clinic)),
                   lambda: entries.void(clinic, str(live.id), reason="twice",
                                        by=corrector(clinic))):
        with pytest.raises(UserError) as refused:
            change()
        assert str(refused.value) == SAID
    assert _versions(clinic) == [(1, "STOPPED", None)]
