"""The roster preview of the setup and patients windows (issue 17): columns matched, the
encoding guessed and changeable, every bad row with its line and a reason in the user's
words, counts; nothing written until confirmed, then exactly the rows shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from ccm_timer.errors import UserError
from ccm_timer.services.people import patients, roster_preview
from ccm_timer.services.people.access import Refused
from tests.fixtures.clinic import NURSE

ROWS = ("MRN,Name,DOB,Program,Consent,Ward\n"
        "R100,\"Testperson, Zoë\",1948-05-06,CCM,2026-01-02,3\n"
        "R101,\"Sampleperson, Ana\",1950-13-01,CCM,,3\n"
        "T1001,\"Twice, Bo\",,,,\n"
        "R102,\"Okperson, Cy\",,XYZ,,\n")


def _file(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "roster.csv"
    path.write_bytes(text.encode(encoding))
    return path


def _mrns(ctx) -> list[str]:
    return sorted(p.mrn for p in patients.list_patients(ctx))


def test_every_bad_row_with_its_line_and_nothing_written(clinic, tmp_path) -> None:
    before = _mrns(clinic)
    shown = roster_preview.preview(clinic, _file(tmp_path, ROWS))
    assert shown.encoding == "utf-8" and shown.decoded_as == "UTF-8"
    assert shown.columns == [("MRN", "MRN"), ("Name", "Name"), ("Date of birth", "DOB"),
                             ("Program", "Program"), ("Consent date", "Consent")]
    assert shown.unused == ["Ward"]  # said, not silently dropped
    assert (shown.rows, shown.good, shown.bad, shown.ready) == (4, 1, 3, False)
    assert [(p.line, p.reason) for p in shown.problems] == [
        (3, "'1950-13-01' is not a real calendar date"),
        (4, "MRN T1001 is already in the database"),
        (5, "the program 'XYZ' is unknown")]
    assert "Nothing will be imported until every row is right" in shown.summary()
    with pytest.raises(UserError, match="fix the rows with a problem"):
        roster_preview.write(clinic, shown, _nurse(clinic))
    assert _mrns(clinic) == before


def _nurse(ctx):
    from ccm_timer.services.security import credentials
    from tests.fixtures.clinic import PASSWORD

    return credentials.verify(ctx, NURSE, PASSWORD)


def test_excel_encoding_is_guessed_and_can_be_changed(clinic, tmp_path) -> None:
    path = _file(tmp_path, ROWS.splitlines()[0] + "\n" + ROWS.splitlines()[1] + "\n", "cp1252")
    shown = roster_preview.preview(clinic, path)
    assert shown.encoding == "cp1252" and shown.ready
    assert shown.checked.parsed.rows[0].given == "Zoë"
    wrong = roster_preview.preview(clinic, path, "utf-8")  # the user chose another
    assert wrong.checked is None and not wrong.ready
    (problem,) = wrong.problems
    assert problem.line == 2 and "invalid UTF-8" in problem.reason
    assert "choose the encoding Windows" in problem.reason and "--" not in problem.reason
    assert wrong.summary().startswith("This file cannot be imported")


def test_confirmed_the_rows_shown_are_written_as_the_person(clinic, tmp_path) -> None:
    path = _file(tmp_path, "mrn,name,program,consent,consent by\n"
                           "R100,\"Testperson, Ana\",CCM,2026-01-02,avery nurse\n")
    shown = roster_preview.preview(clinic, path)
    assert shown.ready and "Nothing is written until you choose Import" in shown.summary()
    assert "R100" not in _mrns(clinic)
    path.write_text("mrn,name\nR999,\"Changed, Later\"\n", encoding="utf-8")  # after preview
    result = roster_preview.write(clinic, shown, _nurse(clinic))
    assert result.imported == 1
    assert "R100" in _mrns(clinic) and "R999" not in _mrns(clinic)


def test_an_unknown_obtainer_is_said_in_the_windows_words(clinic, tmp_path) -> None:
    path = _file(tmp_path, "mrn,name,program,consent,consent by\n"
                           "R100,\"Testperson, Ana\",CCM,2026-01-02,Nobody Known\n")
    (problem,) = roster_preview.preview(clinic, path).problems
    assert problem.line == 2 and "`" not in problem.reason
    assert problem.reason.endswith("add them first under Clinicians and staff")


def test_nobody_signed_in_imports_nothing(clinic, tmp_path) -> None:
    shown = roster_preview.preview(clinic, _file(tmp_path, "mrn,name\nR1,\"Ok, Ana\"\n"))
    with pytest.raises(Refused, match="Sign in first"):
        roster_preview.write(clinic, shown, None)
    assert "R1" not in _mrns(clinic)


@pytest.mark.parametrize(("data", "guess"), [
    (b"mrn\n", "utf-8"), ("Zoë".encode("cp1252"), "cp1252"),
    ("Zoë".encode("utf-16"), "utf-16"), (b"\x81\x8d", "latin-1")])
def test_guess(data, guess) -> None:
    assert roster_preview.guess_encoding(data) == guess
