"""The one table of who may do what (issue 16, point 2): each duty's actions, which of them
need the person's password at that moment, and the sentences a refusal names them in."""

from __future__ import annotations

import pytest

from ccm_timer.core.access import GRANTED, RULES, WHAT, Action, Duty, may, table_rows, who_may

STAFF = frozenset({Duty.CLINICAL_STAFF})
DOCTOR = frozenset({Duty.PRACTITIONER})
OFFICE = frozenset({Duty.BILLING})
ADMIN = frozenset({Duty.ADMIN})


@pytest.mark.parametrize(("duties", "allowed"), [
    (STAFF, {Action.TIME, Action.CORRECT_ENTRY, Action.RECORD, Action.REMOVE_CONDITION,
             Action.REPORT}),
    (DOCTOR, {Action.TIME, Action.CORRECT_ENTRY, Action.RECORD, Action.REMOVE_CONDITION,
              Action.MONTH_FLAGS, Action.APPROVE, Action.EXPORT, Action.REPORT}),
    (OFFICE, {Action.EXPORT, Action.REPORT}),
    (ADMIN, {Action.RECORD, Action.REPORT, Action.AUDIT, Action.PEOPLE, Action.SETTINGS}),
])
def test_each_duty_may_do_exactly_its_rows(duties, allowed) -> None:
    assert {a for a in Action if may(duties, a)} == allowed


def test_the_issue_s_refusals() -> None:
    # A nurse neither approves nor exports; the billing office exports but never approves;
    # only administrators manage people; nobody without a clinical role times.
    assert not may(STAFF, Action.APPROVE) and not may(STAFF, Action.EXPORT)
    assert may(OFFICE, Action.EXPORT) and not may(OFFICE, Action.APPROVE)
    assert {d for d in Duty if may(frozenset({d}), Action.PEOPLE)} == {Duty.ADMIN}
    assert not may(OFFICE | ADMIN, Action.TIME)
    assert not may(frozenset(), Action.REPORT)  # no duty at all: nothing


def test_duties_add_up() -> None:
    both = STAFF | ADMIN
    assert may(both, Action.TIME) and may(both, Action.PEOPLE)
    assert not may(both, Action.APPROVE)


def test_attested_actions_are_the_issue_s() -> None:
    # Point 4: approve, edit or void an entry, remove a condition, export billing files.
    assert {a for a, r in RULES.items() if r.attested} == {
        Action.APPROVE, Action.CORRECT_ENTRY, Action.REMOVE_CONDITION, Action.EXPORT}
    assert not RULES[Action.TIME].attested  # point 5: timing never asks


def test_every_action_has_a_rule_and_words() -> None:
    assert set(RULES) == set(Action) == set(WHAT)
    assert set(GRANTED) == {Duty.BILLING, Duty.ADMIN}


def test_who_may_names_them_for_a_sentence() -> None:
    assert who_may(Action.APPROVE) == "practitioners"
    assert who_may(Action.EXPORT) == "practitioners or the billing office"
    assert who_may(Action.TIME) == "clinical staff or practitioners"
    assert who_may(Action.REPORT) == ("clinical staff, practitioners, the billing office or "
                                      "administrators")


def test_table_rows_follow_the_rules() -> None:
    rows = table_rows()
    assert len(rows) == len(RULES)
    assert rows[0] == ("Time their work", "clinical staff, practitioner", "no",
                       "their own time only")
    approve = dict((r[0], r) for r in rows)["Approve a month for billing"]
    assert approve == ("Approve a month for billing", "practitioner", "yes",
                       "patients they are the billing practitioner of")
    for row in rows:
        assert all(isinstance(cell, str) and "|" not in cell for cell in row)  # a table cell
