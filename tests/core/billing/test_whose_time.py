"""Whose minutes count (issue 15, items 1-3): time is not pooled across practitioners, and a
patient without a billing practitioner has its practitioner codes held. Judged by the real
2026 rule file; the values compared are read from it, so a corrected payment moves the
expectation with it.

Sources of the rules tested:
- NGS Medicare, Care Management (99491/99437): "time only the billing practitioner spends";
  CMS CCM FAQ Q1: the billing practitioner's own time may count toward the staff codes
  (cms-billing-rules.md sections 2.1 and 3.4).
- CMS MLN909188 and the CY 2022 PFS final rule (99424/99425): PCM practitioner codes are
  personally performed; 99426/99427 are the clinical-staff codes (section 2.2).
- CGS Part B, Care Plan Oversight; Claims Processing Manual ch. 12 section 180 (G0181/G0182):
  at least 30 minutes by the billing physician personally; nurse time and time consulting
  the practice's own staff are not creditable (section 2.6).
"""

from __future__ import annotations

import tomllib
from datetime import date
from functools import cache
from pathlib import Path

import pytest

from ccm_timer.core.billing import (
    EnrollmentInput,
    PatientMonthResult,
    PatientMonthTotals,
    RuleSet,
    TimeBasis,
    evaluate_patient_month,
    parse_rules,
)
from ccm_timer.core.billing.inputs import OtherPractitionerTime
from ccm_timer.core.billing.tracks import evaluate_track

RULES_DIR = Path(__file__).resolve().parents[3] / "resources" / "billing_rules"
MONTH = "2026-10"
CONSENTED = date(2026, 1, 5)
MIN = 60


@cache
def rules() -> RuleSet:
    return parse_rules(tomllib.loads((RULES_DIR / "2026.toml").read_text("utf-8")))


def run(program: str, *, own: int = 0, staff: int = 0,
        others: tuple[OtherPractitionerTime, ...] = (), named: bool = True,
        unnamed_other: int = 0) -> PatientMonthResult:
    seconds: dict[tuple[str, str | None], int] = {}
    if own:
        seconds[("practitioner", program)] = own
    if staff:
        seconds[("clinical_staff", program)] = staff
    if unnamed_other:
        seconds[("other_practitioner", program)] = unnamed_other
    totals = PatientMonthTotals(seconds, others=others, before_consent={},
                                billing_practitioner=named)
    return evaluate_patient_month(totals, [EnrollmentInput(program, CONSENTED)], None, MONTH,
                                  rules())


def dr_b(program: str, minutes: int, as_staff: bool = False,
         why: str = "Dr B is not recorded as working incident to the billing practitioner",
         ) -> OtherPractitionerTime:
    return OtherPractitionerTime("Dr B", program, minutes * MIN, as_staff, why)


def lines(result: PatientMonthResult) -> list[tuple[str, int, bool]]:
    return [(x.code, x.units, x.held) for x in result.lines]


def best_of(program: str, pools: dict[TimeBasis, int]) -> list[tuple[str, int, bool]]:
    """What the rule file gives: each track of the program on the pool its time basis may
    count, the one worth most (a staff track on a tie), as billable lines."""
    outcomes = [evaluate_track(t, pools[t.time]) for t in rules().tracks_by_program[program]
                if not t.requires]
    chosen = max(outcomes, key=lambda o: (round(o.value_usd * 100),
                                          o.track.time is TimeBasis.STAFF))
    found = [(chosen.track.base.code, 1, False)] if chosen.base_units else []
    if chosen.addon_units and chosen.track.addon is not None:
        found.append((chosen.track.addon.code, chosen.addon_units, False))
    return found


def warning(result: PatientMonthResult, code: str) -> str:
    [message] = [w.message for w in result.warnings if w.code == code]
    return message


def test_dr_a_50_and_dr_b_45_bill_on_dr_a_s_time_only():
    # NGS Medicare: 99491/99437 count "time only the billing practitioner spends". Pooled,
    # 95 minutes made 99491 + 99437 x2; Dr A's own 50 minutes give 99491 alone on that track
    # (99437 needs 60), and the staff track counts the same 50 (CMS FAQ Q1): the better wins.
    result = run("CCM", own=50 * MIN, others=(dr_b("CCM", 45),))
    assert lines(result) == best_of("CCM", {TimeBasis.STAFF: 50 * MIN,
                                           TimeBasis.PRACTITIONER: 50 * MIN})
    assert "99437" not in {x.code for x in result.lines}
    assert sum(x.seconds for x in result.lines) <= 50 * MIN
    practitioner_track = [t for t in rules().tracks_by_program["CCM"]
                          if t.time is TimeBasis.PRACTITIONER][0]
    assert evaluate_track(practitioner_track, 95 * MIN).addon_units == 2  # what pooling gave
    [choice] = result.tracks
    pools = {choice.chosen: choice.chosen_seconds, choice.alternative: choice.alternative_seconds}
    assert pools[practitioner_track.name] == 50 * MIN  # Dr B's 45 never reach it
    assert dict(result.seconds_by_role) == {"clinical_staff": 0, "practitioner": 50 * MIN,
                                            "other_practitioner": 45 * MIN}
    assert result.seconds_by_program == {"CCM": 95 * MIN}  # all of it shown
    assert warning(result, "other_practitioner") == (
        "Dr B's 45 min of CCM time are not the billing practitioner's own time; they are not "
        "counted toward 99491/99437, nor toward 99490/99439 or 99487/99489 as clinical-staff "
        "time (Dr B is not recorded as working incident to the billing practitioner).")
    data = result.to_dict()
    assert data["other_practitioners"] == [{"name": "Dr B", "program": "CCM",
                                            "seconds": 2700, "minutes": 45,
                                            "counted_as_staff": False}]
    assert data["minutes"]["by_role"]["other_practitioner"] == 45


def test_dr_b_incident_to_counts_as_staff_time_never_as_dr_a_s_own():
    # General supervision (incident to the billing practitioner, the clinic's setting): Dr B's
    # minutes may count as clinical-staff time toward 99490/99439; 99491/99437 still see 50.
    why = "Dr B works incident to the billing practitioner"
    result = run("CCM", own=50 * MIN, others=(dr_b("CCM", 45, True, why),))
    assert lines(result) == best_of("CCM", {TimeBasis.STAFF: 95 * MIN,
                                           TimeBasis.PRACTITIONER: 50 * MIN})
    assert lines(result)[0][0] == "99490"  # 95 staff-track minutes beat 99491 on 50
    assert "99437" not in {x.code for x in result.lines}
    assert warning(result, "other_practitioner") == (
        "Dr B's 45 min of CCM time are not the billing practitioner's own time; they are not "
        "counted toward 99491/99437, they count as clinical-staff time toward 99490/99439 or "
        "99487/99489 (Dr B works incident to the billing practitioner).")


def test_dr_b_alone_35_minutes_earns_no_99491():
    # NGS Medicare: Dr B is not the billing practitioner, so 35 minutes of Dr B are no 99491.
    result = run("CCM", others=(dr_b("CCM", 35),))
    assert result.lines == ()
    assert "not the billing practitioner's own time" in warning(result, "other_practitioner")
    # Counted as staff time (incident to), they are 35 staff minutes: 99490, still no 99491.
    result = run("CCM", others=(dr_b("CCM", 35, True, "incident to"),))
    assert lines(result) == [("99490", 1, False)]


def test_g0181_is_not_made_from_two_physicians_minutes():
    # CGS / Claims Processing Manual ch. 12 section 180: at least 30 minutes by the billing
    # physician personally. 20 minutes of theirs and 15 of another physician's are 20.
    for as_staff in (False, True):  # CPO has no staff-time code to count them toward
        result = run("CPO_HOME_HEALTH", own=20 * MIN,
                     others=(dr_b("CPO_HOME_HEALTH", 15, as_staff, ""),))
        assert result.lines == ()
        assert warning(result, "other_practitioner") == (
            "Dr B's 15 min of care plan oversight (home health) time are not the billing "
            "practitioner's own time; they are not counted toward G0181.")  # plain words
        assert [(n.code, n.seconds_needed) for n in result.next] == [("G0181", 10 * MIN)]
    assert lines(run("CPO_HOME_HEALTH", own=30 * MIN)) == [("G0181", 1, False)]


def test_pcm_practitioner_codes_count_the_billing_practitioner_only():
    # CMS MLN909188: 99424/99425 are the practitioner's own time; 99426/99427 staff time.
    result = run("PCM", own=25 * MIN, others=(dr_b("PCM", 40),))
    assert result.lines == ()  # 25 minutes: neither 99424 (30) nor 99426 (30)
    assert "toward 99424/99425, nor toward 99426/99427" in warning(result, "other_practitioner")
    result = run("PCM", own=25 * MIN, others=(dr_b("PCM", 40, True, "incident to"),))
    assert lines(result) == best_of("PCM", {TimeBasis.STAFF: 65 * MIN,
                                           TimeBasis.PRACTITIONER: 25 * MIN})
    assert not {"99424", "99425"} & {x.code for x in result.lines}


def test_an_unnamed_other_practitioner_key_counts_toward_nothing():
    # A caller that only knows the role (no name) gets the same rule, in general words.
    result = run("CCM", own=50 * MIN, unnamed_other=45 * MIN)
    assert lines(result) == best_of("CCM", {TimeBasis.STAFF: 50 * MIN,
                                           TimeBasis.PRACTITIONER: 50 * MIN})
    assert warning(result, "other_practitioner").startswith(
        "Another practitioner's 45 min of CCM time are not the billing practitioner's own")


def test_no_billing_practitioner_named_holds_the_practitioner_codes():
    # Whose own time it is cannot be told without a billing practitioner (NGS Medicare).
    result = run("CCM", own=35 * MIN, named=False)
    assert lines(result) == [("99491", 1, True)]
    assert result.lines[0].hold_reason == "no billing practitioner is named for the patient"
    assert warning(result, "no_billing_practitioner") == (
        "35 min of CCM practitioner time was logged, but the patient has no billing "
        "practitioner named, so whether it is the billing practitioner's own time cannot be "
        "told: 1 claim line is held until one is named with `ccm-timer patient practitioner "
        "--mrn MRN --practitioner NAME`.")
    # Named, the same minutes bill; staff time alone needs no billing practitioner here.
    assert lines(run("CCM", own=35 * MIN)) == [("99491", 1, False)]
    result = run("CCM", staff=25 * MIN, named=False)
    assert lines(result) == [("99490", 1, False)]
    assert "no_billing_practitioner" not in {w.code for w in result.warnings}


@pytest.mark.parametrize("role", ["nurse", "billing_practitioner"])
def test_an_unknown_role_is_refused(role):
    with pytest.raises(ValueError, match="unknown role"):
        evaluate_patient_month(PatientMonthTotals({(role, "CCM"): 60}), [], None, MONTH,
                               rules())
    with pytest.raises(ValueError, match="negative"):
        run("CCM", others=(OtherPractitionerTime("Dr B", "CCM", -1),))
