"""`ccm-timer month-flag set|show` through the real command (issue 15, item 5): the flags
complex CCM and RPM need, set and cleared from the command line with the tray's audit event;
the report's codes they open; who may attest them; bad input one sentence, nothing written."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from ccm_timer.core.clock import ManualClock
from ccm_timer.services.context import open_app
from ccm_timer.services.month import month_flags
from ccm_timer.services.people import access, care_plan, clinicians, conditions
from ccm_timer.services.security import audit
from ccm_timer.services.timing import entries
from ccm_timer.store.models import AuditEvent, Patient
from tests.fixtures.cli import db_digest, fails, js, ok
from tests.fixtures.clinic import NURSE, PHYSICIAN, add_people, set_billing_practitioner

MONTH = "2026-11"
OCTOBER = datetime(2026, 10, 5, 14, 0, tzinfo=UTC)
REVIEWED = datetime(2026, 11, 9, 15, 0, tzinfo=UTC)
AFTER = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # the month is over
OTHER = "Dr Casey Other"  # a practitioner who is not T1001's billing practitioner


def _seed(home, *, revise_in_november: bool = False, billing: bool = False) -> None:
    """The clinic (nurse default, physician), T1001 with its chronic conditions and a care
    plan made and plainly reviewed in October, 60 minutes of nurse time on 4 November;
    T1003 (RPM) with 25 minutes of RPM work. `revise_in_november`: the physician's
    substantial review on 9 November; `billing`: T1001 billed by the physician, and a
    second practitioner on staff."""
    clock = ManualClock(OCTOBER)
    ctx = open_app(str(home), clock=clock)
    try:
        add_people(ctx)
        conditions.add(ctx, "T1003", "I10", date(2024, 3, 1))
        for kind, text, code in (("problem", "Type 2 diabetes, A1c above goal", "E11.9"),
                                 ("goal", "A1c below 8% by March 2027", "E11.9")):
            care_plan.add(ctx, "T1001", kind, text, condition=code, actor=PHYSICIAN)
        care_plan.review(ctx, "T1001", as_name=PHYSICIAN, substantial=False)
        if billing:
            clinicians.add(ctx, name=OTHER, credential="NP", role="practitioner")
            set_billing_practitioner(ctx, "T1001", PHYSICIAN)
        if revise_in_november:
            clock.advance(REVIEWED - clock.now())
            care_plan.review(ctx, "T1001", as_name=PHYSICIAN, substantial=True)
        clock.advance(AFTER - clock.now())
        start = datetime(2026, 11, 4, 15, 0, tzinfo=UTC)
        entries.add_manual(ctx, patient_mrn="T1001", category_slug="care-plan", start=start,
                           end=start + timedelta(minutes=60))
        later = start + timedelta(hours=2)
        entries.add_manual(ctx, patient_mrn="T1003", category_slug="phone-call", start=later,
                           end=later + timedelta(minutes=25), program="RPM")
    finally:
        ctx.close()


@pytest.fixture
def flag_home(home):
    _seed(home)
    return home


def _events(home) -> list[AuditEvent]:
    ctx = open_app(str(home), clock=ManualClock(AFTER))
    try:
        with ctx.read() as session:
            assert audit.verify(session).ok
            return list(session.exec(select(AuditEvent).where(
                AuditEvent.action == "patient_month.set").order_by(AuditEvent.seq)))
    finally:
        ctx.close()


def _patient(home, mrn: str) -> dict:
    report = js(home, "report", "--month", MONTH, "--patient", mrn)
    (patient,) = report["patients"]
    return patient


def _lines(patient: dict) -> list[tuple[str, int, bool]]:
    return [(x["code"], x["units"], x["held"]) for x in patient["lines"]]


def _complex_available(patient: dict) -> bool:
    """Whether complex CCM was a track the engine weighed (chosen or the alternative)."""
    return any("ccm_complex" in (t["chosen"], t.get("alternative"))
               for t in patient["tracks"])


def test_set_off_and_show_in_words_and_json(flag_home):
    home = flag_home
    assert js(home, "month-flag", "show", "--mrn", "T1001", "--month", MONTH) == {
        "mrn": "T1001", "month": MONTH, "complex_mdm": False, "care_plan_revised": False,
        "interactive_contact": False}
    said = ok(home, "month-flag", "set", "--mrn", "T1001", "--month", MONTH, "--flag",
              "complex-mdm", "--as", PHYSICIAN)
    assert said == f"T1001 {MONTH}: complex-mdm on, attested by {PHYSICIAN}.\n"
    before = db_digest(home)  # the same again changes nothing and writes nothing
    assert "already on; nothing written" in ok(
        home, "month-flag", "set", "--mrn", "T1001", "--month", MONTH, "--flag",
        "complex-mdm", "--as", PHYSICIAN)
    assert db_digest(home) == before

    both = js(home, "month-flag", "set", "--mrn", "T1001", "--month", MONTH, "--flag",
              "care-plan-revised", "--flag", "interactive-contact")
    assert both == {"mrn": "T1001", "month": MONTH, "complex_mdm": True,
                    "care_plan_revised": True, "interactive_contact": True,
                    "changed": ["care_plan_revised", "interactive_contact"], "by": NURSE}
    shown = ok(home, "month-flag", "show", "--mrn", "T1001", "--month", MONTH)
    assert "complex-mdm          on   moderate or high complexity medical decision" in shown
    assert "interactive-contact  on" in shown

    off = ok(home, "month-flag", "set", "--mrn", "T1001", "--month", MONTH, "--flag",
             "interactive-contact", "--off")
    assert off == f"T1001 {MONTH}: interactive-contact off, cleared by {NURSE}.\n"
    shown = js(home, "month-flag", "show", "--mrn", "T1001", "--month", MONTH)
    assert (shown["complex_mdm"], shown["care_plan_revised"], shown["interactive_contact"]) == (
        True, True, False)
    assert "interactive-contact  off" in ok(home, "month-flag", "show", "--mrn", "T1001",
                                             "--month", MONTH)
    # Another month is its own.
    assert js(home, "month-flag", "show", "--mrn", "T1001", "--month", "2026-10")[
        "complex_mdm"] is False


def test_the_audit_event_is_the_trays(flag_home):
    home = flag_home
    ok(home, "month-flag", "set", "--mrn", "T1001", "--month", MONTH, "--flag",
       "complex-mdm", "--as", PHYSICIAN)
    ok(home, "month-flag", "set", "--mrn", "T1001", "--month", MONTH, "--flag",
       "complex-mdm", "--off", "--as", PHYSICIAN)
    # The tray's patient view calls the service so (ui/overview/patient_window.set_flag).
    ctx = open_app(str(home), clock=ManualClock(AFTER))
    try:
        month_flags.set_flags(ctx, "T1002", MONTH, complex_mdm=True,
                              by=access.named(ctx, PHYSICIAN))  # signed in at the tray
        with ctx.read() as session:
            ids = {p.mrn: str(p.id) for p in session.exec(select(Patient))}
    finally:
        ctx.close()
    cli_on, cli_off, tray = _events(home)
    assert [e.actor for e in (cli_on, cli_off, tray)] == [PHYSICIAN, PHYSICIAN, PHYSICIAN]
    assert (cli_on.entity, cli_on.entity_id) == ("patient", ids["T1001"])
    assert (tray.entity, tray.entity_id) == ("patient", ids["T1002"])
    flags_on = {"month": MONTH, "complex_mdm": True, "care_plan_revised": False,
                "interactive_contact": False}
    assert json.loads(cli_on.after) == json.loads(tray.after) == flags_on
    assert json.loads(cli_on.before) == json.loads(tray.before) == {**flags_on,
                                                                     "complex_mdm": False}
    assert json.loads(cli_off.before) == flags_on and json.loads(cli_off.after)[
        "complex_mdm"] is False
    assert "T1001" not in cli_on.after + (cli_on.before or "")  # the id names the patient


@pytest.mark.parametrize("revised_by", ["flag", "substantial review"])
def test_complex_ccm_opens_with_the_practitioners_mdm_and_a_revised_care_plan(home,
                                                                               revised_by):
    """99487 needs 60 minutes, moderate or high MDM and a care plan established or
    substantially revised (CMS MLN909188, reference 2.1); the month flag or a substantial
    review in the month (issue 14) is the revision."""
    _seed(home, revise_in_november=revised_by != "flag")
    before = _patient(home, "T1001")
    assert _lines(before) == [("99490", 1, False), ("99439", 2, False)]
    assert not _complex_available(before)

    ok(home, "month-flag", "set", "--mrn", "T1001", "--month", MONTH, "--flag",
       "complex-mdm", "--as", PHYSICIAN)
    if revised_by == "flag":  # the October plan was not revised in November: not yet
        assert not _complex_available(_patient(home, "T1001"))
        ok(home, "month-flag", "set", "--mrn", "T1001", "--month", MONTH, "--flag",
           "care-plan-revised")
    at_60 = _patient(home, "T1001")
    # At 60 minutes 99487 is there, worth $144 beside the staff track's 99490 + 99439 x2,
    # which the engine keeps for paying more; 30 minutes more and complex CCM is billed.
    assert _complex_available(at_60)
    ok(home, "entry", "add", "--patient", "T1001", "--category", "phone-call", "--start",
       "2026-11-05T10:00", "--end", "2026-11-05T10:30")
    assert _lines(_patient(home, "T1001")) == [("99487", 1, False), ("99489", 1, False)]


def test_rpm_99457_is_billable_after_the_interactive_contact(flag_home):
    """99457 needs a real-time interactive communication in the month (CY 2021 PFS final
    rule; reference 2.4): held without the flag, billed with it."""
    assert _lines(_patient(flag_home, "T1003")) == [("99457", 1, True)]
    ok(flag_home, "month-flag", "set", "--mrn", "T1003", "--month", MONTH, "--flag",
       "interactive-contact")  # the nurse made the call: clinical staff may attest it
    assert _lines(_patient(flag_home, "T1003")) == [("99457", 1, False)]


SET = ("month-flag", "set", "--mrn", "T1001", "--month", MONTH)


@pytest.mark.parametrize(("args", "words", "code"), [
    ((*SET, "--flag", "complex"), "there is no month flag 'complex'", 2),
    (("month-flag", "set", "--mrn", "T1001", "--month", "2026-13", "--flag",
      "complex-mdm", "--as", PHYSICIAN), "not a real month", 2),
    (("month-flag", "set", "--mrn", "T1001", "--month", "Nov 2026", "--flag",
      "complex-mdm", "--as", PHYSICIAN), "YYYY-MM", 2),
    (("month-flag", "set", "--mrn", "T9999", "--month", MONTH, "--flag",
      "interactive-contact"), "No patient has MRN 'T9999'", 1),
    (("month-flag", "show", "--mrn", "T9999", "--month", MONTH), "No patient has MRN", 1),
    ((*SET, "--flag", "care-plan-revised", "--as", "Nobody"), "no clinician 'Nobody'", 1),
    ((*SET, "--month", MONTH), "required: --flag", 2),
    # Complex MDM is the billing practitioner's decision making (CMS MLN909188): clinical
    # staff may neither attest it nor take it back.
    ((*SET, "--flag", "complex-mdm"), f"{NURSE} is clinical staff", 1),
    ((*SET, "--flag", "complex-mdm", "--off", "--as", NURSE), "clinical staff", 1),
    ((*SET, "--flag", "care-plan-revised", "--flag", "complex-mdm"), "clinical staff", 1),
])
def test_bad_input_is_one_sentence_and_writes_nothing(flag_home, args, words, code):
    fails(flag_home, *args, match=words, code=code)
    assert _events(flag_home) == []


def test_complex_mdm_is_the_billing_practitioners_own(home):
    _seed(home, billing=True)
    fails(home, *SET, "--flag", "complex-mdm", "--as", OTHER,
          match=f"T1001's billing practitioner is {PHYSICIAN}, not {OTHER}")
    assert _events(home) == []
    # Another practitioner may still attest what is not decision making.
    ok(home, *SET, "--flag", "care-plan-revised", "--as", OTHER)
    ok(home, *SET, "--flag", "complex-mdm", "--as", PHYSICIAN)
    assert [e.actor for e in _events(home)] == [OTHER, PHYSICIAN]
