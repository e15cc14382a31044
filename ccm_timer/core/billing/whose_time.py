"""Whose seconds feed which codes (issue 15): time is not pooled across practitioners.

- Codes that need the billing practitioner's own time (`time = "practitioner"` in the rule
  file: 99491/99437, 99424/99425, G0181/G0182) count only the "practitioner" role, which is
  the patient's billing practitioner personally (NGS Medicare, Care Management: "time only
  the billing practitioner spends"; CGS / Claims Processing Manual ch. 12 section 180 for
  CPO: the billing physician personally, 30 minutes).
- Clinical-staff codes count clinical staff and the billing practitioner's own minutes
  (CMS CCM FAQ Q1), and another practitioner's only when the caller marks them `as_staff`
  (general supervision, per the clinic's setting other_practitioner_time).
- Everything else another practitioner logs is shown apart and counted toward nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ccm_timer.core.billing.inputs import OtherPractitionerTime, PatientMonthTotals
from ccm_timer.core.billing.rules import ROLES

OTHER = "other_practitioner"
_UNNAMED = "Another practitioner"  # an "other_practitioner" key without a name


@dataclass
class Pools:
    by_role: dict[str, int]  # every role of ROLES: program time only, not oversight
    # program -> seconds counted as clinical staff's (with other practitioners' as_staff)
    staff: dict[str, int] = field(default_factory=dict)
    own: dict[str, int] = field(default_factory=dict)  # program -> billing practitioner's
    others: list[OtherPractitionerTime] = field(default_factory=list)  # named, any program
    program_level: int = 0

    def by_program(self, programs: tuple[str, ...]) -> dict[str, int]:
        """All program time, whoever logged it and whether or not it counts, in the order
        of `programs` and then the unknown ones (sorted)."""
        totals: dict[str, int] = {}
        for side in (self.staff, self.own):  # staff holds the others counted as staff
            for program, seconds in side.items():
                totals[program] = totals.get(program, 0) + seconds
        for item in self.others:
            if not item.as_staff:
                totals[item.program] = totals.get(item.program, 0) + item.seconds
        known = [p for p in programs if totals.get(p)]
        extra = sorted(p for p in totals if p not in programs and totals[p])
        return {p: totals[p] for p in (*known, *extra)}


def pools(totals: PatientMonthTotals) -> Pools:
    """Fold the totals into the pools the tracks count; ValueError on a bad key."""
    found = Pools(dict.fromkeys(ROLES, 0))
    unnamed: dict[str, int] = {}
    for (role, program), seconds in totals.seconds.items():
        if role not in found.by_role:
            raise ValueError(f"unknown role {role!r}; expected one of {ROLES}")
        if seconds < 0:
            raise ValueError(f"negative seconds for ({role}, {program})")
        if program is None:
            found.program_level += seconds
            continue
        found.by_role[role] += seconds
        if role == OTHER:
            unnamed[program] = unnamed.get(program, 0) + seconds
        else:
            side = found.own if role == "practitioner" else found.staff
            side[program] = side.get(program, 0) + seconds
    for item in totals.others:
        if item.seconds < 0:
            raise ValueError(f"negative seconds for {item.name} ({item.program})")
        if not item.seconds:
            continue
        found.by_role[OTHER] += item.seconds
        found.others.append(item)
        if item.as_staff:
            found.staff[item.program] = found.staff.get(item.program, 0) + item.seconds
    found.others.extend(OtherPractitionerTime(_UNNAMED, program, seconds)
                        for program, seconds in unnamed.items() if seconds)
    return found
