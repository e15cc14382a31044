"""The month document for notes and billing files: the month report, the entry views,
approvals and earlier exports, gathered and handed to exports/document.py as plain data."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, col, select

from ccm_timer.core.month import YearMonth, parse_month
from ccm_timer.errors import UserError, sentence
from ccm_timer.exports import document, record_items
from ccm_timer.exports.formats import BILLING_FORMATS
from ccm_timer.services.context import AppContext
from ccm_timer.services.month import approvals
from ccm_timer.services.month.approvals import Mark
from ccm_timer.services.month.billing_rules import rules_for_month
from ccm_timer.services.month.month_record import PatientRecord
from ccm_timer.services.month.report import EnrollmentRow, month_report_on
from ccm_timer.services.month.whose_minutes import counts_toward
from ccm_timer.services.people.chronic_list import chronic_list
from ccm_timer.services.timing import entries
from ccm_timer.store.models import AuditEvent, Clinician, MonthApproval
from ccm_timer.store.month_time import month_time

# progress(stage, done, total): called as the month is gathered (total 0: not known yet); it
# may raise to stop the export, which has read nothing it must undo.
Progress = Callable[[str, int, int], None]
GATHERING = "gathering"  # one call per patient of the month


def template_dir(ctx: AppContext) -> Path:
    """Where a user's own templates override the defaults (same file names)."""
    return ctx.paths.settings_dir / "templates"


def month_arg(month: str) -> YearMonth:
    try:
        return parse_month(month)
    except ValueError as exc:
        raise UserError(sentence(exc)) from None


def audit_head(session: Session) -> int:
    return int(session.exec(select(func.max(AuditEvent.seq))).one() or 0)


def _dos_rule(ctx: AppContext) -> str:
    return ctx.settings.date_of_service  # declared with its choices, checked when read


@dataclass(frozen=True)
class Exported:
    """The last non-draft billing export that carried a patient-month."""

    mark: Mark
    export_id: str
    codes: tuple[str, ...]  # the billable codes it sent


def export_marks(session: Session, month: str) -> dict[str, Exported]:
    """Per patient id, the last non-draft billing export of `month` that carried it."""
    marks: dict[str, Exported] = {}
    for event in session.exec(select(AuditEvent).where(AuditEvent.action == "export.content")
                              .order_by(col(AuditEvent.seq))):
        data = json.loads(event.after or "{}")
        if data.get("month") != month or data.get("draft") or data.get("format") not in (
            BILLING_FORMATS
        ):
            continue
        for pid in data.get("patients", []):
            marks[pid] = Exported(Mark(int(data["basis_seq"]), event.at_utc), event.entity_id,
                                  tuple(data.get("lines", {}).get(pid, ())))
    return marks


def people_by_name(session: Session) -> dict[str, dict[str, Any]]:
    return {c.name: {"id": c.id, "name": c.name, "credential": c.credential,
                     "role": c.role.value, "npi": c.npi}
            for c in session.exec(select(Clinician))}


def build(ctx: AppContext, month: str, mrn: str | None = None, *, draft: bool = False,
          billing: bool = False, actor: str = "", approved_only: bool = False,
          progress: Progress | None = None) -> tuple[dict[str, Any], int]:
    """The month document (exports/document.py) and the audit head it was read at."""
    with ctx.read() as session:
        return build_in(session, ctx, month, mrn, draft=draft, billing=billing, actor=actor,
                        approved_only=approved_only, progress=progress)


def build_in(session: Session, ctx: AppContext, month: str, mrn: str | None = None, *,
             draft: bool = False, billing: bool = False, actor: str = "",
             approved_only: bool = False,
             progress: Progress | None = None) -> tuple[dict[str, Any], int]:
    """`build` inside the caller's read transaction: the report, the entries, approvals,
    earlier exports and the audit head all come from its one snapshot (SQLite WAL), so the
    document is the month exactly as it stood at that head. `approved_only`: leave out the
    patient-months not approved (as a billing file always does), for notes and drafts too."""
    ym = month_arg(month)
    zone, now = ctx.zone, ctx.now()
    basis = audit_head(session)
    conn = session.connection()
    # The clinic's own chronic-condition list, as `ccm-timer report` reads it.
    report = month_report_on(conn, ym, zone, now, mrn, chronic_list(ctx.paths.settings_dir),
                             ctx.settings.other_practitioner_time)
    views = [v for v in entries.list_entries(ctx, month=str(ym), patient_mrn=mrn,
                                             session=session) if v.patient_mrn]
    # The part of each entry inside the month, counted as the report counts it.
    only = report.patients[0].patient_id if mrn and report.patients else None
    # Split at each consent day as the report split it: the time counted, and before.
    split = month_time(conn, ym, zone, now, by=("patient", "program", "entry"),
                       patient_id=only, counted_from=report.counted_from)
    inside = {key[2]: secs for key, secs in split.seconds.items()}
    pre_consent = {key[2]: secs for key, secs in split.before.items()}
    rules = rules_for_month(ym)
    rule_data = rules.to_dict()
    codes = {code: {**data, "name": rules.codes[code].name}
             for code, data in rule_data["codes"].items()}
    consent_rules = {program: tuple(e["consent"])
                     for program, e in rule_data["eligibility"].items()}
    people = people_by_name(session)
    labels = {name: who["label"] for name, row in people.items() if (who := document.person(row))}
    by_id = {c["id"]: c for c in people.values()}
    approved = approvals.latest(session, str(ym))
    reopened = approvals.changes_since(
        session, ym, zone, {pid: Mark(a.audit_seq, a.approved_at)
                            for pid, a in approved.items()}, ctx.workstation)
    exported = export_marks(session, str(ym))
    amended = approvals.changes_since(session, ym, zone,
                                      {pid: e.mark for pid, e in exported.items()},
                                      ctx.workstation)
    head = _chain_head_at(session, basis)
    rule = _dos_rule(ctx)
    patients, left_out, amends = [], [], {}
    for done, p in enumerate(report.patients):
        if progress is not None:
            progress(GATHERING, done, len(report.patients))
        pid = str(p.patient_id)
        if not (mrn or p.result.total_seconds or p.result.lines or pid in exported):
            continue  # enrolled, but nothing this month: no summary, no billing line
        approval, changed = approved.get(pid), reopened.get(pid, [])
        if (approved_only or billing and not draft) and (approval is None or changed):
            why = "changed after approval; approve it again" if approval else "not approved"
            left_out.append({"mrn": p.mrn, "name": p.display_name, "reason": why})
            continue
        chooser = by_id.get(p.billing_practitioner_id) or (
            by_id.get(approval.approver_id) if approval else None)
        changes = amended.get(pid, [])
        touched = {c.origin_id for c in changes}
        again = {c.origin_id for c in changed}
        as_staff = {(o.name, o.program): o.as_staff for o in p.result.others}
        items = [document.entry_item({
            **v.__dict__,
            "month_seconds": inside.get(v.id, 0) + pre_consent.get(v.id, 0),
            "counted_seconds": inside.get(v.id, 0),
            "counts": counts_toward(
                v.clinician_role == "practitioner",
                p.billing_practitioner_id is None or (people.get(v.clinician) or {}).get(
                    "id") == p.billing_practitioner_id,
                as_staff.get((v.clinician, v.program or ""), False)),
            "amended_after_export": str(v.origin_id) in touched,
            "changed_after_approval": str(v.origin_id) in again,
        }, zone, people) for v in views if v.patient_mrn == p.mrn]
        before = exported.get(pid)
        now_codes = {line.code for line in p.result.billable_lines}
        withdrawn = sorted(set(before.codes) - now_codes) if before else []
        if before and (changes or withdrawn):
            amends[before.export_id] = before.mark.at
        patients.append(document.patient_month(
            patient={"id": pid, "mrn": p.mrn, "family_name": p.family_name,
                     "given_name": p.given_name,
                     "birth_date": p.birth_date.isoformat() if p.birth_date else None},
            result=p.result.to_dict(), entries=items,
            enrollments=[_enrollment(e) for e in p.enrollments],
            codes=codes, billing=document.person(chooser),
            approval=_approval(approval, changed, zone), draft=draft, month=ym,
            changes=[{**c.to_dict(), "at_label": c.at.astimezone(zone).strftime(
                "%m/%d/%Y %H:%M")} for c in changes],
            withdrawn=withdrawn, dos_rule=rule,
            conditions=record_items.conditions([asdict(c) for c in p.record.conditions]),
            care_plan=_care_plan(p.record, zone, labels), qmb=p.qmb,
            consent_rules=consent_rules, labels=labels))
    doc = document.month_document(
        month=ym, zone=zone, generated_at=now, generated_by=actor,
        scope=mrn or "all", draft=draft, patients=patients, left_out=left_out,
        amends=[{"export_id": k, "at": v.isoformat()} for k, v in amends.items()],
        program_level_seconds=report.program_level_seconds if not mrn else 0,
        rules_year=rules.year, dos_rule=rule)
    doc["audit_chain_head"] = head
    doc["approved_only"] = approved_only
    return doc, basis


def _chain_head_at(session: Session, seq: int) -> str:
    """The hash of audit event `seq`: a file that carries it can be checked against the
    trail (`ccm-timer audit verify`, `doctor`) long after it left the clinic."""
    found = session.exec(select(AuditEvent.hash).where(AuditEvent.seq == seq)).first()
    return found or "0" * 64


def _enrollment(row: EnrollmentRow) -> dict[str, Any]:
    return {"program": row.program, "consent_method": row.consent_method,
            "consent_by": row.consent_by, "has_document": row.has_document,
            # the names the command line uses (cost-sharing), as record_items lists them
            "disclosures": [d.replace("_", "-") for d in row.disclosures],
            **{k: getattr(row, k).isoformat() if getattr(row, k) else None
               for k in ("consent_date", "start_date", "end_date", "withdrawn_on")}}


def _care_plan(record: PatientRecord, zone: ZoneInfo,
               labels: dict[str, str]) -> dict[str, Any]:
    review = record.last_review
    return record_items.care_plan([asdict(i) for i in record.care_plan],
                                  asdict(review) if review else None,
                                  record.revised_in_month, zone, labels)


def _approval(row: MonthApproval | None, changed: list[approvals.Change],
              zone: tzinfo) -> dict[str, Any] | None:
    if row is None:
        return None
    return {"by": row.approved_by, "at": row.approved_at.isoformat(),
            "at_label": row.approved_at.astimezone(zone).strftime("%m/%d/%Y %H:%M"),
            "reopened": bool(changed)}
