"""The roster fuzz set (reliability T23, R6.1): each hostile file is accepted or refused as
the rules say, with a line and a reason, and nothing is ever imported in part.

Already covered in tests/services/people/test_roster.py, and not repeated here:
- UTF-8 with a BOM, UTF-16 with its BOM, cp1252 when named ("Zoë"):
  test_accepted_encodings_and_headers, test_accents_survive;
- bytes that are not UTF-8, and broken UTF-16: test_rejected_with_reason...; a cp1252 byte
  in a UTF-8 file, FIFOs, devices and size limits: test_roster_import_safety.py;
- a newline inside a quoted *name*: test_newline_inside_a_quoted_field_is_a_bad_name;
- a NUL byte in UTF-8, `=HYPERLINK(` as a family name, U+202E, a duplicate MRN in the file
  and one already in the database, a missing mrn or name column: test_rejected_with_reason...,
  test_every_bad_row_is_reported_and_clashes_with_the_database;
- a 10 MB name: test_ten_megabyte_field.
This file adds the variants those leave open, and a property over random files.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ccm_timer.core.parse import FORMULA_PREFIXES
from ccm_timer.services.people import patients, roster
from ccm_timer.services.people.roster import RosterError

ACCENTED = [("R100", "Testperson", "Renée"), ("R101", "Exámple", "José"),
            ("R102", "Sample", "Chloé"), ("R103", "Müller-Öz", "Zoë")]


def _csv(rows: list[tuple[str, str, str]]) -> str:
    return "mrn,name\r\n" + "".join(f'{m},"{f}, {g}"\r\n' for m, f, g in rows)


def _import(ctx, tmp_path: Path, data: bytes, **options) -> int:
    path = tmp_path / "roster.csv"
    path.write_bytes(data)
    return roster.import_file(ctx, path, **options)


def _refused(ctx, tmp_path: Path, data: bytes, reason: str) -> None:
    before = [p.mrn for p in patients.list_patients(ctx)]
    with pytest.raises(RosterError) as info:
        _import(ctx, tmp_path, data)
    assert reason in str(info.value), str(info.value)[:400]
    assert str(info.value).startswith("Nothing was imported")
    assert [p.mrn for p in patients.list_patients(ctx)] == before


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le-bom", "utf-16-be-bom", "utf-8",
                                      "utf-8-sig", "cp1252"])
def test_accented_names_arrive_intact_in_every_accepted_encoding(clinic, tmp_path, encoding):
    text = _csv(ACCENTED)
    if encoding == "utf-16-le-bom":
        data = b"\xff\xfe" + text.encode("utf-16-le")
    elif encoding == "utf-16-be-bom":
        data = b"\xfe\xff" + text.encode("utf-16-be")
    else:
        data = text.encode(encoding)
    named = {"encoding": "cp1252"} if encoding == "cp1252" else {}  # never guessed
    assert _import(clinic, tmp_path, data, **named) == len(ACCENTED)
    for mrn, family, first in ACCENTED:
        stored = patients.get(clinic, mrn)
        assert (stored.family_name, stored.given_name) == (family, first)  # no mojibake
        assert unicodedata.is_normalized("NFC", stored.given_name)


def test_decomposed_accents_are_stored_composed(clinic, tmp_path):
    decomposed = unicodedata.normalize("NFD", "Renée")
    assert decomposed != "Renée"
    _import(clinic, tmp_path, _csv([("R100", "Testperson", decomposed)]).encode())
    assert patients.get(clinic, "R100").given_name == "Renée"


@pytest.mark.parametrize("data, reason", [
    # A newline inside a quoted field other than the name.
    (b'mrn,name,dob\nR1,"Ok, Ana","1950-01\n-01"\n', "line 3: '1950-01\\n-01' is not a date"),
    (b'mrn,name\n"R\n1","Ok, Ana"\n', "line 3: an MRN is"),
    # Invalid bytes after a UTF-8 BOM, and a NUL that only shows once UTF-16 is decoded.
    (b"\xef\xbb\xbfmrn,name\nR1,\"Ok, \xff\"\n", "invalid UTF-8"),
    ("mrn,name\nR1,\"Ok, A\x00na\"\n".encode("utf-16"), "NUL bytes"),
    # A 10 MB field in a column the import does not even use, and an unclosed quote.
    (b'mrn,name,notes\nR1,"Ok, Ana","' + b"x" * 10_000_000 + b'"\n', "longer than"),
    (b'mrn,name\nR1,"Ok, Ana\n' + b"x" * 10_000_000, "unexpected end of data"),
    # Formulas in every position and with every prefix OWASP lists.
    (b'mrn,name\nR1,"Ok, =HYPERLINK(""http://x"")"\n', "given name starts with '='"),
    (b'mrn,name\nR1,"  =HYPERLINK(""x""), Ana"\n', "family name starts with '='"),
    (b"mrn,family,given\nR1,@SUM(A1),Ana\n", "family name starts with '@'"),
    (b"mrn,family,given\nR1,Ok,+1\n", "given name starts with '+'"),
    (b"mrn,family,given\nR1,-2+3,Ana\n", "family name starts with '-'"),
    (b"mrn,name\n=HYPERLINK(1),\"Ok, Ana\"\n", "line 2: an MRN is"),
    # Bidi isolates and embeddings, and zero-width characters.
    ("mrn,name\nR1,\"Ok, A\u2067na\"\n".encode(), "invisible text-direction"),
    ("mrn,name\nR1,\"\u202aOk, Ana\"\n".encode(), "invisible text-direction"),
    ("mrn,name\nR1,\"Ok, An\u200ba\"\n".encode(), "control or invalid character"),
    ("mrn,name\nR\u202e1,\"Ok, Ana\"\n".encode(), "an MRN is"),
    # Duplicates among many rows, each reported with both lines.
    (b'mrn,name\nR1,"A, B"\nR2,"C, D"\nR1,"E, F"\nR2,"G, H"\n', "line 5: MRN R2 is also on line 3"),
    # Missing columns: a family without a given name, and after a BOM.
    (b"mrn,family\nR1,Ok\n", "no column for name (or family and given)"),
    (b"\xef\xbb\xbfname,dob\n\"Ok, Ana\",1950-01-01\n", "no column for mrn"),
], ids=["newline-in-dob", "newline-in-mrn", "bad-bytes-after-bom", "nul-in-utf16",
        "10mb-unused-column", "10mb-unclosed-quote", "hyperlink-given", "hyperlink-spaced",
        "at-sign", "plus", "minus", "hyperlink-mrn", "bidi-isolate", "bidi-embedding",
        "zero-width", "bidi-in-mrn", "duplicates", "missing-given", "missing-mrn-after-bom"])
def test_hostile_files_are_refused_whole_with_a_reason(clinic, tmp_path, data, reason):
    _refused(clinic, tmp_path, data, reason)


def test_leading_tabs_and_returns_are_whitespace_not_formulas(clinic, tmp_path):
    # OWASP lists tab and CR as formula starts; cells are stripped, so none is stored.
    _import(clinic, tmp_path, b'mrn,family,given\nR1,"\tTabbed","\rAna"\n')
    stored = patients.get(clinic, "R1")
    assert (stored.family_name, stored.given_name) == ("Tabbed", "Ana")


def test_one_bad_row_among_good_ones_imports_nothing(clinic, tmp_path):
    rows = "".join(f'R{i},"Test{i}, Pat"\n' for i in range(200))
    data = f"mrn,name\n{rows}R999,\"Evil\u202egnp, Bo\"\n".encode()
    _refused(clinic, tmp_path, data, "line 202")
    assert not any(p.mrn.startswith("R") for p in patients.list_patients(clinic))


CSV_PIECES = st.sampled_from(['"', ",", "\n", "\r\n", "R1", "R2", "Ok, Ana", "=1", "\u202e",
                              "\x00", "é", "1950-01-01", "CCM", "mrn", "name", " ", "\ufeff"])


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(
    st.binary(max_size=300),
    st.lists(CSV_PIECES, max_size=40).map(lambda parts: ("mrn,name\n" + "".join(parts))
                                          .encode("utf-8")),
    st.lists(CSV_PIECES, max_size=40).map(lambda parts: ("mrn,name\n" + "".join(parts))
                                          .encode("utf-16")),
))
def test_any_file_is_parsed_or_refused_and_every_accepted_row_is_clean(data):
    try:
        rows, problems = roster.parse(roster.decode(data))
    except RosterError as exc:
        assert exc.problems and all(p for p in exc.problems)
        return
    for line, why in problems:
        assert line >= 1 and why
    mrns = [r.mrn for r in rows]
    assert len(mrns) == len(set(mrns))
    for row in rows:
        for text in (row.family, row.given):
            assert text and unicodedata.is_normalized("NFC", text)
            assert not text.startswith(FORMULA_PREFIXES)
            assert not any(unicodedata.category(c) in ("Cc", "Cf") for c in text)
