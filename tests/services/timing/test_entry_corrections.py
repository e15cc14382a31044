"""Correct entry moves time to another activity or patient (issue 17, point 6): a new
version with a reason, the same checks as any entry, and the history says what moved."""

from __future__ import annotations

import pytest

from ccm_timer.errors import UserError
from ccm_timer.services.timing import categories, entries
from tests.fixtures.clinic import corrector, log


def test_the_ccm_call_on_an_rpm_patient_moves_to_rpm(nov):
    wrong = log(nov, "T1003", 12)  # "Phone call · CCM" for an RPM-only patient
    assert categories.entry_warning(nov, wrong.id) is not None
    fixed = entries.edit(nov, str(wrong.id), reason="RPM call, not CCM",
                         category_slug="rpm-phone-call", by=corrector(nov))
    assert (fixed.version, fixed.category, fixed.program, fixed.seconds) == (
        2, "rpm-phone-call", "RPM", 720)
    assert categories.entry_warning(nov, fixed.id) is None
    old, new = entries.history(nov, str(wrong.id))
    assert (old.category, old.program, old.superseded) == ("phone-call", "CCM", True)
    assert new.change_reason == "RPM call, not CCM"


def test_moving_to_another_patient_keeps_the_times_and_checks_them(nov):
    alma = log(nov, "T1001", 10)
    moved = entries.edit(nov, str(alma.id), reason="wrong chart", patient_mrn="T1002",
                         by=corrector(nov))
    assert (moved.patient_mrn, moved.start, moved.seconds) == ("T1002", alma.start, 600)
    with pytest.raises(UserError, match="no patient"):
        entries.edit(nov, str(alma.id), reason="x", category_slug="program-monitoring",
                     patient_mrn="T1001", by=corrector(nov))
    with pytest.raises(UserError, match="T9999"):
        entries.edit(nov, str(alma.id), reason="x", patient_mrn="T9999", by=corrector(nov))
    assert len(entries.history(nov, str(alma.id))) == 2  # the refusals changed nothing
