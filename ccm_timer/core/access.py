"""Who may do what: the one table of duties and actions (README, "Who may do what").

A person's duties are their clinical role (clinical staff or practitioner, which also
decides which codes their minutes feed) plus what the clinic gave them besides (billing
office, administrator). An attested action is one the acting person proves at that moment
with their own credential: an approval is the billing practitioner's attestation, and a
corrected entry or a billing file is evidence someone answers for (HIPAA 164.312(d)).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Duty(StrEnum):
    CLINICAL_STAFF = "clinical_staff"
    PRACTITIONER = "practitioner"
    BILLING = "billing"  # the billing office: reports, exports, month close
    ADMIN = "admin"  # people, credentials, targets and settings


# The duties the clinic grants beside the clinical role (stored with the person).
GRANTED = (Duty.BILLING, Duty.ADMIN)

DUTY_NAMES = {
    Duty.CLINICAL_STAFF: "clinical staff",
    Duty.PRACTITIONER: "practitioner",
    Duty.BILLING: "billing office",
    Duty.ADMIN: "administrator",
}


class Action(StrEnum):
    TIME = "time"  # start, stop, pause, add one's own time
    CORRECT_ENTRY = "entry.correct"  # edit or void an entry
    RECORD = "record.change"  # patients, enrolment, consent, conditions, care plan
    REMOVE_CONDITION = "condition.remove"
    # Complex medical decision making: the practitioner's judgement. The month's other flags
    # (care plan revised, interactive contact) are record changes (RECORD).
    MONTH_FLAGS = "month.flags"
    APPROVE = "month.approve"
    EXPORT = "export"  # billing files: export, amend, requeue; the month's close
    REPORT = "report"  # month report, worklist, notes
    AUDIT = "audit.view"
    PEOPLE = "people.manage"  # add people, grant duties, reset a credential
    SETTINGS = "settings.manage"  # targets, settings, bundle trust


@dataclass(frozen=True)
class Rule:
    who: frozenset[Duty]
    attested: bool  # the acting person's credential at that moment
    scope: str  # what the table says beyond the duty (their own entries, their patients)


_CLINICAL = frozenset({Duty.CLINICAL_STAFF, Duty.PRACTITIONER})
_ANYONE = frozenset(Duty)

RULES: dict[Action, Rule] = {
    Action.TIME: Rule(_CLINICAL, False, "their own time only"),
    Action.CORRECT_ENTRY: Rule(_CLINICAL, True, "their own entries; a practitioner also "
                               "those on patients they bill for"),
    Action.RECORD: Rule(_CLINICAL | {Duty.ADMIN}, False, ""),
    Action.REMOVE_CONDITION: Rule(_CLINICAL, True, ""),
    Action.MONTH_FLAGS: Rule(frozenset({Duty.PRACTITIONER}), False,
                             "patients they are the billing practitioner of, when one is set"),
    Action.APPROVE: Rule(frozenset({Duty.PRACTITIONER}), True,
                         "patients they are the billing practitioner of"),
    Action.EXPORT: Rule(frozenset({Duty.BILLING, Duty.PRACTITIONER}), True, ""),
    Action.REPORT: Rule(_ANYONE, False, "every read is audited"),
    Action.AUDIT: Rule(frozenset({Duty.ADMIN}), False, ""),
    Action.PEOPLE: Rule(frozenset({Duty.ADMIN}), False, "never reads a credential"),
    Action.SETTINGS: Rule(frozenset({Duty.ADMIN}), False, ""),
}

WHAT = {
    Action.TIME: "time their work",
    Action.CORRECT_ENTRY: "edit or void an entry",
    Action.RECORD: "change a patient's record",
    Action.REMOVE_CONDITION: "remove a condition",
    Action.MONTH_FLAGS: "mark a month's complex medical decision making",
    Action.APPROVE: "approve a month for billing",
    Action.EXPORT: "export billing files",
    Action.REPORT: "see reports",
    Action.AUDIT: "review the audit trail",
    Action.PEOPLE: "manage people and credentials",
    Action.SETTINGS: "change targets and settings",
}


def duties(role: str | None, granted: tuple[str, ...] | list[str]) -> frozenset[Duty]:
    """A person's duties: their clinical role's (the role's value names it; office has
    none) plus those granted."""
    found = {Duty(d) for d in granted if d in {g.value for g in GRANTED}}
    if role in (Duty.CLINICAL_STAFF.value, Duty.PRACTITIONER.value):
        found.add(Duty(role))
    return frozenset(found)


def may(duties: frozenset[Duty], action: Action) -> bool:
    return bool(duties & RULES[action].who)


def who_may(action: Action) -> str:
    """'practitioners' or 'the billing office or practitioners', for a refusal."""
    names = {Duty.CLINICAL_STAFF: "clinical staff", Duty.PRACTITIONER: "practitioners",
             Duty.BILLING: "the billing office", Duty.ADMIN: "administrators"}
    chosen = [names[d] for d in Duty if d in RULES[action].who]
    return chosen[0] if len(chosen) == 1 else ", ".join(chosen[:-1]) + " or " + chosen[-1]


def table_rows() -> list[tuple[str, str, str, str]]:
    """(action, who, attested, scope) per action, as the README's table shows them."""
    return [(WHAT[a].capitalize(), ", ".join(DUTY_NAMES[d] for d in Duty if d in r.who),
             "yes" if r.attested else "no", r.scope) for a, r in RULES.items()]
