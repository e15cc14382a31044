"""The month document for notes and billing files: the month report, the entry views,
approvals and earlier exports, gathered and handed to exports/document.py as plain data."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from ccm_timer.core.month import YearMonth, month_bounds_utc, parse_month
from ccm_timer.errors import UserError, sentence
from ccm_timer.exports import document
from ccm_timer.exports.formats import BILLING_FORMATS
from ccm_timer.services.context import AppContext
from ccm_timer.services.month import approvals
from ccm_timer.services.month.approvals import Mark
from ccm_timer.services.month.billing_rules import rules_for_month
from ccm_timer.services.month.report import month_report
from ccm_timer.services.timing import entries
from ccm_timer.store.models import AuditEvent, Clinician, Enrollment, MonthApproval, Patient


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


def _month_seconds(session: Session, views: list, lo, hi) -> dict[uuid.UUID, int]:
    """Seconds inside the month of the few entries that cross its edges."""
    crossing = [v.id for v in views if v.start is None or v.start < lo or v.end is None
                or v.end > hi]
    spans = entries.intervals_of(session, crossing)
    out = {}
    for entry_id, items in spans.items():
        out[entry_id] = sum(
            max(0, int((min(i.end_utc or hi, hi) - max(i.start_utc, lo)).total_seconds()))
            for i in items)
    return out


def build(ctx: AppContext, month: str, mrn: str | None = None, *, draft: bool = False,
          billing: bool = False, actor: str = "") -> tuple[dict[str, Any], int]:
    """The month document (exports/document.py) and the audit head it was read at."""
    ym = month_arg(month)
    zone = ctx.zone
    with ctx.read() as session:
        basis = audit_head(session)
    report = month_report(ctx, str(ym), mrn)
    views = [v for v in entries.list_entries(ctx, month=str(ym), patient_mrn=mrn)
             if v.patient_mrn]
    rules = rules_for_month(ym)
    codes = {code: {**data, "name": rules.codes[code].name}
             for code, data in rules.to_dict()["codes"].items()}
    lo, hi = month_bounds_utc(ym, zone)
    ids = [p.patient_id for p in report.patients]
    with ctx.read() as session:
        people = people_by_name(session)
        by_id = {c["id"]: c for c in people.values()}
        rows = {p.id: p for p in session.exec(select(Patient).where(col(Patient.id).in_(ids)))}
        enrolled: dict[uuid.UUID, list[dict]] = {}
        for e in session.exec(select(Enrollment).where(col(Enrollment.patient_id).in_(ids))):
            enrolled.setdefault(e.patient_id, []).append({
                "program": e.program.value, "consent_method": e.consent_method,
                **{k: getattr(e, k).isoformat() if getattr(e, k) else None
                   for k in ("consent_date", "start_date", "end_date")}})
        approved = approvals.latest(session, str(ym))
        reopened = approvals.changes_since(
            session, ym, zone, {pid: Mark(a.audit_seq, a.approved_at)
                                for pid, a in approved.items()}, ctx.workstation)
        exported = export_marks(session, str(ym))
        amended = approvals.changes_since(session, ym, zone,
                                          {pid: e.mark for pid, e in exported.items()},
                                          ctx.workstation)
        clipped = _month_seconds(session, views, lo, hi)
    rule = _dos_rule(ctx)
    patients, left_out, amends = [], [], {}
    for p in report.patients:
        pid = str(p.patient_id)
        if not (mrn or p.result.total_seconds or p.result.lines or pid in exported):
            continue  # enrolled, but nothing this month: no summary, no billing line
        approval, changed = approved.get(pid), reopened.get(pid, [])
        if billing and not draft and (approval is None or changed):
            why = "changed after approval; approve it again" if approval else "not approved"
            left_out.append({"mrn": p.mrn, "name": p.display_name, "reason": why})
            continue
        row = rows[p.patient_id]
        chooser = by_id.get(row.billing_practitioner_id) or (
            by_id.get(approval.approver_id) if approval else None)
        changes = amended.get(pid, [])
        touched = {c.origin_id for c in changes}
        again = {c.origin_id for c in changed}
        items = [document.entry_item({
            **v.__dict__, "month_seconds": clipped.get(v.id, v.seconds),
            "amended_after_export": str(v.origin_id) in touched,
            "changed_after_approval": str(v.origin_id) in again,
        }, zone, people) for v in views if v.patient_mrn == p.mrn]
        before = exported.get(pid)
        now_codes = {line.code for line in p.result.billable_lines}
        withdrawn = sorted(set(before.codes) - now_codes) if before else []
        if before and (changes or withdrawn):
            amends[before.export_id] = before.mark.at
        patients.append(document.patient_month(
            patient={"id": pid, "mrn": row.mrn, "family_name": row.family_name,
                     "given_name": row.given_name,
                     "birth_date": row.birth_date.isoformat() if row.birth_date else None},
            result=p.result.to_dict(), entries=items, enrollments=enrolled.get(row.id, []),
            codes=codes, billing=document.person(chooser),
            approval=_approval(approval, changed, zone), draft=draft, month=ym,
            changes=[{**c.to_dict(), "at_label": c.at.astimezone(zone).strftime(
                "%m/%d/%Y %H:%M")} for c in changes],
            withdrawn=withdrawn, dos_rule=rule))
    doc = document.month_document(
        month=ym, zone=zone, generated_at=ctx.now(), generated_by=actor,
        scope=mrn or "all", draft=draft, patients=patients, left_out=left_out,
        amends=[{"export_id": k, "at": v.isoformat()} for k, v in amends.items()],
        program_level_seconds=report.program_level_seconds if not mrn else 0,
        rules_year=rules.year, dos_rule=rule)
    doc["audit_chain_head"] = chain_head(ctx, basis)
    return doc, basis


def chain_head(ctx: AppContext, seq: int) -> str:
    """The hash of audit event `seq`: a file that carries it can be checked against the
    trail (`ccm-timer audit verify`, `doctor`) long after it left the clinic."""
    with ctx.read() as session:
        found = session.exec(select(AuditEvent.hash).where(AuditEvent.seq == seq)).first()
    return found or "0" * 64


def _approval(row: MonthApproval | None, changed: list[approvals.Change],
              zone: tzinfo) -> dict[str, Any] | None:
    if row is None:
        return None
    return {"by": row.approved_by, "at": row.approved_at.isoformat(),
            "at_label": row.approved_at.astimezone(zone).strftime("%m/%d/%Y %H:%M"),
            "reopened": bool(changed)}
