"""The clinical record in a bundle from a trusted workstation gone wrong (issue 14, point 8;
the attacks on the rest of a bundle: test_bundle_forgery.py). Its bundles are signed and
sealed properly, so they are opened; then every field of a condition, a care-plan item, a
review, a consent and its scan is checked as the command line checks it, and one bad field
refuses the whole bundle in one sentence with nothing written. Rows that rewrite what is
here (a code, a review, a scan's bytes, a removal) are conflicts, the local rows kept."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from ccm_timer.errors import UserError
from ccm_timer.services.delivery import bundle_format as bundle
from ccm_timer.services.delivery import bundle_import as bundles
from ccm_timer.services.delivery import targets
from ccm_timer.services.people import care_plan, conditions, patients
from ccm_timer.services.security import bundle_keys
from ccm_timer.store import merge as records
from ccm_timer.sync.worker import Worker
from tests.fixtures.clinic import remover
from tests.fixtures.delivery import add_minutes, provision_bundles, queue_exports

NOV3 = datetime(2026, 11, 3, 13, 0, tzinfo=UTC)
SCAN = b"%PDF-1.4\n% synthetic consent form, no real person\n" + bytes(range(256)) * 8
ALL_TOLD = "cost-sharing,one-practitioner,right-to-stop"
TABLES = ("patient", "enrollment", "patient_condition", "care_plan_item", "care_plan_review",
          "consent_document", "clinician", "time_entry", "interval", "audit_event",
          "bundle_conflict")


def _snapshot(ctx) -> dict[str, list]:
    with ctx.engine.connect() as conn:
        return {t: sorted(map(tuple, conn.execute(text(f"SELECT * FROM {t}"))), key=repr)
                for t in TABLES}


@pytest.fixture
def sent(two, tmp_path):
    """ws-north's genuine bundle of T1001's record (a written consent with its scan, a
    condition, a problem, a review) and a call, for ws-south, which has its own record of
    T1001: hypertension, and a removed condition."""
    ws1, ws2 = two
    provision_bundles(ws2, ws1)
    drop = tmp_path / "usb"
    drop.mkdir()
    targets.add(ws1, "usb", kind="folder", url=str(drop))
    patients.set_consent(ws1, "T1001", "CCM", date(2026, 1, 5), "written",
                         by="Nurse ws-north", disclosures=ALL_TOLD,
                         document=(SCAN, "application/pdf"))
    conditions.add(ws1, "T1001", "E11.9", date(2019, 4, 1))
    care_plan.add(ws1, "T1001", "problem", "Diabetes to keep in range", condition="E11.9")
    care_plan.review(ws1, "T1001")
    conditions.add(ws2, "T1001", "I10", date(2015, 6, 1))
    conditions.add(ws2, "T1001", "J45.909")
    conditions.remove(ws2, "T1001", "J45.909", "not asthma after all", by=remover(ws2))
    add_minutes(ws1, NOV3, 12)
    [export] = queue_exports(ws1, "usb", 1)
    assert Worker(ws1, timeout=2).run_once().delivered == 1
    return ws1, ws2, drop / bundle.name_for(export.id)


def _forge(sender, receiver, path: Path, tmp_path: Path, edit) -> Path:
    """The genuine bundle's rows, edited, signed with the sender's key, sealed for the
    clinic: what a compromised trusted workstation sends."""
    opened = bundle.open_bundle(path, bundle_keys.opening_key(receiver))
    edit(opened.rows)
    m = opened.manifest
    files = bundle.build(
        export_id=m["export_id"], export_format=m["export_format"], content=opened.export,
        records_json=records.to_json(opened.rows, workstation=m["workstation"],
                                     export_id=m["export_id"]),
        workstation=m["workstation"], month=m["month"], created_at=m["created_at"],
        sealing=bundle_keys.sealing_keys(sender))
    out = tmp_path / f"forged-{uuid.uuid4().hex[:6]}"
    out.mkdir()
    bundle.write(out, m["bundle"], files)
    return out / m["bundle"]


def _set(table: str, **values):
    def edit(rows):
        rows[table][0].update(values)
    return edit


def _scan(content: bytes, **values):
    """The scan's bytes replaced, with its size and hash made to match (unless given)."""
    return _set("consent_document", content=content, size=len(content),
                sha256=hashlib.sha256(content).hexdigest(), **values)


FUTURE = datetime(2027, 3, 1, tzinfo=UTC)


@pytest.mark.parametrize("edit, reason", [
    (_set("patient_condition", code="E99.999X"),
     "a condition's code E99.999X is not a billable code of this workstation's ICD-10-CM"),
    (_set("patient_condition", code="E11"), "a condition's code E11 is not a billable code"),
    (_set("patient_condition", code="e119"),
     "a condition's code 'e119' is not an ICD-10-CM code as CCM Timer stores one"),
    (_set("patient_condition", code="diabetes"), "is not an ICD-10-CM code"),
    (_set("patient_condition", description="\x1b[31mType 2 diabetes"),
     "a condition's description contains a control character"),
    (_set("patient_condition", description='=HYPERLINK("http://x")'),
     "a condition's description starts like a spreadsheet formula"),
    (_set("patient_condition", description="x" * 50_000),
     "a condition's description is longer than 500 characters"),
    (_set("patient_condition", since=date(2027, 1, 1)),
     "a condition's since-date 2027-01-01 is not possible"),
    (_set("patient_condition", added_at=FUTURE), "a condition's added date 2027-03-01"),
    (_set("patient_condition", removed_at=NOV3, removed_by="Nurse ws-north"),
     "a condition's removal is not recorded whole"),
    (_set("patient_condition", removed_at=NOV3 - timedelta(days=3650),
          removed_by="Nurse ws-north", removal_reason="typo"),
     "a condition's removal date is before it was added"),
    (_set("care_plan_item", text="Keep\u202e in range"),
     "a care-plan item's text contains an invisible text-direction character"),
    (_set("care_plan_item", text="   "), "a care-plan item's text is empty"),
    (_set("care_plan_item", condition_code="Z99.99"),
     "a care-plan item's condition Z99.99 is not a billable code"),
    (_set("care_plan_review", reviewed_by="=cmd|' /C calc'!A0"),
     "a care-plan review's reviewer's name starts with '='"),
    (_set("care_plan_review", reviewed_at=FUTURE), "a care-plan review's date 2027-03-01"),
    (_set("consent_document", sha256="0" * 64),
     "a scanned consent's SHA-256 does not match its content"),
    (_set("consent_document", sha256="not a hash"), "SHA-256 does not match"),
    (_set("consent_document", size=12), "a scanned consent's size does not match"),
    (_scan(b"<html><script>alert(1)</script></html>"),
     "a scanned consent's content is not the application/pdf it claims"),
    (_scan(b"\x89PNG\r\n\x1a\n rest", media_type="text/html"),
     "a scanned consent's type 'text/html' is not one CCM Timer keeps"),
    (_scan(b"%PDF-" + b"0" * (20 * 1024 * 1024)), "larger than a scan may be"),
    (_set("enrollment", consent_date=None), "without a consent date"),
    (_set("enrollment", consent_method="verbal"),
     "keeps a scanned consent for a consent that was not written"),
    (_set("enrollment", consent_by="\x1b]0;owned\x07Nurse"),
     "an enrollment's consent obtainer's name contains a control"),
    (_set("enrollment", withdrawn_on=date(2026, 11, 2)), "withdrawal has no reason"),
    (_set("enrollment", withdrawn_on=date(2026, 11, 2), withdrawal_reason="moved"),
     "an enrollment's withdrawal does not end it"),
    (_set("enrollment", withdrawal_reason="moved"), "a withdrawal reason but no withdrawal"),
], ids=["not-in-code-set", "category", "not-stored-form", "word", "description-escape",
        "description-formula", "description-50k", "since-future", "added-future",
        "removal-half", "removal-before", "item-bidi", "item-empty", "item-code",
        "reviewer-formula", "review-future", "sha256", "sha256-shape", "size", "not-a-pdf",
        "media-type", "too-large", "no-consent-date", "scan-of-verbal", "obtainer-escape",
        "withdrawal-no-reason", "withdrawal-open", "reason-alone"])
def test_a_forged_record_row_refuses_the_whole_bundle(sent, tmp_path, edit, reason):
    ws1, ws2, path = sent
    forged = _forge(ws1, ws2, path, tmp_path, edit)
    snap = _snapshot(ws2)
    with pytest.raises(UserError) as caught:
        bundles.import_bundle(ws2, forged)
    message = str(caught.value)
    assert message.startswith("The bundle was refused, nothing was imported: "), message
    assert reason in message, message
    assert len(message.splitlines()) == 1 and message.endswith(".")
    assert _snapshot(ws2) == snap


def test_the_genuine_bundle_imports(sent):
    _, ws2, path = sent
    report = bundles.import_bundle(ws2, path)
    assert report.conflicts == [] and report.changed["patient_condition"] == 1


def test_a_scan_of_another_patient_refuses_the_bundle(sent, tmp_path):
    ws1, ws2, path = sent

    def edit(rows):
        rows["consent_document"][0]["patient_id"] = uuid.uuid4()
    snap = _snapshot(ws2)
    with pytest.raises(UserError, match="an enrollment keeps another patient's scanned"):
        bundles.import_bundle(ws2, _forge(ws1, ws2, path, tmp_path, edit))
    assert _snapshot(ws2) == snap


# --- rows that rewrite what is here: conflicts, the local rows kept ---------------------------


def _local(ctx, table: str, where: str) -> dict:
    with ctx.engine.connect() as conn:
        [row] = records._select_in(conn, records.table(table), "id", [
            uuid.UUID(str(r[0])) for r in conn.execute(text(
                f"SELECT id FROM {table} WHERE {where}"))])
    return row


@pytest.mark.parametrize("table, where, change, field", [
    ("patient_condition", "code = 'I10'", {"code": "I11.9"}, "code"),
    ("patient_condition", "code = 'I10'", {"description": "Something else"}, "description"),
    ("patient_condition", "code = 'J45.909'", {"removal_reason": "another reason"},
     "removal_reason"),
    ("patient_condition", "code = 'J45.909'",
     {"removed_at": None, "removed_by": None, "removal_reason": None, "since": date(2020, 1, 1)},
     "since"),
], ids=["code", "description", "other-removal", "unremoved-and-rewritten"])
def test_a_local_condition_rewritten_stays_and_is_a_conflict(sent, tmp_path, table, where,
                                                            change, field):
    ws1, ws2, path = sent
    local = _local(ws2, table, where)

    def edit(rows):
        rows[table].append({**local, **change})
    report = bundles.import_bundle(ws2, _forge(ws1, ws2, path, tmp_path, edit))
    [conflict] = report.conflicts
    assert (conflict.kind, conflict.entity, conflict.entity_id) == (
        "changed", table, str(local["id"]))
    assert field in conflict.summary and "kept the local row" in conflict.summary
    assert _local(ws2, table, f"id = '{local['id'].hex}'") == local
    assert report.changed["patient_condition"] == 1  # ws-north's own E11.9 still added


def test_a_rewritten_review_or_scan_is_a_conflict(sent, tmp_path):
    ws1, ws2, path = sent
    bundles.import_bundle(ws2, path)  # ws-north's review and scan are here now
    review = _local(ws2, "care_plan_review", "reviewed_by = 'Nurse ws-north'")
    scan = _local(ws2, "consent_document", "1 = 1")
    other = SCAN + b"appended page"

    def edit(rows):
        rows["care_plan_review"][0]["substantial"] = True
        rows["consent_document"][0].update(content=other, size=len(other),
                                           sha256=hashlib.sha256(other).hexdigest())
    report = bundles.import_bundle(ws2, _forge(ws1, ws2, path, tmp_path, edit))
    assert sorted((c.kind, c.entity) for c in report.conflicts) == [
        ("changed", "care_plan_review"), ("changed", "consent_document")]
    [kept] = [c for c in report.conflicts if c.entity == "consent_document"]
    # The conflict keeps the scan's size and hash, not its bytes.
    assert kept.incoming["content"] == {"bytes": len(other),
                                        "sha256": hashlib.sha256(other).hexdigest()}
    assert report.changed == {}
    assert _local(ws2, "care_plan_review", f"id = '{review['id'].hex}'") == review
    assert _local(ws2, "consent_document", "1 = 1") == scan
