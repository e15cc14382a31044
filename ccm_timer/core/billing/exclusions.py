"""Same-month exclusions between programs (PCM with CCM, CPO with CCM, APCM with CCM and
PCM, CoCM with general BHI)."""

from __future__ import annotations

from ccm_timer.core.billing import warnings as warn
from ccm_timer.core.billing.money import cents
from ccm_timer.core.billing.results import BillingWarning, ClaimLine
from ccm_timer.core.billing.rules import RuleSet

# program -> (its lines, the value of its chosen track, held before exclusions)
Groups = dict[str, tuple[list[ClaimLine], float, bool]]


def hold_lines(lines: list[ClaimLine], reason: str) -> list[ClaimLine]:
    """The lines marked held, `reason` added to any reason they already had."""
    return [
        ClaimLine(x.code, x.program, x.track, x.units, x.seconds, x.payment_usd, True,
                  reason if x.hold_reason is None else f"{x.hold_reason}; {reason}")
        for x in lines
    ]


def resolve_exclusions(
    groups: Groups, rules: RuleSet, warnings: list[BillingWarning]
) -> list[ClaimLine]:
    """Keep the compatible set of programs worth most; hold the lines of the others.

    Programs clash when one's code lists the other's in `not_with`. The kept set maximises
    billable value, then held value, then rule-file order. The search is exhaustive over the
    clashing programs only (usually two, at most six): unlike a greedy pass it never lets more
    minutes produce a smaller billable total. Lines come back in rule-file program order.
    """
    programs = [p for p in rules.programs if p in groups]
    n = len(programs)
    if n < 2:
        return [line for p in programs for line in groups[p][0]]
    codes = [{line.code for line in groups[p][0]} for p in programs]
    clash = [0] * n
    for i in range(n):
        reach: set[str] = set()
        for code in codes[i]:
            reach |= rules.conflicts.get(code, frozenset())
        for j in range(n):
            if i != j and not reach.isdisjoint(codes[j]):
                clash[i] |= 1 << j
                clash[j] |= 1 << i
    nodes = [i for i in range(n) if clash[i]]
    if not nodes:
        return [line for p in programs for line in groups[p][0]]

    best_mask, best_score = 0, (-1, -1, -1)
    for bits in range(1 << len(nodes)):
        mask = 0
        for k, i in enumerate(nodes):
            if bits >> k & 1:
                mask |= 1 << i
        if any(mask >> i & 1 and clash[i] & mask for i in nodes):
            continue
        billable = held = order = 0
        for i in nodes:
            if mask >> i & 1:
                _, value, is_held = groups[programs[i]]
                if is_held:
                    held += cents(value)
                else:
                    billable += cents(value)
                order += 1 << (n - 1 - i)  # earlier programs weigh more on a tie
        if (billable, held, order) > best_score:
            best_mask, best_score = mask, (billable, held, order)

    out: list[ClaimLine] = []
    for i, program in enumerate(programs):
        lines = groups[program][0]
        if not clash[i] or best_mask >> i & 1:
            out.extend(lines)
            continue
        j = next(j for j in range(n) if best_mask >> j & 1 and clash[i] >> j & 1)
        other_program = programs[j]
        code, other = next(
            (c, o) for c in sorted(codes[i])
            for o in sorted(rules.conflicts.get(c, frozenset())) if o in codes[j]
        )
        warnings.append(warn.excluded(program, code, other, other_program))
        out.extend(hold_lines(lines, f"cannot be billed with {other} ({other_program}) in the same "
                                "month by the same practitioner"))
    return out
