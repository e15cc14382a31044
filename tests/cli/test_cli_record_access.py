"""Who changes a patient's record on the command line (issue 16, the README's table): clinical
staff, practitioners and administrators; the billing office is refused in one sentence
before anything is read or written. The acting person is the command's --as, else the person
signed in at the tray (the file the tray writes; this test process plays the running tray),
else the workstation's default clinician."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import col, select

from ccm_timer.services.context import AppContext, open_app
from ccm_timer.services.people import access, care_plan, clinicians
from ccm_timer.store.models import AuditEvent
from tests.fixtures.cli import db_digest, fails, ok, run_cli
from tests.fixtures.clinic import NURSE, add_people

OFFICE, ADMIN = "Morgan Billing", "Robin Admin"
REFUSAL = (f"{OFFICE} (billing office) may not change a patient's record: only clinical "
           "staff, practitioners or administrators may")
ALL = "cost-sharing,one-practitioner,right-to-stop"


@pytest.fixture
def clinic_here(ctx: AppContext, tmp_path: Path) -> dict[str, str]:
    """The nurse (default) and the physician, T1001 and T1002, the billing office and an
    administrator without a clinical role; one care-plan item on T1001; a one-row roster."""
    add_people(ctx, mrns=("T1001", "T1002"))
    clinicians.add(ctx, name=OFFICE, credential="CPC", role="office", duties=("billing",))
    clinicians.add(ctx, name=ADMIN, credential="Office", role="office", duties=("admin",))
    item = care_plan.add(ctx, "T1001", "goal", "A1c below 7.5", actor=NURSE)
    roster = tmp_path / "roster.csv"
    roster.write_text('mrn,name\nR7001,"Rostered, Ann"\n', encoding="utf-8")
    return {"item": str(item.id), "roster": str(roster)}


def _signed_in(ctx: AppContext, name: str | None) -> None:
    """As the tray does at sign-in (None: at sign-out); this process is its running tray."""
    access.remember_signed_in(ctx, access.named(ctx, name) if name else None)


def _changes(item: str, roster: str) -> list[list[str]]:
    """Every command that changes the record, each of which would succeed for a nurse."""
    return [
        ["patient", "add", "--mrn", "T1009", "--name", "Added, Ann"],
        ["patient", "set", "--mrn", "T1001", "--qmb", "yes"],
        ["patient", "practitioner", "--mrn", "T1002", "--practitioner", "Dr Blake Test"],
        ["patient", "consent", "--mrn", "T1002", "--program", "CCM", "--consent",
         "2026-10-01", "--method", "verbal", "--by", NURSE, "--disclosures", ALL],
        ["patient", "withdraw", "--mrn", "T1001", "--program", "CCM", "--on", "2026-11-02",
         "--reason", "Patient asked to stop"],
        ["patient", "condition", "add", "--mrn", "T1002", "--icd10", "J44.9"],
        ["patient", "import", roster],
        ["careplan", "add", "--mrn", "T1001", "--kind", "problem", "--text", "Diabetes"],
        ["careplan", "review", "--mrn", "T1001"],
        ["careplan", "end", "--id", item, "--reason", "met"],
    ]


def _actors(home: Path) -> list[tuple[str, str]]:
    ctx = open_app(str(home))
    try:
        with ctx.read() as session:
            return [(a, w) for a, w in session.exec(
                select(AuditEvent.action, AuditEvent.actor).order_by(col(AuditEvent.seq)))]
    finally:
        ctx.close()


def test_the_billing_office_signed_in_at_the_tray_changes_nothing(ctx, home, clinic_here):
    _signed_in(ctx, OFFICE)
    for args in _changes(clinic_here["item"], clinic_here["roster"]):
        fails(home, *args, match=REFUSAL)
    # Reading stays open to them: the list, the plan, a preview of the roster.
    assert "T1001" in ok(home, "patient", "list")
    assert "A1c below 7.5" in ok(home, "careplan", "show", "--mrn", "T1001")
    assert "1 good" in ok(home, "patient", "import", "--preview", clinic_here["roster"])


def test_as_names_the_billing_office_and_is_refused(ctx, home, clinic_here):
    for args in (["careplan", "add", "--mrn", "T1001", "--kind", "goal", "--text", "Walk"],
                 ["careplan", "review", "--mrn", "T1001"],
                 ["careplan", "end", "--id", clinic_here["item"], "--reason", "met"]):
        fails(home, *args, "--as", OFFICE, match=REFUSAL)


def test_a_nurse_changes_the_record_under_her_name(ctx, home, clinic_here):
    _signed_in(ctx, None)  # no tray: the default clinician, the nurse
    before = len(_actors(home))
    for args in _changes(clinic_here["item"], clinic_here["roster"]):
        result = run_cli(home, *args)
        assert result.returncode == 0, (args, result.stderr)
    done = _actors(home)[before:]
    changes = [a for a, _ in done if not a.startswith("signin")]
    assert {"patient.add", "patient.update", "patient.billing_practitioner",
            "enrollment.set", "enrollment.withdraw", "condition.add", "patient.import",
            "care_plan.add", "care_plan.review", "care_plan.end"} <= set(changes)
    assert {w for _, w in done} == {NURSE}  # the one acting, never "admin"


def test_an_administrator_at_the_tray_may_and_is_named(ctx, home, clinic_here):
    _signed_in(ctx, ADMIN)
    said = ok(home, "patient", "set", "--mrn", "T1001", "--qmb", "no")
    assert said.startswith("Updated T1001")
    assert _actors(home)[-1] == ("patient.update", ADMIN)


def test_nobody_acting_here_is_one_sentence(ctx, home, clinic_here):
    _signed_in(ctx, None)
    (home / "settings.toml").write_text(
        'clinic_timezone = "America/New_York"\nworkstation = "ws-test-1"\n'
        'default_clinician = ""\n', encoding="utf-8")
    before = db_digest(home)
    fails(home, "patient", "set", "--mrn", "T1001", "--qmb", "no",
          match="Nobody is signed in here to change the record")
    assert db_digest(home) == before
