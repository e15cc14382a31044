"""Billing files and recorded exports: read the month in one transaction, render, record
(and queue) in one more, then put the file in place atomically.

The read is one snapshot (SQLite WAL): the report, the entries, approvals, earlier exports
and the audit head the file carries are the month as it stood at that head. The record
names that head as its basis, so a change written while the file renders is simply a change
after the export (the next export lists it as an amendment); nothing has to be read again.
"""

from __future__ import annotations

import getpass
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlmodel import Session

from ccm_timer import fsio
from ccm_timer.core.access import Action
from ccm_timer.errors import UserError
from ccm_timer.exports import csv_file, fhir, filenames, json_file, templates
from ccm_timer.exports.formats import BILLING_FORMATS, FORMATS, ExportFormat
from ccm_timer.services.context import AppContext
from ccm_timer.services.delivery import outbox
from ccm_timer.services.exports import history as export_records
from ccm_timer.services.exports.gather import Progress, build_in, month_arg, template_dir
from ccm_timer.services.exports.notes import ehr_text
from ccm_timer.services.people import access
from ccm_timer.services.people.access import Refused, Signer
from ccm_timer.services.security import audit
from ccm_timer.services.security.audit_reads import ENTITY as READ_ENTITY
from ccm_timer.services.security.audit_reads import Read, os_user

# The stages `progress` is told of, after gather.GATHERING's per-patient calls.
READING, RENDERING, RECORDING = "reading", "rendering", "recording"


class NothingToExport(UserError):
    """The month has nothing the export would carry (`unapproved`: only for want of an
    approval); the app words its own advice from these fields."""

    def __init__(self, text: str, month: str, unapproved: bool) -> None:
        super().__init__(text)
        self.month, self.unapproved = month, unapproved


class CannotWrite(UserError):
    """The file could not be written where asked (`folder`, `reason`); nothing recorded."""

    def __init__(self, text: str, folder: Path, reason: str) -> None:
        super().__init__(text)
        self.folder, self.reason = folder, reason


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


def render(ctx: AppContext, doc: dict[str, Any], fmt: str) -> bytes:
    if fmt == ExportFormat.EHR_TEXT:
        return ehr_text(ctx, doc)
    if fmt == ExportFormat.CSV:
        return csv_file.render(doc)
    if fmt == ExportFormat.JSON:
        return json_file.render(doc)
    if fmt == ExportFormat.FHIR:
        return fhir.render(doc, ctx.settings.fhir_mrn_system)
    from ccm_timer.exports import pdf  # Qt: only the PDF pays for importing it

    return pdf.render(doc)


def _actor(session: Session, ctx: AppContext, by: Signer | None) -> str:
    from ccm_timer.services.people import clinicians

    if by is not None:
        return by.name
    try:
        return clinicians.find(session, ctx, None).name
    except UserError:
        return getpass.getuser() or "unknown user"


def export_month(ctx: AppContext, month: str, fmt: str, *, mrn: str | None = None,
                 draft: bool = False, send: str | None = None, out: Path | None = None,
                 to_stdout: bool = False, by: Signer | None = None,
                 approved_only: bool = False,
                 progress: Progress | None = None) -> ExportResult:
    """Render, record (and queue) one export, and write its file atomically: a failure
    leaves neither a record nor a partial file. A billing file (not a draft) is exported by
    `by`, attested for it (the billing office or a practitioner); notes and drafts by `by`
    or the default clinician. `approved_only`: approved patient-months only, for notes and
    drafts too. `progress(stage, done, total)` hears each stage (gather.Progress); an
    exception it raises before RECORDING stops the export with nothing written."""
    if fmt not in FORMATS:
        raise UserError(f"The export format {fmt!r} is unknown; use one of {', '.join(FORMATS)}.")
    ym = str(month_arg(month))
    billing = fmt in BILLING_FORMATS
    if billing and not draft:
        if by is None:
            raise Refused("A billing file needs the exporter's password at that moment: pass "
                          "--as NAME and type it when asked, or export a draft with --draft.")
        access.require(by, Action.EXPORT)  # before anything is read or written
    if billing:
        audit.refuse_if_broken(ctx)  # a claim file is evidence: never from a failing trail
    tell = progress or (lambda _stage, _done, _total: None)
    tell(READING, 0, 0)
    with ctx.read() as session:
        who = _actor(session, ctx, by)
        doc, basis = build_in(session, ctx, ym, mrn, draft=draft, billing=billing, actor=who,
                              approved_only=approved_only, progress=progress)
    if not doc["patients"] and not doc["left_out"]:
        raise NothingToExport(f"No patient has time or an enrollment in {ym}; there is "
                              "nothing to export.", ym, unapproved=False)
    if billing and not draft and not doc["patients"]:
        raise NothingToExport(
            f"No patient-month of {ym} is approved for billing; approve with "
            f"`ccm-timer approve --month {ym}` or export a draft with --draft.", ym,
            unapproved=True)
    if not doc["patients"]:
        raise NothingToExport(f"No patient-month of {ym} is approved; approve with "
                              f"`ccm-timer approve --month {ym}` or leave out "
                              "--approved-only.", ym, unapproved=True)
    tell(RENDERING, 0, 0)
    content = render(ctx, doc, fmt)
    tell(RECORDING, 0, 0)  # the last moment to stop: from here it is one transaction
    return _record(ctx, doc, content, fmt, basis, who=who, send=send, out=out,
                   to_stdout=to_stdout)


def _record(ctx: AppContext, doc: dict[str, Any], content: bytes, fmt: str, basis: int, *, who: str,
            send: str | None, out: Path | None, to_stdout: bool) -> ExportResult:
    pending: fsio.PendingFile | None = None
    path: Path | None = None
    kept: Path | None = None  # the file already at the target, put back if this fails
    try:
        with ctx.write() as session:
            # An export is a read of every patient it carries (HIPAA 164.312(b)); its own
            # events follow in the same transaction, so there is never one without the other.
            audit.append(session, ctx=ctx, actor=who, action=Read.EXPORT.value,
                         entity=READ_ENTITY, entity_id=doc["month"],
                         after={"os_user": os_user(), "month": doc["month"],
                                "detail": f"{fmt} export"})
            export = export_records.record_export(
                session, ctx, month=doc["month"], scope=doc["scope"], fmt=fmt,
                content=content, actor=who, amendment=doc["amendment"],
                filename_hint=filenames.filename_hint(doc["month"], fmt, doc["draft"]),
                chain_head=doc["audit_chain_head"])
            audit.append(session, ctx=ctx, actor=who, action="export.content",
                         entity="export", entity_id=export.id, after={
                             "month": doc["month"], "format": fmt, "scope": doc["scope"],
                             "draft": doc["draft"], "basis_seq": basis,
                             "patients": [p["id"] for p in doc["patients"]],
                             "lines": {p["id"]: [x["code"] for x in p["lines"]]
                                       for p in doc["patients"]},
                             "amendment": doc["amendment"], "amends": doc["amends"],
                             "changes": sum(len(p["changes"]) for p in doc["patients"]),
                             "templates": _custom_templates(ctx, fmt),
                             **({"approved_only": True} if doc.get("approved_only") else {})})
            if send:
                outbox.enqueue(session, ctx, export, send)
            # Queued for a target and no file asked for: the content stays only in the
            # encrypted database and the outbox, never as a plaintext copy in the data folder.
            if not to_stdout and (out is not None or not send):
                name = filenames.export_filename(doc["month"], fmt, str(export.id),
                                                 doc["draft"])
                # An existing folder given as --out receives the file under its usual name.
                target = (out / name if out.is_dir() else out) if out is not None else (
                    ctx.paths.data / "exports" / name)
                try:
                    pending = fsio.PendingFile(target, content)
                    kept = _keep_aside(target)
                    # The file is in place before the record commits: a failed write or
                    # rename rolls the export and its audit events back (and fsio removes
                    # the partial), so there is never a record without its file.
                    path = pending.commit()
                except OSError as exc:
                    reason = str(exc.strerror or exc)
                    raise CannotWrite(
                        f"Cannot write the export to {target.parent} "
                        f"({reason}); free some space or choose another folder "
                        "with --out. Nothing was recorded.", target.parent, reason) from None
            export_id, digest = export.id, export.sha256
    except BaseException:
        if path is not None and kept is not None:
            earlier, kept = kept, None  # kept even if putting it back fails
            os.replace(earlier, path)  # the record did not commit: the earlier file is back
        elif path is not None:
            path.unlink(missing_ok=True)  # the record did not commit: no file without it
        elif pending is not None:
            pending.discard()
        raise
    finally:
        if kept is not None:
            kept.unlink(missing_ok=True)
    return ExportResult(export_id, fmt, doc["month"], content, digest, path, doc["draft"],
                        doc["amendment"], len(doc["patients"]), doc["totals"]["lines"],
                        len(doc["left_out"]), send)


def _keep_aside(target: Path) -> Path | None:
    """A copy of the file already at `target` (a user's earlier export), beside it, so a
    failed export never loses it; None when there is none."""
    if not target.is_file():
        return None
    kept = target.with_name(f".{target.name}.kept")
    kept.unlink(missing_ok=True)
    try:
        os.link(target, kept)
    except OSError:  # a file system without hard links (a USB stick)
        shutil.copy2(target, kept)
    return kept


def _custom_templates(ctx: AppContext, fmt: str) -> dict[str, str]:
    """The SHA-256 of any user template used: the audit trail shows which text made it."""
    if fmt != ExportFormat.EHR_TEXT:
        return {}
    source = templates.load(templates.MONTH_SUMMARY, template_dir(ctx))
    return {source.name: source.sha256} if source.custom else {}
