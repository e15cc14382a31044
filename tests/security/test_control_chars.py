"""Issue 13, defect 13: notes reached terminals raw, so an escape sequence in a note could
clear or recolour the screen of whoever ran `entry list`, and a bidi control could reorder
what they read. Notes and reasons are now checked as names are (tab and line breaks allowed),
and the command line prints any control character already stored as its escape."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text

from ccm_timer.cli.output import neutralise
from ccm_timer.core.parse import UNSAFE
from ccm_timer.errors import UserError
from ccm_timer.services.people import clinicians, patients
from ccm_timer.services.timing import entries, timers
from tests.fixtures.cli import run_cli
from tests.fixtures.clinic import corrector

HOSTILE_NOTES = {
    "\x1b[2J\x1b[31mall clear": "The note contains a control character (U+001B); remove it.",
    "call back \x9b31m": "The note contains a control character (U+009B); remove it.",
    "dose \u202e01 gm": "The note contains an invisible text-direction character (U+202E); "
                        "remove it.",
    "x \u2066isolated\u2069": "The note contains an invisible text-direction character "
                              "(U+2066); remove it.",
    "nul\x00byte": "The note contains a control character (U+0000); remove it.",
    "bell\x07": "The note contains a control character (U+0007); remove it.",
    "back\x08space": "The note contains a control character (U+0008); remove it.",
    "Call \udcff back": "The note holds bytes that are not UTF-8 text; type it again.",
}


def _audit_count(ctx) -> int:
    with ctx.read() as session:
        return session.execute(text("SELECT count(*) FROM audit_event")).scalar()


@pytest.mark.parametrize("note", HOSTILE_NOTES)
def test_a_note_with_terminal_controls_is_refused_wherever_it_is_typed(clinic, clock, note):
    ctx = clinic
    start = clock.now() - timedelta(hours=2)
    kept = entries.add_manual(ctx, patient_mrn="T1001", category_slug="phone-call",
                              start=start, end=start + timedelta(minutes=10), note="fine")
    nurse = corrector(ctx)  # her password, given before (an audit event of its own)
    before = _audit_count(ctx)
    attempts = [
        lambda: timers.start(ctx, patient_mrn="T1001", category_slug="phone-call", note=note),
        lambda: entries.add_manual(ctx, patient_mrn="T1001", category_slug="phone-call",
                                   start=start + timedelta(minutes=20),
                                   end=start + timedelta(minutes=30), note=note),
        lambda: entries.edit(ctx, str(kept.id), reason="wording", note=note, by=nurse),
    ]
    for attempt in attempts:
        with pytest.raises(UserError) as caught:
            attempt()
        assert str(caught.value) == HOSTILE_NOTES[note]
    assert _audit_count(ctx) == before
    timers.start(ctx, patient_mrn="T1001", category_slug="phone-call", note="ok")
    clock.advance(timedelta(minutes=3))
    before = _audit_count(ctx)
    with pytest.raises(UserError, match=r"^The note "):
        timers.stop(ctx, note=note)
    for reason_of in (lambda: entries.edit(ctx, str(kept.id), reason=note, note="better",
                                           by=nurse),
                      lambda: entries.void(ctx, str(kept.id), reason=note, by=nurse)):
        with pytest.raises(UserError) as caught:
            reason_of()
        assert str(caught.value) == HOSTILE_NOTES[note].replace("The note", "The reason")
    assert _audit_count(ctx) == before  # nothing was written
    assert entries.history(ctx, str(kept.id))[-1].note == "fine"


def test_line_breaks_tabs_and_every_script_are_kept(clinic):
    typed = ("  Called Chloé\tre: meds\r\nNext: 👩\u200d⚕️ follow-up, e\u0301 "
             "\u05e9\u05dc\u05d5\u05dd\r")
    view = timers.start(clinic, patient_mrn="T1001", category_slug="phone-call", note=typed)
    assert view.note == ("Called Chloé\tre: meds\nNext: 👩\u200d⚕️ follow-up, \u00e9 "
                         "\u05e9\u05dc\u05d5\u05dd")


def test_names_with_terminal_controls_stay_refused(clinic):
    with pytest.raises(UserError, match="control or invalid character"):
        clinicians.add(clinic, name="Nurse \x1b[8mHidden", credential="RN",
                       role="clinical_staff")
    with pytest.raises(UserError, match="invisible text-direction character"):
        patients.add(clinic, mrn="T1008", name="Sample, \u202eJosé", program="CCM")


PLANTED_NOTE = "\x1b[2J\x1b]0;owned\x07 see \u202eevil\u202c \x9b1m end"
PLANTED_NAME = "Testpatient\x1b[5m"


def test_what_is_already_stored_reaches_the_terminal_escaped(home, clinic, clock):
    """Rows written before the check (or by another program) are shown, not obeyed."""
    start = clock.now() - timedelta(hours=1)
    view = entries.add_manual(clinic, patient_mrn="T1001", category_slug="phone-call",
                              start=start, end=start + timedelta(minutes=5), note="plain")
    with clinic.write() as session:
        session.execute(text("UPDATE time_entry SET note = :n WHERE id = :i"),
                        {"n": PLANTED_NOTE, "i": view.id.hex})
        session.execute(text("UPDATE patient SET family_name = :n WHERE mrn = 'T1001'"),
                        {"n": PLANTED_NAME})
    clinic.close()
    for command in (("entry", "list", "--month", "2026-11"), ("patient", "list"),
                    ("entry", "history", str(view.id))):
        done = run_cli(home, *command)
        assert done.returncode == 0, done.stderr
        shown = done.stdout + done.stderr
        assert not UNSAFE.search(shown), command
    listed = run_cli(home, "entry", "list", "--month", "2026-11")
    assert "\\u001b[2J\\u001b]0;o" in listed.stdout  # the note column, as escapes
    people = run_cli(home, "patient", "list")
    assert "Testpatient\\u001b[5m" in people.stdout
    as_json = run_cli(home, "entry", "list", "--month", "2026-11", "--json")
    assert not UNSAFE.search(as_json.stdout)
    assert [e["note"] for e in json.loads(as_json.stdout) if e["id"] == str(view.id)] == [
        PLANTED_NOTE]  # the escapes are JSON's own: a program reads the note as stored


@given(st.text(st.characters(exclude_categories=())))  # lone surrogates too
def test_neutralised_text_is_safe_and_still_the_same_json(value):
    shown = neutralise(value)
    assert not UNSAFE.search(shown)
    shown.encode("utf-8")  # never a lone surrogate
    assert json.loads(neutralise(json.dumps(value, ensure_ascii=False))) == value
