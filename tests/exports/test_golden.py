"""Golden files: every format for the synthetic clinic (tests/fixtures/clinic.py), byte for
byte after replacing UUIDs (random per run) with placeholders in order of appearance.

To accept a deliberate change: CCM_UPDATE_GOLDEN=1 pytest tests/exports/test_golden.py,
then read the diff of tests/exports/golden/ before committing it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from ccm_timer.exports import csv_file, fhir, json_file, pdf
from ccm_timer.services import exports
from ccm_timer.services.month import approvals
from tests.fixtures import clinic
from tests.fixtures.clinic import PHYSICIAN, approver, corrector, exporter

GOLDEN = Path(__file__).parent / "golden"
_UUID = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}")


# The audit chain head a file carries hashes random ids too.
_CHAIN_HEAD = re.compile(r"[0-9a-f]{64}|(?<=audit chain head )[0-9a-f]{16}")


def normalized(text: str) -> str:
    seen: dict[str, str] = {}
    text = _CHAIN_HEAD.sub("<chain-head>", text)
    return _UUID.sub(lambda m: seen.setdefault(m.group(0), f"<id-{len(seen) + 1}>"), text)


def check(name: str, text: str) -> None:
    path = GOLDEN / name
    text = normalized(text)
    if os.environ.get("CCM_UPDATE_GOLDEN"):
        path.write_bytes(text.encode("utf-8"))
    assert path.exists(), f"{path} is missing; run with CCM_UPDATE_GOLDEN=1 once"
    assert text == path.read_bytes().decode("utf-8")


@pytest.fixture
def approved(month_clinic):
    ctx, made = month_clinic
    approvals.approve(ctx, clinic.MONTH, by=approver(ctx))
    doc, _ = exports.build(ctx, clinic.MONTH, billing=True, actor="Dr Blake Test")
    return ctx, made, doc


def test_notes(approved):
    ctx, made, doc = approved
    check("entry-note.txt", exports.note_for_entry(ctx, made["plan"].id))
    check("entry-note-multiline.txt", exports.note_for_entry(ctx, made["call2"].id))
    check("month-summary-T1001.txt", exports.month_summary(ctx, clinic.MONTH, "T1001"))
    check("month-summary-T1002.txt", exports.month_summary(ctx, clinic.MONTH, "T1002"))
    check("month.ehr-text.txt", exports.ehr_text(ctx, doc).decode("utf-8"))


def test_billing_files(approved):
    _ctx, _made, doc = approved
    check("month.csv", csv_file.render(doc).decode("utf-8-sig"))
    check("month.json", json_file.render(doc).decode("utf-8"))
    check("month.fhir.json", fhir.render(doc).decode("utf-8"))
    check("month.pdf.html", pdf.to_html(doc).replace("><", ">\n<"))


def test_an_amendment(approved, clock):
    from datetime import timedelta

    from ccm_timer.services.timing import entries

    ctx, made, _ = approved
    exports.export_month(ctx, clinic.MONTH, "csv", by=exporter(ctx))
    clock.advance(timedelta(days=1, hours=2))
    entries.void(ctx, str(made["plan"].id), reason="entered for the wrong patient",
                 by=corrector(ctx, PHYSICIAN))
    check("month-summary-T1001-changed.txt", exports.month_summary(ctx, clinic.MONTH, "T1001"))
    approvals.approve(ctx, clinic.MONTH, "T1001", by=approver(ctx))
    doc, _ = exports.build(ctx, clinic.MONTH, billing=True, actor="Dr Blake Test")
    check("month-amendment.csv", csv_file.render(doc).decode("utf-8-sig"))
