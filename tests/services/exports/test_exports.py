"""Exports as a whole: recorded (who, when, month, scope, format, SHA-256), written
atomically without patient identifiers in the file name, gated by approval, and amended
when the month changes after an export."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from datetime import timedelta

import pytest
from sqlmodel import select

from ccm_timer.core.access import Action
from ccm_timer.errors import UserError
from ccm_timer.services import exports
from ccm_timer.services import settings as settings_file
from ccm_timer.services.delivery import targets
from ccm_timer.services.exports import history
from ccm_timer.services.month import approvals
from ccm_timer.services.people import access, clinicians
from ccm_timer.services.people.access import Refused
from ccm_timer.services.timing import entries, timers
from ccm_timer.store.models import AuditEvent, Export, OutboxItem
from tests.fixtures import clinic
from tests.fixtures.clinic import (
    NURSE,
    PHYSICIAN,
    approver,
    corrector,
    exporter,
    give_passwords,
    signer,
)

OFFICE = "Morgan Billing"  # the billing office: exports, never approves


def csv_rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def records(ctx) -> list[Export]:
    with ctx.read() as session:
        return list(session.exec(select(Export).order_by(Export.created_at)))


def test_an_export_is_recorded_and_written_atomically(month_clinic):
    ctx, _ = month_clinic
    approvals.approve(ctx, clinic.MONTH, by=approver(ctx))
    result = exports.export_month(ctx, clinic.MONTH, "csv", by=exporter(ctx))
    assert re.fullmatch(r"ccm-2026-11-[0-9a-f]{8}\.csv", result.path.name)
    assert result.path.parent == ctx.paths.data / "exports"
    assert [p.name for p in result.path.parent.iterdir()] == [result.path.name]  # no temp
    data = result.path.read_bytes()
    [row] = records(ctx)
    assert (row.actor, row.created_at, row.month, row.scope, row.format) == (
        "Dr Blake Test", clinic.AFTER, "2026-11", "all", "csv")
    assert row.sha256 == hashlib.sha256(data).hexdigest() == result.sha256
    assert row.content == data and not row.amendment
    assert result.path.name.startswith(f"ccm-2026-11-{row.id.hex[:8]}")
    with ctx.read() as session:
        actions = [e.action for e in session.exec(select(AuditEvent).order_by(AuditEvent.seq))]
    assert actions[-2:] == ["export.record", "export.content"]
    assert result.sentence() == (f"Exported csv of 2026-11: 2 claim line(s) for 3 patient(s) "
                                 f"to {result.path}.")


def test_one_patient_and_an_explicit_file(month_clinic, tmp_path):
    ctx, _ = month_clinic
    approvals.approve(ctx, clinic.MONTH, by=approver(ctx))
    out = tmp_path / "office" / "november.json"
    result = exports.export_month(ctx, clinic.MONTH, "json", mrn="T1001", out=out, by=exporter(ctx))
    assert result.path == out
    data = json.loads(out.read_bytes())
    assert {x["patient"]["mrn"] for x in data["lines"]} == {"T1001"}
    assert [p["mrn"] for p in data["patients"]] == ["T1001"]
    assert records(ctx)[0].scope == "T1001"
    assert "T1001" not in records(ctx)[0].filename_hint


def test_billing_files_carry_approved_lines_unless_a_draft_is_asked(month_clinic):
    ctx, _ = month_clinic
    with pytest.raises(UserError, match="No patient-month of 2026-11 is approved for "
                                        "billing; approve with `ccm-timer approve"):
        exports.export_month(ctx, clinic.MONTH, "csv", by=exporter(ctx))
    assert records(ctx) == []
    draft = exports.export_month(ctx, clinic.MONTH, "csv", draft=True)
    assert {r["status"] for r in csv_rows(draft.content)} == {"draft"}
    assert "draft" in draft.path.name
    approvals.approve(ctx, clinic.MONTH, "T1002", by=approver(ctx))
    only = exports.export_month(ctx, clinic.MONTH, "json", by=exporter(ctx))
    data = json.loads(only.content)
    assert data["lines"] == []  # José's one line is held for consent
    assert [p["mrn"] for p in data["patients"]] == ["T1002"]
    assert sorted(x["mrn"] for x in data["left_out"]) == ["T1001", "T1003"]
    assert only.left_out == 2
    # Notes are documentation, not billing: every patient, approved or not.
    notes = exports.export_month(ctx, clinic.MONTH, "ehr-text")
    assert notes.content.decode().count("Care management monthly summary") == 3


def test_an_edit_after_export_makes_the_next_export_an_amendment(month_clinic, clock):  # noqa: E501
    ctx, made = month_clinic
    approvals.approve(ctx, clinic.MONTH, by=approver(ctx))
    first = exports.export_month(ctx, clinic.MONTH, "csv", by=exporter(ctx))
    clock.advance(timedelta(days=1))
    entries.edit(ctx, str(made["plan"].id), reason="review ran longer",
                 end=clinic.DAY + timedelta(days=6, minutes=45), by=corrector(ctx, PHYSICIAN))
    # The notes say which entry changed after the export.
    summary = exports.month_summary(ctx, clinic.MONTH, "T1001")
    assert "[amended after export]" in summary
    assert ("Changed since this month was exported for billing:\n- 11/09/2026 10:00, "
            "Care-plan review or revision, Dr Blake Test: edited (review ran longer); "
            "changed 12/02/2026 10:00 by Dr Blake Test") in summary
    assert "changed since: needs approval again" in summary
    note = exports.note_for_entry(ctx, made["plan"].id)
    assert "Amended after this month was exported for billing." in note
    assert "Corrected entry, version 2: review ran longer" in note
    # Reopened: the billing file leaves Alma out until approved again.
    reopened = exports.export_month(ctx, clinic.MONTH, "csv", by=exporter(ctx))
    assert csv_rows(reopened.content) == [] and reopened.left_out == 1
    assert not reopened.amendment
    approvals.approve(ctx, clinic.MONTH, "T1001", by=approver(ctx))
    amended = exports.export_month(ctx, clinic.MONTH, "json", by=exporter(ctx))
    assert amended.amendment and records(ctx)[-1].amendment
    data = json.loads(amended.content)
    assert data["amendment"] is True
    assert [a["export_id"] for a in data["amends"]] == [str(first.export_id)]
    [alma] = [p for p in data["patients"] if p["mrn"] == "T1001"]
    assert [(c["what"], c["reason"]) for c in alma["changes"]] == [
        ("edited", "review ran longer")]
    changed = [e for x in data["lines"] for e in x["entries"] if e["amended_after_export"]]
    assert {(e["version"], e["end"]) for e in changed} == {(2, "10:45")}
    again = exports.export_month(ctx, clinic.MONTH, "csv", by=exporter(ctx))
    assert not again.amendment  # nothing changed since the amendment


def test_a_billing_file_needs_an_exporter_who_gives_their_password(month_clinic):
    ctx, _ = month_clinic
    approvals.approve(ctx, clinic.MONTH, by=approver(ctx))
    with pytest.raises(Refused, match=r"Avery Nurse \(clinical staff\) may not export "
                                      "billing files: only practitioners or the "
                                      "billing office may"):
        signer(ctx, NURSE, Action.EXPORT)
    nurse = corrector(ctx)
    for who, words in ((None, "needs the exporter's password"),
                       (access.named(ctx, PHYSICIAN), "must give their password"),
                       (approver(ctx), "must give their password"),  # for another action
                       (nurse, "may not export billing files")):
        for fmt in ("csv", "json", "fhir"):
            with pytest.raises(Refused, match=words):
                exports.export_month(ctx, clinic.MONTH, fmt, by=who)
    assert records(ctx) == []
    assert not (ctx.paths.data / "exports").exists() or not any(
        (ctx.paths.data / "exports").iterdir())
    # Notes and drafts are reading, not attesting: anyone, no password.
    notes = exports.export_month(ctx, clinic.MONTH, "ehr-text", by=nurse)
    draft = exports.export_month(ctx, clinic.MONTH, "csv", draft=True)
    assert [r.actor for r in records(ctx)] == [NURSE, NURSE]
    assert notes.draft is False and draft.draft


def test_the_billing_office_exports_and_queues_again_but_never_approves(month_clinic):
    ctx, _ = month_clinic
    clinicians.add(ctx, name=OFFICE, credential="CPC", role="office", duties=("billing",))
    give_passwords(ctx, (OFFICE,))
    approvals.approve(ctx, clinic.MONTH, by=approver(ctx))
    with pytest.raises(Refused, match="may not approve a month"):
        signer(ctx, OFFICE, Action.APPROVE)
    result = exports.export_month(ctx, clinic.MONTH, "csv", by=signer(ctx, OFFICE,
                                                                      Action.EXPORT))
    assert records(ctx)[-1].actor == OFFICE and result.lines
    with ctx.read() as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "export.content")
                             ).one()
    assert event.actor == OFFICE
    # Queueing failed deliveries again: the export duty, no password (the file exists).
    assert history.requeue_failed(ctx, access.named(ctx, OFFICE)) == 0
    with pytest.raises(Refused, match="Avery Nurse may not export billing files or queue"):
        history.requeue_failed(ctx, access.named(ctx, NURSE))


def test_drafts_do_not_count_as_exports(month_clinic):
    ctx, made = month_clinic
    exports.export_month(ctx, clinic.MONTH, "csv", draft=True)
    entries.edit(ctx, str(made["call1"].id), reason="typo", note="BP log reviewed.",
                 by=corrector(ctx))
    approvals.approve(ctx, clinic.MONTH, by=approver(ctx))
    assert not exports.export_month(ctx, clinic.MONTH, "csv", by=exporter(ctx)).amendment


def test_send_queues_in_the_same_transaction(month_clinic, tmp_path):
    ctx, _ = month_clinic
    approvals.approve(ctx, clinic.MONTH, by=approver(ctx))
    drop = tmp_path / "billing-drop"
    drop.mkdir()
    targets.add(ctx, "office", kind="folder", url=str(drop))
    result = exports.export_month(ctx, clinic.MONTH, "fhir", send="office", by=exporter(ctx))
    with ctx.read() as session:
        [item] = session.exec(select(OutboxItem)).all()
    assert (item.export_id, item.target) == (result.export_id, "office")
    with pytest.raises(UserError):
        exports.export_month(ctx, clinic.MONTH, "csv", send="nowhere", by=exporter(ctx))
    assert len(records(ctx)) == 1  # the failed one left no record ...
    # ... and no file: a queued export is kept only inside the encrypted database.
    assert result.path is None
    assert not (ctx.paths.data / "exports").exists() or not list(
        (ctx.paths.data / "exports").iterdir())


def test_an_unwritable_folder_leaves_no_record_and_no_partial_file(qapp, month_clinic, tmp_path):  # noqa: E501
    ctx, _ = month_clinic
    approvals.approve(ctx, clinic.MONTH, by=approver(ctx))
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder should be")
    with pytest.raises(UserError, match=r"^Cannot write the export to .*not-a-folder "
                                        r"\(.*\); free some space or choose another folder"):
        exports.export_month(ctx, clinic.MONTH, "pdf", out=blocker / "report.pdf", by=exporter(ctx))
    assert records(ctx) == []
    assert blocker.read_text() == "a file where a folder should be"


def test_notes_for_entries(month_clinic):
    ctx, made = month_clinic
    assert exports.note_for_last_entry(ctx).startswith(
        "Care management time: Remote Physiologic Monitoring")  # the nurse's last: RPM
    assert "Performed by: Dr Blake Test, MD" in exports.note_for_last_entry(ctx, "Dr Blake Test")
    running = timers.start(ctx, patient_mrn="T1001", category_slug="phone-call", note="live")
    assert "10:00-still running EST" in exports.note_for_entry(ctx, running.id)
    timers.stop(ctx)
    oversight = timers.start(ctx, patient_mrn=None, category_slug="quality-improvement")
    with pytest.raises(UserError, match="program-level time with no patient"):
        exports.note_for_entry(ctx, oversight.id)


def test_date_of_service_can_be_the_day_the_time_reached_the_code(month_clinic):
    ctx, _ = month_clinic
    approvals.approve(ctx, clinic.MONTH, by=approver(ctx))
    first = csv_rows(exports.export_month(ctx, clinic.MONTH, "csv", to_stdout=True,
                                          by=exporter(ctx)).content)
    assert {r["date_of_service"] for r in first} == {"2026-11-30"}  # the default
    ctx.update_settings(date_of_service="threshold")
    rows = csv_rows(exports.export_month(ctx, clinic.MONTH, "csv", to_stdout=True,
                                         by=exporter(ctx)).content)
    # 12 + 12 minutes reach 99490's 20 on Nov 4; 99439 x2 needs 60, reached on Nov 9.
    assert [(r["code"], r["date_of_service"]) for r in rows] == [
        ("99490", "2026-11-04"), ("99439", "2026-11-09")]
    # A rule outside the declared choices is refused as it is set: the export keeps its rule.
    with pytest.raises(UserError, match="date_of_service must be one of month_end, threshold"):
        ctx.update_settings(date_of_service="whenever")
    assert settings_file.load(ctx.paths.settings_file).date_of_service == "threshold"
    again = csv_rows(exports.export_month(ctx, clinic.MONTH, "csv", to_stdout=True,
                                          by=exporter(ctx)).content)
    assert [(r["code"], r["date_of_service"]) for r in again] == [
        ("99490", "2026-11-04"), ("99439", "2026-11-09")]


def test_nothing_to_export_and_unknown_formats(month_clinic):
    ctx, _ = month_clinic
    with pytest.raises(UserError, match="No patient has time or an enrollment in 2025-01"):
        exports.export_month(ctx, "2025-01", "csv", draft=True)
    with pytest.raises(UserError, match="format 'xlsx' is unknown"):
        exports.export_month(ctx, clinic.MONTH, "xlsx")
    assert records(ctx) == []


def test_every_billing_file_carries_the_audit_chain_head(month_clinic):
    ctx, _ = month_clinic
    approvals.approve(ctx, clinic.MONTH, by=approver(ctx))
    data = json.loads(exports.export_month(ctx, clinic.MONTH, "json", by=exporter(ctx)).content)
    with ctx.read() as session:
        trail = {e.hash: e.seq for e in session.exec(select(AuditEvent))}
        [record] = session.exec(select(Export)).all()
    head = data["audit_chain_head"]
    assert head in trail  # the file names a real event of this database's chain ...
    assert head == record.chain_head  # ... the one its export record stores
    rows = csv_rows(exports.export_month(ctx, clinic.MONTH, "csv", by=exporter(ctx)).content)
    bundle = json.loads(exports.export_month(ctx, clinic.MONTH, "fhir", by=exporter(ctx)).content)
    tags = {t["system"]: t["code"] for t in bundle["meta"]["tag"]}
    with ctx.read() as session:
        trail = {e.hash for e in session.exec(select(AuditEvent))}
    assert {r["audit_chain_head"] for r in rows} <= trail
    assert tags["urn:ccm-timer:audit-chain-head"] in trail
