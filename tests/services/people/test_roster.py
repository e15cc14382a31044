"""Roster import: all rows or none, with a line number and reason for every bad row."""

from pathlib import Path

import pytest

from ccm_timer.services.people import patients, roster
from ccm_timer.services.people.roster import RosterError

GOOD = "MRN,Name,DOB,Program,Consent\nR100,\"Testperson, Ana\",1948-05-06,CCM,2026-01-02\n"


def _write(tmp_path: Path, data: bytes, name="roster.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _mrns(ctx):
    return [p.mrn for p in patients.list_patients(ctx)]


@pytest.mark.parametrize(
    "data",
    [
        GOOD.encode("utf-8"),
        b"\xef\xbb\xbf" + GOOD.encode("utf-8"),
        GOOD.encode("utf-16"),  # with its BOM
        "mrn;name\n".replace(";", ",").encode() + b"R100,\"Testperson, Ana\"\n",
        b"Patient ID,Last Name,First Name\r\nR100,Testperson,Ana\r\n",
    ],
    ids=["utf8", "utf8-bom", "utf16", "minimal", "split-names-crlf"],
)
def test_accepted_encodings_and_headers(clinic, tmp_path, data):
    assert roster.import_file(clinic, _write(tmp_path, data)) == 1
    assert "R100" in _mrns(clinic)


def test_accents_survive(clinic, tmp_path):
    # cp1252 is never guessed (issue 13): it is named, as Excel's plain CSV needs.
    path = _write(tmp_path, GOOD.replace("Ana", "Zoë").encode("cp1252"))
    with pytest.raises(RosterError, match="--encoding cp1252"):
        roster.import_file(clinic, path)
    assert roster.import_file(clinic, path, encoding="cp1252") == 1
    assert patients.get(clinic, "R100").given_name == "Zoë"


def test_newline_inside_a_quoted_field_is_a_bad_name(clinic, tmp_path):
    data = b'mrn,name\nR1,"Test\nperson, Ana"\n'
    with pytest.raises(RosterError, match="line 3: the family name contains a control"):
        roster.import_file(clinic, _write(tmp_path, data))


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"mrn,name\nR1,\"Ok, Ana\"\nR2,\"=HYPERLINK(\"\"http://x\"\"), Bo\"\n",
         "line 3: the family name starts with '='"),
        ("mrn,name\nR1,\"Ok, Ana\"\nR2,\"Evil\u202egnp, Bo\"\n".encode(),
         "line 3: the family name contains an invisible text-direction character"),
        (b"mrn,name\nR1,\"Ok, Ana\"\nR1,\"Other, Bo\"\n", "line 3: MRN R1 is also on line 2"),
        (b"mrn,dob\nR1,1950-01-01\n", "no column for name"),
        (b"name\n\"Ok, Ana\"\n", "no column for mrn"),
        (b"mrn,name\nR1,\"Ok, Ana\x00\"\n", "NUL bytes"),
        (b"mrn,name,dob\nR1,\"Ok, Ana\",1950-13-01\n",
         "line 2: '1950-13-01' is not a real calendar date"),
        (b"mrn,name,dob\nR1,\"Ok, Ana\",01/02/1950\n", "line 2: '01/02/1950' is not a date"),
        (b"mrn,name,program\nR1,\"Ok, Ana\",XYZ\n", "line 2: the program 'XYZ' is unknown"),
        (b"mrn,name\nR 1,\"Ok, Ana\"\n", "line 2: an MRN is"),
        (b"mrn,name\nR1,Nocomma\n", "line 2: write the name as 'Family, Given'"),
        (b"mrn,name\nR1,\"Ok, Ana\n", "line 2"),  # unterminated quote
        (b"mrn,name\nR1,\"Ok, \x81\x8d\x8f\"\n", "line 2: invalid UTF-8 (byte 0x81)"),
        (b"\xff\xfe" + "mrn,name\nR1,x".encode("utf-16-le")[:-1], "UTF-16"),
        (b"", "empty"),
        (b"mrn,name\n", "no patients"),
    ],
)
def test_rejected_with_reason_and_nothing_imported(clinic, tmp_path, data, reason):
    before = _mrns(clinic)
    with pytest.raises(RosterError) as info:
        roster.import_file(clinic, _write(tmp_path, data))
    assert reason in str(info.value)
    assert str(info.value).startswith("Nothing was imported")
    assert _mrns(clinic) == before


def test_ten_megabyte_field(clinic, tmp_path):
    data = b'mrn,name\nR1,"' + b"A" * 10_000_000 + b', Bo"\n'
    with pytest.raises(RosterError, match="line 2: a cell is longer than"):
        roster.import_file(clinic, _write(tmp_path, data))


def test_every_bad_row_is_reported_and_clashes_with_the_database(clinic, tmp_path):
    data = b'mrn,name\nT1001,"Dup, Ann"\nR2,"Ok, Bo"\nR3,bad\n'
    with pytest.raises(RosterError, match="line 4: write the name"):
        roster.import_file(clinic, _write(tmp_path, data))
    data = b'mrn,name\nT1001,"Dup, Ann"\nR2,"Ok, Bo"\n'
    with pytest.raises(RosterError, match="line 2: MRN T1001 is already in the database"):
        roster.import_file(clinic, _write(tmp_path, data))
    assert "R2" not in _mrns(clinic)


def test_missing_file_and_folder(clinic, tmp_path):
    with pytest.raises(Exception, match="no file"):
        roster.import_file(clinic, tmp_path / "nope.csv")
    with pytest.raises(Exception, match="is a folder"):
        roster.import_file(clinic, tmp_path)


def test_large_roster_imports_in_one_go(clinic, tmp_path):
    rows = "".join(f'R{i},"Test{i}, Pat",,CCM,2026-01-01\n' for i in range(3000))
    assert roster.import_file(clinic, _write(tmp_path, f"mrn,name,dob,program,consent\n{rows}"
                                             .encode())) == 3000


def test_mrns_differing_only_in_case_are_one_patient(clinic, tmp_path):
    with pytest.raises(RosterError, match="line 3: MRN r1 is also on line 2"):
        roster.import_file(clinic, _write(tmp_path, b'mrn,name\nR1,"Ok, Ann"\nr1,"Ok, Bo"\n'))
    with pytest.raises(RosterError, match="line 2: MRN t1001 is already in the database"):
        roster.import_file(clinic, _write(tmp_path, b'mrn,name\nt1001,"Dup, Ann"\n'))
    with pytest.raises(Exception, match="MRN T1001 already exists"):
        patients.add(clinic, mrn="t1001", name="Dup, Ann")
    assert patients.get(clinic, "t1001").mrn == "T1001"


# --- the optional conditions and consent columns (issue 14) --------------------------------

ALL = ("cost-sharing", "one-practitioner", "right-to-stop")
RECORD = ("mrn,name,program,consent,conditions,consent method,consent by,disclosures\n"
          'R1,"Roster, Ana",CCM,2026-01-02,E11.9;I10,verbal,Avery Nurse,'
          "cost-sharing;one-practitioner;right-to-stop\n"
          'R2,"Roster, Bo",PCM,2026-01-03,"j45.909, E78.5",written,avery nurse,cost-sharing\n'
          'R3,"Roster, Cy",,,,,,\n')


def _record_state(ctx):
    from sqlmodel import select

    from ccm_timer.store.models import AuditEvent, Condition, Enrollment

    with ctx.read() as s:
        return (len(list(s.exec(select(Condition)))), len(list(s.exec(select(Enrollment)))),
                len(list(s.exec(select(AuditEvent)))))


def test_conditions_and_consent_columns_are_written_with_the_patients(clinic, tmp_path):
    import json

    from ccm_timer.services.people import conditions, roster_batches
    from ccm_timer.services.security import audit

    result = roster.import_roster(clinic, _write(tmp_path, RECORD.encode()))
    assert (result.imported, result.conditions) == (3, 4)
    ana = conditions.list_for(clinic, "R1")
    assert [(c.code, c.description, c.chronic) for c in ana] == [
        ("E11.9", "Type 2 diabetes mellitus without complications", True),
        ("I10", "Essential (primary) hypertension", True)]
    assert [c.code for c in conditions.list_for(clinic, "R2")] == ["E78.5", "J45.909"]
    assert conditions.list_for(clinic, "R3") == []
    [ccm] = patients.get(clinic, "R1").enrollments
    assert (ccm.consent_method, ccm.consent_by, ccm.disclosures, ccm.consent_missing) == (
        "verbal", "Avery Nurse", ALL, ())
    [pcm] = patients.get(clinic, "R2").enrollments  # the name as the clinician list has it
    assert (pcm.consent_method, pcm.consent_by, pcm.disclosures) == (
        "written", "Avery Nurse", ("cost-sharing",))
    with clinic.read() as s:
        events = audit.history(s, roster_batches.last_import_id(s))
        [batch] = [json.loads(e.after) for e in events if e.action == "patient.import.batch"]
        assert audit.verify(s).ok
    assert sorted((c["code"]) for c in batch["conditions"]) == ["E11.9", "E78.5", "I10",
                                                                  "J45.909"]
    assert {e["consent_by"] for e in batch["enrollments"]} == {"Avery Nurse"}
    assert [e["disclosures"] for e in batch["enrollments"]] == [list(ALL), ["cost-sharing"]]


@pytest.mark.parametrize("cells, reason", [
    ("E99.999X;I10", "line 2: E99.999X is not in the ICD-10-CM code set"),
    ("diabetes", "line 2: 'diabetes' is not an ICD-10-CM code"),
    ("E11", "line 2: E11 is a category, not a billable code"),
    ("I10;i10", "line 2: the condition I10 is listed twice"),
    (";".join(["I10"] * 51), "line 2: more than 50 conditions in one row"),
])
def test_a_bad_code_is_a_bad_row_and_nothing_is_imported(clinic, tmp_path, cells, reason):
    data = f'mrn,name,conditions\nR1,"Ok, Ana",{cells}\nR2,"Ok, Bo",E11.9\n'.encode()
    before, state = _mrns(clinic), _record_state(clinic)
    with pytest.raises(RosterError) as info:
        roster.import_file(clinic, _write(tmp_path, data))
    assert reason in str(info.value) and "line 3" not in str(info.value)
    assert _mrns(clinic) == before and _record_state(clinic) == state


@pytest.mark.parametrize("row, reason", [
    ('R1,"Ok, Ana",CCM,,verbal,,', "line 2: how consent was given, who obtained it and the "
     "disclosures need a consent date"),
    ('R1,"Ok, Ana",CCM,2026-01-02,telepathy,,', "line 2: the consent method 'telepathy' is "
     "unknown"),
    ('R1,"Ok, Ana",CCM,2026-01-02,,,free-lunch', "line 2: the disclosure 'free-lunch' is "
     "unknown"),
    ('R1,"Ok, Ana",CCM,2026-01-02,verbal,Nobody,', "line 2: there is no clinician 'Nobody'"),
])
def test_bad_consent_columns_are_bad_rows(clinic, tmp_path, row, reason):
    data = f"mrn,name,program,consent,method,consent_by,disclosures\n{row}\n".encode()
    state = _record_state(clinic)
    with pytest.raises(RosterError, match="Nothing was imported") as info:
        roster.import_file(clinic, _write(tmp_path, data))
    assert reason in str(info.value)
    assert _record_state(clinic) == state


def test_preview_lists_every_bad_code_with_its_line(clinic, tmp_path):
    data = (b'mrn,name,conditions\nR1,"Ok, Ana",E11.9;I10\nR2,"Ok, Bo",E99.999X\n'
            b'R3,"Ok, Cy",\nR4,"Ok, Di",E11\n')
    state = _record_state(clinic)
    checked = roster.check(clinic, _write(tmp_path, data))
    assert checked.parsed.columns["conditions"] == "conditions"
    assert (checked.parsed.total, checked.good) == (4, 2)
    assert [p.split(":")[0] for p in checked.problems] == ["line 3", "line 5"]
    assert "E99.999X is not in the ICD-10-CM code set" in checked.problems[0]
    assert _record_state(clinic) == state


def test_a_taken_back_import_takes_its_conditions_too(clinic, tmp_path):
    rows = "".join(f'R{i},"Test{i}, Pat",CCM,2026-01-01,E11.9;I10\n' for i in range(1200))
    path = _write(tmp_path, f"mrn,name,program,consent,conditions\n{rows}".encode())
    seen: list[int] = []

    def meanwhile(written: int) -> None:
        seen.append(written)
        if len(seen) == 1:  # someone adds, at the front desk, a patient the roster has too
            patients.add(clinic, mrn="R1100", name="Frontdesk, Added")

    state = _record_state(clinic)
    with pytest.raises(RosterError, match="MRN R1100 was added by someone else"):
        roster.import_file(clinic, path, on_batch=meanwhile, batch_rows=300)
    conditions, enrolled, _ = _record_state(clinic)
    assert (conditions, enrolled) == state[:2]
