"""Every change the issue lists leaves an audit event naming who, where and when, chained.

Covered elsewhere and not repeated: start, pause, resume, stop
(tests/services/timing/test_timers.py), recovery decisions
(tests/services/timing/test_recovery.py), sleep-gap decisions
(tests/services/timing/test_sleep_gaps.py, tests/ui/test_questions.py), exports
(tests/services/exports/test_exports.py, tests/services/delivery/test_outbox.py). This test
walks the rest: manual entry, edit, void, enrollment, consent and billing-practitioner
changes, key events.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from sqlmodel import col, select

from ccm_timer.services.people import patients
from ccm_timer.services.security import audit
from ccm_timer.services.timing import entries
from ccm_timer.store.models import AuditEvent
from tests.fixtures.clinic import corrector


def test_manual_entries_edits_voids_and_enrollment_changes_are_audited(clinic, clock):
    added = entries.add_manual(clinic, patient_mrn="T1001", category_slug="phone-call",
                               start=datetime(2026, 11, 2, 14, tzinfo=UTC),
                               end=datetime(2026, 11, 2, 14, 20, tzinfo=UTC), note="call")
    edited = entries.edit(clinic, str(added.id), end=datetime(2026, 11, 2, 14, 15, tzinfo=UTC),
                          reason="call was shorter", by=corrector(clinic))
    entries.void(clinic, str(edited.id), reason="entered for the wrong patient",
                 by=corrector(clinic))
    patients.set_consent(clinic, "T1002", "CCM", date(2026, 11, 1), method="verbal")
    patients.set_billing_practitioner(clinic, "T1001", "Dr Blake Test")
    with clinic.read() as session:
        events = list(session.exec(select(AuditEvent).order_by(col(AuditEvent.seq))))
        assert audit.verify(session).ok
    actions = [e.action for e in events]
    for wanted in ("key.create", "clinician.add", "patient.add", "enrollment.set",
                   "entry.add", "entry.edit", "entry.void", "patient.billing_practitioner"):
        assert wanted in actions, (wanted, actions)
    by_action = {e.action: e for e in events}
    edit = by_action["entry.edit"]
    assert edit.actor == "Avery Nurse" and edit.workstation == "ws-test-1"
    assert edit.at_utc == clock.now()
    assert json.loads(edit.before)["intervals"] != json.loads(edit.after)["intervals"]
    consent = [e for e in events if e.action == "enrollment.set"][-1]
    assert json.loads(consent.after)["consent_date"] == "2026-11-01"
