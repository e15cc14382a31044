"""The PDF's font plan is cheap on every render (GUI exports render on a worker thread, one
per export): resources/fonts are added to Qt once, and only the fallback list is searched,
only for names (an emoji in a note opens no font at all)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6 import QtGui

from ccm_timer.exports import pdf, pdf_fonts


@pytest.fixture
def opened(monkeypatch) -> list[str]:
    """The families the plan opens to ask which letters they have (Qt's own QRawFont,
    wrapped to record them)."""
    seen: list[str] = []
    real = QtGui.QRawFont

    class Recording(real):  # type: ignore[misc, valid-type]
        @staticmethod
        def fromFont(font, *args):
            seen.append(font.family())
            return real.fromFont(font, *args)

    monkeypatch.setattr(QtGui, "QRawFont", Recording)
    return seen


def _doc(name: str, note: str) -> dict:
    return {"patients": [{"name": name, "family_name": name.split(",")[0],
                          "entries": [{"note": note, "clinician": {"name": "Avery Nurse"}}]}]}


def test_an_emoji_in_a_note_opens_no_font_and_is_not_said_missing(qapp, opened) -> None:
    families, missing = pdf.font_plan(_doc("Testpatient, Alma", "Called back 😀 ✅"))
    assert families == list(pdf_fonts.BASE_FAMILIES) and missing == set()
    assert len(opened) <= 1  # the base at most: a name in Latin letters needs nothing more


def test_a_name_no_font_has_is_looked_for_in_the_fallback_list_only(qapp, opened) -> None:
    _families, missing = pdf.font_plan(_doc("𐀀𐀁, Test", ""))  # Linear B
    if not missing:
        pytest.skip("this computer has a Linear B font among the fallbacks")
    assert missing == {"𐀀", "𐀁"}
    allowed = {*pdf_fonts.BASE_FAMILIES, *pdf_fonts.FALLBACK_FAMILIES}
    assert opened and set(opened) <= allowed, set(opened) - allowed


def test_a_fonts_folder_is_added_to_qt_once(qapp, tmp_path, monkeypatch) -> None:
    system = Path("/usr/share/fonts")
    found = next(system.rglob("DejaVuSans.ttf"), None) if system.is_dir() else None
    if found is None:
        pytest.skip("needs a DejaVu Sans font file to copy")
    shutil.copy(found, tmp_path / found.name)
    added: list[str] = []
    real = QtGui.QFontDatabase.addApplicationFont

    def recording(path: str) -> int:
        added.append(path)
        return real(path)

    monkeypatch.setattr(QtGui.QFontDatabase, "addApplicationFont", staticmethod(recording))
    first = pdf_fonts.register_fonts(tmp_path)
    assert pdf_fonts.register_fonts(tmp_path) == first and first
    assert len(added) == 1
