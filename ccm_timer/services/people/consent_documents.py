"""Scanned written consents, kept inside the encrypted database (never as a file beside it:
a scan carries the patient's name and signature). Only PDF and common image types, up to
MAX_BYTES, recognised by their content rather than trusted by their name."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlmodel import Session

from ccm_timer.errors import NotFound, UserError
from ccm_timer.services.context import AppContext
from ccm_timer.services.security import audit
from ccm_timer.store.models import ConsentDocument, Patient

MAX_BYTES = 20 * 1024 * 1024
_SIGNATURES = ((b"%PDF-", "application/pdf"), (b"\x89PNG\r\n\x1a\n", "image/png"),
               (b"\xff\xd8\xff", "image/jpeg"), (b"II*\x00", "image/tiff"),
               (b"MM\x00*", "image/tiff"))
EXTENSIONS = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg",
              "image/tiff": ".tif"}


def media_type(content: bytes) -> str | None:
    return next((kind for magic, kind in _SIGNATURES if content.startswith(magic)), None)


def read_scan(path: Path) -> tuple[bytes, str]:
    """(the file's bytes, its media type), or UserError in one sentence."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise UserError(f"The scanned consent is {size // (1024 * 1024)} MB; scan it at a "
                            f"lower resolution (at most {MAX_BYTES // (1024 * 1024)} MB).")
        content = path.read_bytes()
    except FileNotFoundError:
        raise UserError(f"There is no file {str(path)!r}; check the path of the scan.") \
            from None
    except IsADirectoryError:
        raise UserError(f"{str(path)!r} is a folder; give the scanned file itself.") from None
    except OSError as exc:
        raise UserError(f"The scan {str(path)!r} cannot be read ({exc.strerror}).") from None
    kind = media_type(content)
    if kind is None:
        raise UserError("The scanned consent is not a PDF, PNG, JPEG or TIFF file; save the "
                        "scan in one of those.")
    return content, kind


def store(session: Session, ctx: AppContext, patient: Patient, content: bytes, kind: str,
          actor: str) -> ConsentDocument:
    if media_type(content) != kind:
        raise UserError("The scanned consent's content does not match its type; scan it "
                        "again.")
    row = ConsentDocument(patient_id=patient.id, media_type=kind, size=len(content),
                          sha256=hashlib.sha256(content).hexdigest(), added_at=ctx.now(),
                          added_by=actor, content=content)
    session.add(row)
    session.flush()
    audit.append(session, ctx=ctx, actor=actor, action="consent_document.add",
                 entity="patient", entity_id=patient.id,
                 after={"document": str(row.id), "sha256": row.sha256, "size": row.size,
                        "media_type": kind})
    return row


def fetch(ctx: AppContext, mrn: str, program: str, actor: str = "admin") -> ConsentDocument:
    """The scan behind a program's consent; reading it is audited."""
    from sqlmodel import select

    from ccm_timer.services.people import enrollments, patients
    from ccm_timer.store.models import Enrollment

    wanted = enrollments.parse_program(program)
    with ctx.write() as session:
        patient = patients.find(session, mrn)
        row = session.exec(select(Enrollment).where(Enrollment.patient_id == patient.id,
                                                    Enrollment.program == wanted)).first()
        doc = session.get(ConsentDocument, row.consent_document_id) if (
            row and row.consent_document_id) else None
        if doc is None:
            raise NotFound(f"No scanned {wanted.value} consent is kept for {patient.mrn}.")
        audit.append(session, ctx=ctx, actor=actor, action="consent_document.read",
                     entity="patient", entity_id=patient.id, after={"document": str(doc.id)})
        session.expunge(doc)
        return doc
