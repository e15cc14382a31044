"""Attested actions on the command line (issue 16, point 4): `approve`, `export`, `entry
edit|void` and `patient condition remove` with `--as NAME`, the password read from the
prompt or one line of standard input, never an argument. Who may is refused in one
sentence; a wrong password changes nothing but the count of wrong ones (signin.fail)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from ccm_timer.services.context import open_app
from ccm_timer.services.people import clinicians
from ccm_timer.services.timing import entries
from ccm_timer.store.models import AuditEvent, Export, MonthApproval
from tests.fixtures.cli import ok, run_cli
from tests.fixtures.clinic import (
    NURSE,
    PASSWORD,
    PHYSICIAN,
    T0,
    add_people,
    give_passwords,
    set_billing_practitioner,
)

OTHER, AIDE, OFFICE = "Dr Casey Other", "Casey Aide", "Morgan Billing"
WRONG = "Not-the-password-16\n"


@pytest.fixture
def setup(home: Path, ctx, clock) -> dict[str, str]:
    """The nurse (default), Dr Blake Test (T1001's billing practitioner), a second
    practitioner, an aide and the billing office, all with the synthetic password; 25 nurse
    minutes on T1001 and T1002 and 10 of the aide's on T1001. Returns the entry ids."""
    add_people(ctx, mrns=("T1001", "T1002"), born=("T1001",))
    clinicians.add(ctx, name=OTHER, credential="NP", role="practitioner")
    clinicians.add(ctx, name=AIDE, credential="MA", role="clinical_staff")
    clinicians.add(ctx, name=OFFICE, credential="CPC", role="office", duties=("billing",))
    give_passwords(ctx, (OTHER, AIDE, OFFICE))
    set_billing_practitioner(ctx, "T1001", PHYSICIAN)
    clock.advance(timedelta(hours=3))
    made = {}
    for key, mrn, who, start in (("nurse", "T1001", None, T0),
                                 ("jose", "T1002", None, T0 + timedelta(minutes=30)),
                                 ("aide", "T1001", AIDE, T0)):
        made[key] = str(entries.add_manual(
            ctx, patient_mrn=mrn, category_slug="phone-call", start=start,
            end=start + timedelta(minutes=10 if who else 25), clinician=who).id)
    return made


def _state(home: Path) -> dict:
    ctx = open_app(str(home))
    try:
        with ctx.read() as session:
            events = list(session.exec(select(AuditEvent)))
            return {"approvals": list(session.exec(select(MonthApproval))),
                    "exports": list(session.exec(select(Export))),
                    "events": events, "actions": [e.action for e in events]}
    finally:
        ctx.close()


def _refused(home: Path, *args: str, says: str, input: str | None = None) -> None:
    result = run_cli(home, *args, input=input)
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert says in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_a_nurse_can_neither_approve_nor_export(home, setup):
    _refused(home, "approve", "--month", "2026-11", says="Avery Nurse (clinical staff) may "
             "not approve a month for billing: only practitioners may")
    _refused(home, "export", "--month", "2026-11", "--format", "csv", "--as", NURSE,
             says="may not export billing files: only practitioners or the billing office")
    state = _state(home)
    assert state["approvals"] == [] and state["exports"] == []
    assert not (home / "exports").exists()
    # The billing office exports but never approves.
    _refused(home, "approve", "--month", "2026-11", "--as", OFFICE,
             says="Morgan Billing (billing office) may not approve")


def test_a_wrong_password_changes_nothing(home, setup):
    before = _state(home)
    cases = (
        (("approve", "--month", "2026-11", "--as", PHYSICIAN), PHYSICIAN),
        (("export", "--month", "2026-11", "--format", "csv", "--draft"), None),  # no password
        (("export", "--month", "2026-11", "--format", "json", "--as", OFFICE), OFFICE),
        (("entry", "edit", setup["nurse"], "--note", "x", "--reason", "typo"), NURSE),
        (("entry", "void", setup["aide"], "--reason", "twice", "--as", AIDE), AIDE),
        (("patient", "condition", "remove", "--mrn", "T1001", "--icd10", "I10", "--reason",
          "resolved", "--as", OTHER), OTHER),
    )
    for args, who in cases:
        if who is None:
            assert run_cli(home, *args, input=WRONG).returncode == 0  # a draft asks nothing
            continue
        _refused(home, *args, input=WRONG, says=f"That is not {who}'s password; nothing was "
                 "changed.")
    after = _state(home)
    assert after["approvals"] == [] and [e.format for e in after["exports"]] == ["csv"]
    assert len(list((home / "exports").iterdir())) == 1  # the draft's file only
    new = after["actions"][len(before["actions"]):]
    assert [a for a in new if not a.startswith("read.")] == [
        "signin.fail", "export.record", "export.content", "signin.fail", "signin.fail",
        "signin.fail", "signin.fail"]
    failed = [e for e in after["events"][len(before["events"]):] if e.action == "signin.fail"]
    assert [e.actor for e in failed] == [PHYSICIAN, OFFICE, NURSE, AIDE, OTHER]
    assert [json.loads(e.after)["action"] for e in failed] == [
        "month.approve", "export", "entry.correct", "entry.correct", "condition.remove"]
    history = json.loads(ok(home, "entry", "history", setup["nurse"], "--json"))
    assert [v["version"] for v in history] == [1]
    conditions = json.loads(ok(home, "patient", "condition", "list", "--mrn", "T1001",
                               "--json"))
    assert "I10" in [c["code"] for c in conditions]


def test_a_practitioner_approves_only_their_own_patients(home, setup):
    _refused(home, "approve", "--month", "2026-11", "--patient", "T1001", "--as", OTHER,
             says=f"{OTHER} is not the billing practitioner of patient T1001; {PHYSICIAN} "
             "approves that patient's month.")
    assert _state(home)["approvals"] == []
    said = ok(home, "approve", "--month", "2026-11", "--as", OTHER)
    assert said == (f"Approved 1 patient month(s) of 2026-11 as {OTHER}; 1 left for "
                    f"{PHYSICIAN}.\n")
    # T1002 has no billing practitioner on file: either practitioner may approve it.
    assert ok(home, "approve", "--month", "2026-11", "--as", PHYSICIAN) == (
        f"Approved 2 patient month(s) of 2026-11 as {PHYSICIAN}.\n")
    assert [a.approved_by for a in _state(home)["approvals"]] == [OTHER, PHYSICIAN, PHYSICIAN]


def test_a_nurse_cannot_correct_a_colleagues_entry(home, setup):
    _refused(home, "entry", "edit", setup["aide"], "--note", "x", "--reason", "typo",
             says="Avery Nurse may correct only their own entries; this one is Casey Aide's")
    _refused(home, "entry", "void", setup["aide"], "--reason", "twice", "--as", NURSE,
             says="only their own entries")
    # --by, the form before sign-in, is still understood (hidden from the help).
    voided = json.loads(ok(home, "entry", "void", setup["aide"], "--reason", "twice",
                           "--by", AIDE, "--json"))
    assert voided["voided"] and voided["version"] == 2
    # The billing practitioner corrects any entry on his patient.
    edited = json.loads(ok(home, "entry", "edit", setup["nurse"], "--note", "BP log",
                           "--reason", "wording", "--as", PHYSICIAN, "--json"))
    assert (edited["version"], edited["clinician"]) == (2, NURSE)
    events = [e for e in _state(home)["events"] if e.action in ("entry.edit", "entry.void")]
    assert [e.actor for e in events] == [AIDE, PHYSICIAN]


def test_no_password_appears_in_any_argument_output_file_or_audit_event(home, setup):
    outputs = []
    for args in (("approve", "--month", "2026-11", "--as", PHYSICIAN),
                 ("export", "--month", "2026-11", "--format", "csv", "--as", OFFICE),
                 ("entry", "void", setup["jose"], "--reason", "twice"),
                 ("patient", "condition", "remove", "--mrn", "T1001", "--icd10", "I10",
                  "--reason", "resolved", "--as", NURSE),
                 ("approve", "--month", "2026-11", "--as", OTHER)):  # T1002 voided: nothing
        assert PASSWORD not in " ".join(args)
        result = run_cli(home, *args)
        outputs += [result.stdout, result.stderr]
    assert PASSWORD not in "".join(outputs)
    for command in ("approve", "export", "entry edit", "entry void",
                    "patient condition remove"):
        shown = ok(home, *command.split(), "--help")
        assert "password is asked" in " ".join(shown.split()) and "--password" not in shown
    secret = PASSWORD.encode()
    for path in home.rglob("*"):  # the settings file, the exports, any log (tray.log)
        if path.is_file():
            assert secret not in path.read_bytes(), path
    state = _state(home)
    assert {"attest", "month.approve", "export.content", "entry.void",
            "condition.remove"} <= set(state["actions"])
    for event in state["events"]:
        assert PASSWORD not in f"{event.actor} {event.before} {event.after}"
