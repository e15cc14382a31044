"""Names in any script print in the PDF (issue 17): every character of a Chinese and an
Arabic name has a glyph in a font embedded in the file; a character no font on the computer
has is said on the first page, not left as a silent box."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PySide6.QtGui import QRawFont

from ccm_timer.exports import pdf
from ccm_timer.services import exports
from ccm_timer.services.people import patients
from tests.fixtures.clinic import MONTH, log

pytestmark = pytest.mark.skipif(
    not (shutil.which("pdffonts") and shutil.which("pdftotext") and shutil.which("fc-list")),
    reason="needs pdffonts and pdftotext (poppler-utils) and fc-list (fontconfig)")

CHINESE, ARABIC = "王, 小明", "الحسيني, فاطمة"


def _embedded_fonts(path: Path) -> list[Path]:
    """The font files of the fonts embedded in the PDF (pdffonts), found by their PostScript
    names among the system's (fc-list)."""
    listed = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True,
                            check=True).stdout.splitlines()[2:]
    rows = [line.split() for line in listed]
    assert all(row[-5] == "yes" for row in rows), listed  # the "emb" column: all embedded
    names = {row[0].split("+", 1)[-1] for row in rows}
    files = subprocess.run(["fc-list", "-f", "%{postscriptname}|%{file}\n"],
                           capture_output=True, text=True, check=True).stdout.splitlines()
    by_name = dict(line.split("|", 1) for line in files if "|" in line)
    return [Path(by_name[n]) for n in names if n in by_name]


@pytest.fixture
def world(nov):
    patients.add(nov, mrn="T4001", name=CHINESE, program="CCM")
    patients.add(nov, mrn="T4002", name=ARABIC, program="CCM")
    log(nov, "T4001", 22, day=5)
    log(nov, "T4002", 21, day=6)
    return nov


def test_every_letter_of_a_chinese_and_an_arabic_name_has_an_embedded_glyph(
        qapp, world, tmp_path):
    result = exports.export_month(world, MONTH, "pdf", draft=True)
    families, missing = pdf.font_plan({"names": [CHINESE, ARABIC]})
    if missing:
        pytest.skip("no font on this computer has these letters; .ci/run installs one")
    path = tmp_path / "report.pdf"
    path.write_bytes(result.content)
    fonts = [QRawFont(str(f), 12) for f in _embedded_fonts(path)]
    assert len(fonts) >= 2  # the base font and the fallback for the Chinese letters
    letters = {c for name in (CHINESE, ARABIC) for c in name if c.isalpha()}
    bare = [c for c in letters if not any(f.supportsCharacter(ord(c)) for f in fonts)]
    assert not bare, f"no embedded glyph for {bare}; fonts {families}"
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert CHINESE in text
    assert "no font on this computer" not in text


def test_a_letter_no_font_has_is_said_on_the_first_page(qapp, world, tmp_path):
    patients.add(world, mrn="T4003", name="𐀀𐀁, Test", program="CCM")  # Linear B
    log(world, "T4003", 21, day=7)
    families, missing = pdf.font_plan({"name": "𐀀𐀁"})
    if not missing:
        pytest.skip("this computer has a Linear B font")
    path = tmp_path / "report.pdf"
    path.write_bytes(exports.export_month(world, MONTH, "pdf", draft=True).content)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    first = re.sub(r"\s+", " ", text.split("\f")[0])
    assert "Some letters (LINEAR script) have no font on this computer" in first
