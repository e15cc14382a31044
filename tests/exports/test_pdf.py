"""The PDF month report, drawn by Qt offscreen and read back with pdftotext."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest

from ccm_timer.services import exports
from ccm_timer.services.month import approvals
from tests.fixtures import clinic
from tests.fixtures.clinic import approver, exporter

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                reason="needs pdftotext (poppler-utils; .ci/run installs it)")


def text_of(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


def test_summary_page_then_one_section_per_patient_with_totals(qapp, month_clinic, tmp_path):
    ctx, _ = month_clinic
    approvals.approve(ctx, clinic.MONTH, by=approver(ctx))
    result = exports.export_month(ctx, clinic.MONTH, "pdf", by=exporter(ctx))
    assert result.content.startswith(b"%PDF-")
    text = text_of(result.content, tmp_path)
    pages = text.split("\f")
    assert "Care management report: November 2026" in pages[0]
    assert "3 patients: 2 claim lines, 3 units; 2 held lines" in pages[0]
    for name, total in (("Example, Chloé", "Total 22 min"), ("Sample, José", "Total 25 min"),
                        ("Testpatient, Alma", "Total 67 min 20 s")):
        section = next(p for p in pages[1:] if f"{name}: November 2026" in p)
        assert total in section
        assert "Entry log" in section
    # Every page says whose it is and where it sits, for pages printed and filed alone.
    assert all(f"Page {n} of {len(pages) - 1}" in page for n, page in enumerate(pages[:-1], 1))
    assert all(re.search(r"Testpatient, Alma\s+MRN T1001\s+November 2026", page)
               for page in pages if "Testpatient, Alma: November" in page)
    alma = next(p for p in pages if "Testpatient, Alma: November" in p)
    assert "99439" in alma and "clinical staff 36 min" in alma
    assert "Reviewed home BP log" in alma
    assert "99490" in pages[0] and "99457" in pages[0]  # held codes are on the summary


def test_each_patient_page_shows_consent_conditions_and_the_care_plan_review(
        qapp, month_clinic, tmp_path):
    ctx, _ = month_clinic
    approvals.approve(ctx, clinic.MONTH, by=approver(ctx))
    pages = text_of(exports.export_month(ctx, clinic.MONTH, "pdf", by=exporter(ctx)).content,
                    tmp_path).split("\f")
    alma = " ".join(next(p for p in pages if "Testpatient, Alma: November" in p).split())
    assert "CCM: 01/05/2026, verbal, obtained by Avery Nurse, RN. Disclosed: cost sharing;" \
        in alma
    assert "E11.9 Type 2 diabetes mellitus without complications yes (Diabetes) 04/01/2019" \
        in alma
    assert "J06.9 Acute upper respiratory infection, unspecified no 11/02/2026" in alma
    assert ("Last reviewed 11/09/2026 by Dr Blake Test, MD (substantial revision). "
            "Substantially revised this month.") in alma
    assert "99490 CCM, clinical staff, first 20 min 1 20 E11.9, I10 11/30/2026" in alma
    jose = " ".join(next(p for p in pages if "Sample, José: November" in p).split())
    assert "CCM: no consent on file." in jose
    assert "Conditions on file None recorded." in jose
    assert "No care plan review on file." in jose


def test_draft_pages_say_draft(qapp, month_clinic, tmp_path):
    ctx, _ = month_clinic
    result = exports.export_month(ctx, clinic.MONTH, "pdf", draft=True)
    text = text_of(result.content, tmp_path)
    assert "DRAFT: includes patient months not approved" in text
    assert "Testpatient, Alma: November 2026 (DRAFT)" in text


def test_other_formats_never_import_qt(month_clinic):
    ctx, _ = month_clinic
    code = (
        "import sys\n"
        "from ccm_timer.cli.main import main\n"
        "rc = main(['export', '--month', '2026-11', '--format', 'csv', '--draft', '--out', '-',"
        f" '--data-dir', {str(ctx.paths.data)!r}])\n"
        "assert rc == 0, rc\n"
        "print('QT', any(m.startswith('PySide6') for m in sys.modules), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "QT False" in done.stderr
    assert '"T1001"' in done.stdout
