"""Exports: EHR notes and billing files for a month, recorded and optionally queued.

The data comes from the month report and the entry views; the renderers in
ccm_timer/exports get it as plain data (exports/document.py). Billing files carry only
approved patient-months unless a draft is asked for. Changes after the last export of a
patient-month make the next export an amendment that lists them.
"""

from __future__ import annotations

import getpass
import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from ccm_timer.core.month import YearMonth, month_bounds_utc, month_of, parse_month
from ccm_timer.exports import csv_file, document, fhir, files, json_file, templates
from ccm_timer.services import approvals, audit, entries, export_records, outbox
from ccm_timer.services.approvals import Mark
from ccm_timer.services.billing_rules import rules_for_month
from ccm_timer.services.errors import UserError
from ccm_timer.services.report import month_report
from ccm_timer.store.models import AuditEvent, Clinician, Enrollment, Patient

FORMATS = ("ehr-text", "csv", "json", "fhir", "pdf")
BILLING_FORMATS = ("csv", "json", "fhir", "pdf")
DOS_RULES = ("month_end", "threshold")


def template_dir(ctx) -> Path:
    """Where a user's own templates override the defaults (same file names)."""
    return ctx.paths.settings_dir / "templates"


def _month(month: str) -> YearMonth:
    try:
        return parse_month(month)
    except ValueError as exc:
        raise UserError(f"{str(exc)[0].upper()}{str(exc)[1:]}.") from None


def _head(session: Session) -> int:
    return int(session.exec(select(func.max(AuditEvent.seq))).one() or 0)


def _dos_rule(ctx) -> str:
    rule = ctx.settings.extra.get("date_of_service", "month_end")
    if rule not in DOS_RULES:
        raise UserError(f"The setting date_of_service must be one of {', '.join(DOS_RULES)}, "
                        f"not {rule!r}; fix the settings file.")
    return rule


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


def _people(session: Session) -> dict[str, dict[str, Any]]:
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


def build(ctx, month: str, mrn: str | None = None, *, draft: bool = False,
          billing: bool = False, actor: str = "") -> tuple[dict[str, Any], int]:
    """The month document (exports/document.py) and the audit head it was read at."""
    ym = _month(month)
    zone = ctx.zone
    with ctx.read() as session:
        basis = _head(session)
    report = month_report(ctx, str(ym), mrn)
    views = [v for v in entries.list_entries(ctx, month=str(ym), patient_mrn=mrn)
             if v.patient_mrn]
    rules = rules_for_month(ym)
    codes = {code: {**data, "name": rules.codes[code].name}
             for code, data in rules.to_dict()["codes"].items()}
    lo, hi = month_bounds_utc(ym, zone)
    ids = [p.patient_id for p in report.patients]
    with ctx.read() as session:
        people = _people(session)
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
    return doc, basis


def _approval(row, changed: list, zone) -> dict[str, Any] | None:
    if row is None:
        return None
    return {"by": row.approved_by, "at": row.approved_at.isoformat(),
            "at_label": row.approved_at.astimezone(zone).strftime("%m/%d/%Y %H:%M"),
            "reopened": bool(changed)}


# --- notes --------------------------------------------------------------------------------


def month_summary(ctx, month: str, mrn: str) -> str:
    """The patient-month summary note, ready to paste into the chart."""
    doc, _ = build(ctx, month, mrn)
    return templates.render(templates.MONTH_SUMMARY, _summary_context(doc, doc["patients"][0]),
                            template_dir(ctx))


def _summary_context(doc: dict, patient: dict) -> dict[str, Any]:
    return {**{k: doc[k] for k in ("month", "month_label", "time_zone", "generated_label",
                                   "rules_year")}, "patient": patient}


def note_for_entry(ctx, entry_id: str | uuid.UUID) -> str:
    """The note for one entry (its current version), ready to paste into the chart."""
    with ctx.read() as session:
        row = entries.find_entry(session, str(entry_id))
        view = entries.view_of(session, ctx, row.id)
    if view.start is None:
        raise UserError("That entry has no time yet; start it before copying its note.")
    if view.patient_mrn is None:
        raise UserError("That entry is program-level time with no patient; it has no chart "
                        "note.")
    month = str(month_of(view.start, ctx.zone))
    doc, _ = build(ctx, month, view.patient_mrn)
    patient = doc["patients"][0]
    entry = next((e for e in patient["entries"] if e["origin_id"] == str(view.origin_id)),
                 None)
    if entry is None:  # not in the month's log (voided); still a note of what it was
        with ctx.read() as session:
            entry = document.entry_item({**view.__dict__}, ctx.zone, _people(session))
    context = {**_summary_context(doc, patient), "entry": entry}
    return templates.render(templates.ENTRY_NOTE, context, template_dir(ctx))


def note_for_last_entry(ctx, clinician: str | None = None) -> str:
    """The note for the clinician's (default: this workstation's) most recent entry."""
    with ctx.read() as session:
        who = ctx.settings.default_clinician if clinician is None else clinician
        from ccm_timer.services import clinicians

        person = clinicians.find(session, ctx, who)
    recent = [v for v in entries.list_entries(ctx, clinician=str(person.id)) if v.patient_mrn]
    if not recent:
        raise UserError(f"{person.name} has no patient entry yet; there is no note to copy.")
    return note_for_entry(ctx, recent[-1].id)


def ehr_text(ctx, doc: dict[str, Any]) -> bytes:
    """Every patient's month summary, one after the other."""
    notes = [templates.render(templates.MONTH_SUMMARY, _summary_context(doc, p),
                              template_dir(ctx)) for p in doc["patients"]]
    return ("\n" + "=" * 60 + "\n\n").join(notes).encode("utf-8")


# --- billing files and recorded exports ----------------------------------------------------


@dataclass(frozen=True)
class ExportResult:
    export_id: uuid.UUID
    fmt: str
    month: str
    content: bytes
    sha256: str
    path: Path | None  # None when the content went to standard output
    draft: bool
    amendment: bool
    patients: int
    lines: int
    left_out: int
    queued_to: str | None

    def sentence(self) -> str:
        what = (f"{self.lines} claim line(s) for {self.patients} patient(s)"
                if self.fmt in BILLING_FORMATS else f"notes for {self.patients} patient(s)")
        kind = " draft" if self.draft else " amendment" if self.amendment else ""
        where = f" to {self.path}" if self.path else ""
        text = f"Exported{kind} {self.fmt} of {self.month}: {what}{where}"
        if self.left_out:
            text += f"; {self.left_out} patient(s) not approved were left out"
        if self.queued_to:
            text += f"; queued for {self.queued_to}"
        return text + "."


class _Changed(Exception):
    """Something was written between reading the month and recording its export."""


def render(ctx, doc: dict[str, Any], fmt: str) -> bytes:
    if fmt == "ehr-text":
        return ehr_text(ctx, doc)
    if fmt == "csv":
        return csv_file.render(doc)
    if fmt == "json":
        return json_file.render(doc)
    if fmt == "fhir":
        return fhir.render(doc, ctx.settings.extra.get("fhir_mrn_system", fhir.MRN_SYSTEM))
    from ccm_timer.exports import pdf  # Qt: only the PDF pays for importing it

    return pdf.render(doc)


def _actor(ctx, actor: str | None) -> str:
    from ccm_timer.services import clinicians

    try:
        with ctx.read() as session:
            return clinicians.find(session, ctx, actor).name
    except UserError:
        if actor:
            raise
        return getpass.getuser() or "unknown user"


def export_month(ctx, month: str, fmt: str, *, mrn: str | None = None, draft: bool = False,
                 send: str | None = None, out: Path | None = None, to_stdout: bool = False,
                 actor: str | None = None) -> ExportResult:
    """Render, record (and queue) one export, and write its file atomically: a failure
    leaves neither a record nor a partial file."""
    if fmt not in FORMATS:
        raise UserError(f"The export format {fmt!r} is unknown; use one of {', '.join(FORMATS)}.")
    ym = str(_month(month))
    who = _actor(ctx, actor)
    billing = fmt in BILLING_FORMATS
    for _attempt in range(3):
        doc, basis = build(ctx, ym, mrn, draft=draft, billing=billing, actor=who)
        if not doc["patients"] and not doc["left_out"]:
            raise UserError(f"No patient has time or an enrollment in {ym}; there is nothing "
                            "to export.")
        if billing and not doc["patients"]:
            raise UserError(f"No patient-month of {ym} is approved for billing; approve with "
                            f"`ccm-timer approve --month {ym}` or export a draft with --draft.")
        content = render(ctx, doc, fmt)
        try:
            return _record(ctx, doc, content, fmt, basis, who=who, send=send, out=out,
                           to_stdout=to_stdout)
        except _Changed:
            continue
    raise UserError("Entries keep changing while the export is made; try again in a moment.")


def _record(ctx, doc: dict[str, Any], content: bytes, fmt: str, basis: int, *, who: str,
            send: str | None, out: Path | None, to_stdout: bool) -> ExportResult:
    pending: files.PendingFile | None = None
    try:
        with ctx.write() as session:
            if _head(session) != basis:
                raise _Changed
            export = export_records.record_export(
                session, ctx, month=doc["month"], scope=doc["scope"], fmt=fmt,
                content=content, actor=who, amendment=doc["amendment"],
                filename_hint=files.filename_hint(doc["month"], fmt, doc["draft"]))
            audit.append(session, ctx=ctx, actor=who, action="export.content",
                         entity="export", entity_id=export.id, after={
                             "month": doc["month"], "format": fmt, "scope": doc["scope"],
                             "draft": doc["draft"], "basis_seq": basis,
                             "patients": [p["id"] for p in doc["patients"]],
                             "lines": {p["id"]: [x["code"] for x in p["lines"]]
                                       for p in doc["patients"]},
                             "amendment": doc["amendment"], "amends": doc["amends"],
                             "changes": sum(len(p["changes"]) for p in doc["patients"]),
                             "templates": _custom_templates(ctx, fmt)})
            if send:
                outbox.enqueue(session, ctx, export, send)
            if not to_stdout:
                target = out or ctx.paths.data / "exports" / files.export_filename(
                    doc["month"], fmt, str(export.id), doc["draft"])
                try:
                    pending = files.PendingFile(target, content)
                except OSError as exc:
                    raise UserError(
                        f"Cannot write the export to {target.parent} "
                        f"({exc.strerror or exc}); free some space or choose another folder "
                        "with --out.") from None
            export_id, digest = export.id, export.sha256
    except BaseException:
        if pending is not None:
            pending.discard()
        raise
    path = pending.commit() if pending is not None else None
    return ExportResult(export_id, fmt, doc["month"], content, digest, path, doc["draft"],
                        doc["amendment"], len(doc["patients"]), doc["totals"]["lines"],
                        len(doc["left_out"]), send)


def _custom_templates(ctx, fmt: str) -> dict[str, str]:
    """The SHA-256 of any user template used: the audit trail shows which text made it."""
    if fmt != "ehr-text":
        return {}
    source = templates.load(templates.MONTH_SUMMARY, template_dir(ctx))
    return {source.name: source.sha256} if source.custom else {}
