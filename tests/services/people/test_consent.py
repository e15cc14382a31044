"""A complete consent (date, method, who obtained it, the three disclosures), withdrawal,
the scanned written consent kept in the encrypted database, and changing a patient."""

from __future__ import annotations

import hashlib
import json
from datetime import date

import pytest
from sqlmodel import select

from ccm_timer.errors import NotFound, UserError
from ccm_timer.services.people import consent_documents, patients
from ccm_timer.services.security import audit
from ccm_timer.store.models import AuditEvent, ConsentDocument, Enrollment

ALL = "cost-sharing,one-practitioner,right-to-stop"
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _ccm(view):
    [ccm] = [e for e in view.enrollments if e.program.value == "CCM"]
    return ccm


def _actions(ctx, mrn: str) -> list[str]:
    with ctx.read() as s:
        return [e.action for e in audit.history(s, patients.find(s, mrn).id)]


def _stored(ctx) -> tuple:
    """Everything a consent writes: the enrolments, the scans and the audit trail's length."""
    with ctx.read() as s:
        rows = tuple(sorted((str(e.patient_id), e.program.value, e.consent_date,
                             e.consent_method, e.consent_by, e.disclosed_cost_sharing,
                             e.disclosed_one_practitioner, e.disclosed_right_to_stop,
                             e.consent_document_id, e.withdrawn_on, e.end_date)
                            for e in s.exec(select(Enrollment))))
        docs = len(list(s.exec(select(ConsentDocument))))
        events = len(list(s.exec(select(AuditEvent))))
    return rows, docs, events


def test_the_fixture_consent_is_complete(clinic) -> None:
    ccm = _ccm(patients.get(clinic, "T1001"))
    assert (ccm.consent_method, ccm.consent_by, ccm.disclosures) == (
        "verbal", "Avery Nurse", ("cost-sharing", "one-practitioner", "right-to-stop"))
    assert ccm.consent_missing == ()
    assert ccm.to_dict()["consent_complete"] is True


def test_a_consent_is_recorded_incomplete_then_completed(clinic) -> None:
    view = patients.set_consent(clinic, "T1002", "ccm", date(2026, 10, 1))
    assert _ccm(view).consent_missing == (
        "how it was given", "who obtained it", "the cost-sharing disclosure",
        "the one-practitioner disclosure", "the right-to-stop disclosure")
    view = patients.set_consent(clinic, "T1002", "CCM", date(2026, 10, 1), "verbal",
                                by="Avery Nurse", disclosures="cost-sharing")
    assert _ccm(view).consent_missing == ("the one-practitioner disclosure",
                                          "the right-to-stop disclosure")
    # The same date again: what is not given stays; the disclosures given replace them.
    view = patients.set_consent(clinic, "T1002", "CCM", date(2026, 10, 1), disclosures=ALL)
    ccm = _ccm(view)
    assert (ccm.consent_method, ccm.consent_by, ccm.consent_missing) == (
        "verbal", "Avery Nurse", ())
    assert ccm.to_dict()["consent_complete"] is True
    # A new date is a new consent: nothing of the old one carries over.
    ccm = _ccm(patients.set_consent(clinic, "T1002", "CCM", date(2026, 10, 20), "written"))
    assert (ccm.consent_by, ccm.disclosures) == (None, ())
    with clinic.read() as s:
        pid = patients.find(s, "T1002").id
        events = [e for e in audit.history(s, pid) if e.action == "enrollment.set"]
    assert json.loads(events[-2].after)["disclosures"] == list(ALL.split(","))
    assert json.loads(events[-2].after)["consent_by"] == "Avery Nurse"


@pytest.mark.parametrize("kwargs, says", [
    ({"method": "telepathy"}, "The consent method 'telepathy' is unknown"),
    ({"by": "Nobody"}, "There is no clinician 'Nobody'"),
    ({"disclosures": "cost-sharing,free-lunch"}, "The disclosure 'free-lunch' is unknown"),
    ({"program": "XYZ"}, "The program 'XYZ' is unknown"),
    ({"consent": date(2026, 11, 4)}, "consent date 2026-11-04 is in the future"),
    ({"mrn": "NOPE"}, "No patient has MRN 'NOPE'"),
    ({"document": (PDF, "application/pdf")}, "give --method written"),
])
def test_bad_consent_is_one_sentence_and_nothing_written(clinic, kwargs, says) -> None:
    args = {"mrn": "T1002", "program": "CCM", "consent": date(2026, 10, 1), **kwargs}
    before = _stored(clinic)
    with pytest.raises(UserError, match=says):
        patients.set_consent(clinic, args.pop("mrn"), args.pop("program"),
                             args.pop("consent"), **args)
    assert _stored(clinic) == before


def test_add_with_a_complete_consent_and_qmb(clinic) -> None:
    view = patients.add(clinic, mrn="T3001", name="Newpatient, Ida", program="PCM",
                        consent=date(2026, 9, 1), consent_method="written",
                        consent_by="Dr Blake Test", disclosures=ALL.split(","), qmb=True)
    assert view.qmb is True and view.to_dict()["qmb"] is True
    [pcm] = view.enrollments
    assert (pcm.consent_method, pcm.consent_by, pcm.consent_missing) == (
        "written", "Dr Blake Test", ())
    assert _actions(clinic, "T3001") == ["patient.add", "enrollment.set"]
    before = _stored(clinic)
    with pytest.raises(UserError, match="need its date"):
        patients.add(clinic, mrn="T3002", name="Other, Ida", program="CCM",
                     consent_method="verbal")
    with pytest.raises(NotFound, match="no clinician 'Nobody'"):
        patients.add(clinic, mrn="T3002", name="Other, Ida", program="CCM",
                     consent=date(2026, 9, 1), consent_by="Nobody")
    assert _stored(clinic) == before
    assert "T3002" not in [p.mrn for p in patients.list_patients(clinic)]


def test_withdrawal_ends_the_enrolment_and_a_new_consent_starts_it_again(clinic) -> None:
    view = patients.withdraw_consent(clinic, "T1001", "CCM", date(2026, 11, 2), " moved away ")
    ccm = _ccm(view)
    assert (ccm.withdrawn_on, ccm.withdrawal_reason, ccm.end_date) == (
        date(2026, 11, 2), "moved away", date(2026, 11, 2))
    assert ccm.to_dict()["withdrawn_on"] == "2026-11-02"
    assert _actions(clinic, "T1001")[-1] == "enrollment.withdraw"
    before = _stored(clinic)
    with pytest.raises(UserError, match="already withdrawn on 2026-11-02"):
        patients.withdraw_consent(clinic, "T1001", "CCM", date(2026, 11, 3), "again")
    with pytest.raises(UserError, match="Give the reason"):
        patients.withdraw_consent(clinic, "T1003", "RPM", date(2026, 11, 3), "  ")
    with pytest.raises(UserError, match="before the enrolment began"):
        patients.withdraw_consent(clinic, "T1003", "RPM", date(2025, 1, 1), "typo")
    with pytest.raises(UserError, match="not enrolled in PCM"):
        patients.withdraw_consent(clinic, "T1003", "PCM", date(2026, 11, 3), "none")
    assert _stored(clinic) == before
    again = _ccm(patients.set_consent(clinic, "T1001", "CCM", date(2026, 11, 3), "verbal",
                                      by="Avery Nurse", disclosures=ALL))
    assert (again.withdrawn_on, again.end_date, again.start_date) == (
        None, None, date(2026, 11, 3))


def test_a_scanned_written_consent_is_kept_in_the_database_and_audited(clinic, tmp_path):
    scan = tmp_path / "consent-scan.pdf"
    scan.write_bytes(PDF)
    content, kind = consent_documents.read_scan(scan)
    view = patients.set_consent(clinic, "T1002", "CCM", date(2026, 10, 1), "written",
                                by="Avery Nurse", disclosures=ALL, document=(content, kind))
    assert _ccm(view).has_document and _ccm(view).to_dict()["consent_document"] is True
    with clinic.read() as s:
        [doc] = s.exec(select(ConsentDocument))
        assert (doc.media_type, doc.size, doc.content) == ("application/pdf", len(PDF), PDF)
        assert doc.sha256 == hashlib.sha256(PDF).hexdigest()
        pid = patients.find(s, "T1002").id
        [added] = [e for e in audit.history(s, pid) if e.action == "consent_document.add"]
        assert json.loads(added.after) == {"document": str(doc.id), "sha256": doc.sha256,
                                           "size": len(PDF), "media_type": "application/pdf"}
    # Nothing of it lies beside the database: a scan carries the patient's name.
    assert not [p for p in clinic.paths.data.rglob("*") if p.suffix == ".pdf"]
    fetched = consent_documents.fetch(clinic, "T1002", "CCM")
    assert fetched.content == PDF
    assert _actions(clinic, "T1002")[-1] == "consent_document.read"
    with pytest.raises(NotFound, match="No scanned CCM consent is kept for T1001"):
        consent_documents.fetch(clinic, "T1001", "CCM")
    # A new consent date with a PNG: the enrolment points to the new scan.
    png = tmp_path / "scan.png"
    png.write_bytes(PNG)
    patients.set_consent(clinic, "T1002", "CCM", date(2026, 10, 2), "written",
                         document=consent_documents.read_scan(png))
    assert consent_documents.fetch(clinic, "T1002", "CCM").media_type == "image/png"


@pytest.mark.parametrize("content, says", [
    (b"just some text, renamed to .pdf", "is not a PDF, PNG, JPEG or TIFF file"),
    (b"", "is not a PDF, PNG, JPEG or TIFF file"),
    (b"GIF89a" + b"\x00" * 16, "is not a PDF, PNG, JPEG or TIFF file"),
])
def test_a_scan_that_is_not_an_image_or_pdf_is_refused(clinic, tmp_path, content, says):
    path = tmp_path / "scan.pdf"
    path.write_bytes(content)
    with pytest.raises(UserError, match=says):
        consent_documents.read_scan(path)


def test_scan_file_problems_and_a_mismatched_type(clinic, tmp_path) -> None:
    with pytest.raises(UserError, match="There is no file"):
        consent_documents.read_scan(tmp_path / "missing.pdf")
    with pytest.raises(UserError, match="is a folder"):
        consent_documents.read_scan(tmp_path)
    big = tmp_path / "big.pdf"
    with big.open("wb") as fh:
        fh.write(PDF)
        fh.truncate(consent_documents.MAX_BYTES + 1)
    with pytest.raises(UserError, match="scan it at a lower resolution"):
        consent_documents.read_scan(big)
    before = _stored(clinic)
    with pytest.raises(UserError, match="does not match its type"):
        patients.set_consent(clinic, "T1002", "CCM", date(2026, 10, 1), "written",
                             document=(PDF, "image/png"))
    assert _stored(clinic) == before


def test_update_name_birth_date_and_qmb(clinic) -> None:
    view = patients.update(clinic, "T1002", qmb=True)
    assert (view.qmb, view.display_name, view.birth_date) == (True, "Sample, José", None)
    view = patients.update(clinic, "T1002", name="Sample-Ortiz, José", birth_date=date(
        1948, 7, 19))
    assert (view.qmb, view.display_name, view.birth_date) == (
        True, "Sample-Ortiz, José", date(1948, 7, 19))
    assert patients.update(clinic, "T1002", qmb=False).qmb is False
    with clinic.read() as s:
        pid = patients.find(s, "T1002").id
        events = [e for e in audit.history(s, pid) if e.action == "patient.update"]
    assert len(events) == 3
    assert json.loads(events[1].before) == {"name": "Sample, José", "birth_date": None,
                                            "qmb": True}
    assert json.loads(events[1].after) == {"name": "Sample-Ortiz, José",
                                           "birth_date": "1948-07-19", "qmb": True}
    before = _stored(clinic)
    for kwargs, says in (({}, "Say what to change"), ({"name": "Nocomma"}, "Family, Given"),
                         ({"birth_date": date(2030, 1, 1)}, "is in the future")):
        with pytest.raises(UserError, match=says):
            patients.update(clinic, "T1002", **kwargs)
    with pytest.raises(NotFound):
        patients.update(clinic, "NOPE", qmb=True)
    assert _stored(clinic) == before
    assert patients.get(clinic, "T1002").display_name == "Sample-Ortiz, José"
