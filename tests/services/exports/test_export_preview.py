"""What the export window relies on in the services: the preview said before exporting
(money never silent), the approved-only scope, progress with a way to stop, every export an
audited read, and the export history with its deliveries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from ccm_timer.services import exports
from ccm_timer.services.delivery import outbox, targets
from ccm_timer.services.exports import history, preflight
from ccm_timer.services.exports.month_export import NothingToExport
from ccm_timer.services.month import approvals
from ccm_timer.store.models import AuditEvent, Export, OutboxState
from tests.fixtures import clinic
from tests.fixtures.clinic import PHYSICIAN, approver, exporter


def actions(ctx) -> list[str]:
    with ctx.read() as session:
        return [e.action for e in session.exec(select(AuditEvent).order_by(AuditEvent.seq))]


def test_the_preview_names_who_is_left_out_what_is_held_and_uncertain_rules(month_clinic):
    ctx, _ = month_clinic
    before = preflight.preview(ctx, clinic.MONTH, "csv")
    assert before.patients == 0 and before.left_out == 3
    assert before.nothing.startswith("No patient of this month is approved for billing")
    [left] = [n for n in before.notices if n.source == preflight.APPROVALS]
    assert "3 patients will be left out" in left.text and "Sample, José (not approved)" in (
        left.text)

    approvals.approve(ctx, clinic.MONTH, by=approver(ctx))
    after = preflight.preview(ctx, clinic.MONTH, "csv")
    assert after.nothing is None and after.summary == "2 claim lines for 3 patients."
    said = {(n.source, n.text) for n in after.notices}
    assert ("Sample, José", "99490 is held, not billed: no CCM consent on file for this "
            "month; fewer than 2 chronic condition(s) on file.") in said
    assert any(s == "Testpatient, Alma" and "cannot be billed" in t for s, t in said)
    # RPM's 99457 is held, so its uncertain payment is not billed and not called out.
    assert not any(s.startswith("Billing rules") for s, _ in said)


def test_a_billed_code_with_an_uncertain_payment_is_called_out(month_clinic):
    ctx, _ = month_clinic
    from ccm_timer.services.month import month_flags
    from ccm_timer.services.month.billing_rules import rules_for_month
    from ccm_timer.services.people import access

    month_flags.set_flags(ctx, "T1003", clinic.MONTH, by=access.named(ctx, PHYSICIAN),
                          interactive_contact=True)  # 99457 is billed now
    found = preflight.preview(ctx, clinic.MONTH, "json", draft=True)
    pay = rules_for_month(clinic.MONTH).codes["99457"].payment_usd
    assert preflight.Notice("Billing rules 2026", f"The payment for 99457 (${pay:,.2f}) is "
                            "marked uncertain: check it against your fee schedule.") in (
        found.notices)
    assert any(n.source == preflight.APPROVALS and n.text.startswith("A draft:")
               for n in found.notices)
    notes = preflight.preview(ctx, clinic.MONTH, "ehr-text")
    assert notes.summary == "Notes for 3 patients."
    assert not any(n.source.startswith("Billing rules") for n in notes.notices)


def test_approved_only_leaves_out_unapproved_patients_from_notes(month_clinic):
    ctx, _ = month_clinic
    with pytest.raises(NothingToExport) as refused:
        exports.export_month(ctx, clinic.MONTH, "ehr-text", approved_only=True)
    assert refused.value.unapproved and not list((ctx.paths.data / "exports").glob("*"))
    approvals.approve(ctx, clinic.MONTH, "T1001", by=approver(ctx))
    result = exports.export_month(ctx, clinic.MONTH, "ehr-text", approved_only=True)
    assert result.patients == 1 and result.left_out == 2
    assert b"Testpatient" in result.content and b"Sample" not in result.content
    ctx.clock.advance(timedelta(minutes=1))
    every = exports.export_month(ctx, clinic.MONTH, "ehr-text")
    assert every.patients == 3
    [mine, _other] = history.list_history(ctx)[::-1]
    assert mine.approved_only and mine.draft is False and mine.scope == "all"


def test_progress_reports_each_patient_and_stopping_writes_nothing(month_clinic):
    ctx, _ = month_clinic
    heard = []
    exports.export_month(ctx, clinic.MONTH, "json", draft=True,
                         progress=lambda *a: heard.append(a))
    stages = [s for s, _, _ in heard]
    assert stages[0] == "reading" and stages[-2:] == ["rendering", "recording"]
    assert [(d, t) for s, d, t in heard if s == "gathering"] == [(0, 3), (1, 3), (2, 3)]

    class Stop(Exception):
        pass

    def stop(stage, done, total):
        if stage == "gathering" and done == 1:
            raise Stop

    events = len(actions(ctx))
    with pytest.raises(Stop):
        exports.export_month(ctx, clinic.MONTH, "json", draft=True, progress=stop)
    assert len(actions(ctx)) == events
    with ctx.read() as session:
        assert len(session.exec(select(Export)).all()) == 1


def test_every_export_is_an_audited_read_before_its_own_events(month_clinic):
    ctx, _ = month_clinic
    approvals.approve(ctx, clinic.MONTH, by=approver(ctx))
    exports.export_month(ctx, clinic.MONTH, "csv", by=exporter(ctx))
    assert actions(ctx)[-3:] == ["read.export", "export.record", "export.content"]
    with ctx.read() as session:
        read = session.exec(select(AuditEvent).where(AuditEvent.action == "read.export")).one()
    assert read.actor == PHYSICIAN and read.entity == "read" and read.entity_id == "2026-11"


def test_history_lists_who_when_what_and_each_delivery(month_clinic):
    ctx, _ = month_clinic
    targets.add(ctx, "billing", kind="https", url="https://billing.example.org/ccm")
    approvals.approve(ctx, clinic.MONTH, by=approver(ctx))
    sent = exports.export_month(ctx, clinic.MONTH, "csv", by=exporter(ctx), send="billing")
    ctx.clock.advance(timedelta(minutes=5))
    draft = exports.export_month(ctx, clinic.MONTH, "pdf", draft=True, mrn="T1001")
    [parcel] = outbox.claim(ctx, "test", due_by=ctx.now(), lease=timedelta(minutes=1))
    outbox.finish(ctx, "test", parcel, state=OutboxState.FAILED,
                  error="the server refused the file (HTTP 422)")
    newest, oldest = history.list_history(ctx)
    assert (newest.export_id, newest.fmt, newest.scope, newest.draft) == (
        draft.export_id, "pdf", "T1001", True)
    assert newest.deliveries == () and not newest.failed
    assert (oldest.actor, oldest.month, oldest.sha256, oldest.draft) == (
        PHYSICIAN, "2026-11", sent.sha256, False)
    [delivery] = oldest.deliveries
    assert (delivery.target, delivery.state, delivery.last_error) == (
        "billing", OutboxState.FAILED, "the server refused the file (HTTP 422)")
    assert oldest.failed
    assert history.requeue_failed(ctx, exporter(ctx)) == 1
    assert history.list_history(ctx)[1].deliveries[0].state is OutboxState.PENDING
