"""`ccm-timer careplan ...` through the real command: exact forms, readable output, JSON,
and bad input as one sentence with nothing written."""

from __future__ import annotations

import pytest

from ccm_timer.services.context import open_app
from tests.fixtures.cli import db_digest, js, ok, run_cli
from tests.fixtures.clinic import NURSE, PHYSICIAN, T0, ManualClock, add_people


@pytest.fixture
def record_home(home):
    """The nurse (default) and the physician; T1001 with E11.9 and I10 on file."""
    ctx = open_app(str(home), clock=ManualClock(T0))
    try:
        add_people(ctx, mrns=("T1001", "T1002"))
    finally:
        ctx.close()
    return home


def test_add_show_review_end(record_home):
    home = record_home
    first = run_cli(home, "careplan", "add", "--mrn", "T1001", "--kind", "problem", "--text",
                    "Type 2 diabetes, poorly controlled", "--condition", "e119")
    assert first.returncode == 0, first.stderr
    assert "Added problem for E11.9 to T1001's care plan, by Avery Nurse" in first.stdout
    # The nurse recorded the plan's first item: a caution, not a refusal.
    assert "Noridian" in first.stderr and "--as" in first.stderr
    goal = js(home, "careplan", "add", "--mrn", "T1001", "--kind", "goal", "--text",
              "HbA1c below 8% by March", "--condition", "E11.9", "--as", PHYSICIAN)
    assert goal["created_by"] == PHYSICIAN and goal["condition"] == "E11.9"
    ok(home, "careplan", "add", "--mrn", "T1001", "--kind", "intervention", "--text",
       "Weekly glucose log review by phone")

    shown = ok(home, "careplan", "show", "--mrn", "T1001")
    lines = shown.splitlines()
    assert lines.index("Problems:") < lines.index("Goals:") < lines.index("Interventions:")
    assert "[E11.9] Type 2 diabetes, poorly controlled" in shown
    assert f"{PHYSICIAN}; id " in shown and "Last review: never reviewed." in shown

    reviewed = ok(home, "careplan", "review", "--mrn", "T1001", "--as", PHYSICIAN,
                  "--substantial")
    assert f"substantial revision of T1001's care plan by {PHYSICIAN}" in reviewed
    data = js(home, "careplan", "show", "--mrn", "T1001")
    assert set(data) >= {"items", "reviewed_at", "reviewed_by"}
    assert data["reviewed_by"] == PHYSICIAN and data["substantial"] is True
    assert [i["kind"] for i in data["items"]] == ["problem", "goal", "intervention"]
    assert set(data["items"][0]) == {"id", "kind", "text", "condition", "created_at",
                                     "created_by"}

    short = goal["id"][:13]
    assert short in ok(home, "careplan", "show", "--mrn", "T1001")
    ended = ok(home, "careplan", "end", "--id", goal["id"], "--reason", "Goal met")
    assert "Ended the goal 'HbA1c below 8% by March', by Avery Nurse." in ended
    data = js(home, "careplan", "show", "--mrn", "T1001")
    assert [i["kind"] for i in data["items"]] == ["problem", "intervention"]
    history = js(home, "careplan", "show", "--mrn", "T1001", "--history")["history"]
    assert [h["end_reason"] for h in history if h["ended_at"]] == ["Goal met"]
    assert "ended" in ok(home, "careplan", "show", "--mrn", "T1001", "--history")
    # A second item by the nurse is revising the plan, allowed without a caution.
    again = run_cli(home, "careplan", "add", "--mrn", "T1001", "--kind", "goal", "--text",
                    "Walk 20 minutes a day")
    assert again.returncode == 0 and again.stderr == ""


def test_review_by_the_default_clinician(record_home):
    ok(record_home, "careplan", "add", "--mrn", "T1001", "--kind", "problem", "--text", "x",
       "--as", PHYSICIAN)
    data = js(record_home, "careplan", "review", "--mrn", "T1001")
    assert data["reviewed_by"] == NURSE and data["substantial"] is False
    assert "(substantial" not in ok(record_home, "careplan", "show", "--mrn", "T1001")


@pytest.mark.parametrize(("args", "words"), [
    (["add", "--mrn", "T1001", "--kind", "diagnosis", "--text", "x"],
     "kind must be problem, goal or intervention"),
    (["add", "--mrn", "T1001", "--kind", "problem", "--text", "a\x1b[2Jb"],
     "control character"),
    (["add", "--mrn", "T1001", "--kind", "problem", "--text", "   "], "is empty"),
    (["add", "--mrn", "T1001", "--kind", "problem", "--text", "x" * 1001], "longer than"),
    (["add", "--mrn", "T1001", "--kind", "problem", "--text", "x", "--condition", "J45.909"],
     "patient condition add --mrn T1001 --icd10 J45.909"),
    (["add", "--mrn", "T1001", "--kind", "problem", "--text", "x", "--condition",
      "diabetes"], "not an ICD-10-CM code"),
    (["add", "--mrn", "T9999", "--kind", "goal", "--text", "x"], "No patient has MRN"),
    (["add", "--mrn", "T1001", "--kind", "goal", "--text", "x", "--as", "Nobody"],
     "no clinician 'Nobody'"),
    (["review", "--mrn", "T1001"], "has no care plan to review"),
    (["review", "--mrn", "T1001", "--as", "Nobody"], "no clinician 'Nobody'"),
    (["end", "--id", "nonsense", "--reason", "x"], "is not a care-plan item id"),
    (["end", "--id", "01234567-89ab-7def-8123-456789abcdef", "--reason", "x"],
     "There is no care-plan item"),
])
def test_bad_input_is_one_sentence_and_writes_nothing(record_home, args, words):
    before = db_digest(record_home)
    result = run_cli(record_home, "careplan", *args)
    assert result.returncode != 0
    message = result.stderr.strip()
    assert words in message, message
    assert len(message.splitlines()) == 1 and "Traceback" not in message
    assert db_digest(record_home) == before


def test_ending_needs_a_reason_and_only_once(record_home):
    item = js(record_home, "careplan", "add", "--mrn", "T1001", "--kind", "goal", "--text",
              "x", "--as", PHYSICIAN)
    before = db_digest(record_home)
    result = run_cli(record_home, "careplan", "end", "--id", item["id"], "--reason", " ")
    assert result.returncode == 1 and "reason is empty" in result.stderr
    assert db_digest(record_home) == before
    ok(record_home, "careplan", "end", "--id", item["id"][:13], "--reason", "done")
    before = db_digest(record_home)
    result = run_cli(record_home, "careplan", "end", "--id", item["id"], "--reason", "again")
    assert result.returncode == 1 and "already ended" in result.stderr
    assert db_digest(record_home) == before


def test_recording_under_a_colleague_s_name_needs_their_password(record_home):
    # The nurse works here (the default clinician); writing a goal under the physician's
    # name is his to prove, or anyone could record a practitioner's decisions.
    home = record_home
    add = ["careplan", "add", "--mrn", "T1001", "--kind", "goal", "--text", "A1c below 8%"]
    done = run_cli(home, *add, "--as", PHYSICIAN, input="not-his-password\n")
    assert done.returncode == 1 and "That is not Dr Blake Test's password" in done.stderr
    assert "Traceback" not in done.stderr
    assert not js(home, "careplan", "show", "--mrn", "T1001")["items"]
    mine = run_cli(home, *add, "--as", NURSE, input="")  # herself: no password asked
    assert mine.returncode == 0 and "Noridian" in mine.stderr  # the staff notice, not a refusal
    [item] = js(home, "careplan", "show", "--mrn", "T1001")["items"]
    assert item["created_by"] == NURSE
