"""Warnings of the programs and money rules of issue 15: APCM levels and add-ons, payer
edits (MUEs), uncertain payments. Plain sentences, no internal track names; codes are stable
identifiers (the existing warnings live in warnings.py)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from ccm_timer.core.billing.inputs import RecordInput
from ccm_timer.core.billing.results import BillingWarning, ClaimLine
from ccm_timer.core.billing.rules import CodeRule, Confidence, RuleSet
from ccm_timer.core.billing.warnings import duration, money

QMB_UNKNOWN = "qmb_unknown"
PAST_EDIT = "past_payer_edit"
PAYMENT_UNCERTAIN = "payment_uncertain"
MONTHLY_HELD = "monthly_held"
ADDON_HELD = "addon_held"
ADDON_TIME_UNCONFIRMED = "addon_time_unconfirmed"
ADDON_REPLACES = "addon_replaces_standalone"
STANDALONE_KEPT = "standalone_instead_of_addon"
ONE_ADDON = "one_addon_a_month"

# How a program is named in a sentence (the rule file names them by their stored value).
PROGRAM_WORDS = {"COCM": "CoCM", "CPO_HOME_HEALTH": "CPO", "CPO_HOSPICE": "CPO"}


def program_words(program: str) -> str:
    return PROGRAM_WORDS.get(program, program)


def _and(parts: Sequence[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def qmb_unknown(chosen: CodeRule, qmb_code: CodeRule) -> BillingWarning:
    return BillingWarning(
        QMB_UNKNOWN,
        f"The patient's Qualified Medicare Beneficiary status is not recorded, so APCM is "
        f"billed as {chosen.code} ({money(chosen.payment_usd)}); if the patient is a QMB, "
        f"record it (`ccm-timer patient set --qmb yes`) and {qmb_code.code} "
        f"({money(qmb_code.payment_usd)}) applies instead.",
        chosen.program,
    )


def past_edit(line: ClaimLine, rule: CodeRule) -> BillingWarning:
    limit = rule.edit_units or 0
    extra = line.units - limit
    return BillingWarning(
        PAST_EDIT,
        f"{line.code} has {line.units} units this month, {extra} more than the {limit} a "
        f"payer's edit (a Medically Unlikely Edit) lets through; the {extra} extra "
        f"unit{'s are' if extra != 1 else ' is'} counted here but may be denied: bill "
        "them only with documentation that supports the time, or ask the payer first.",
        line.program,
    )


def payment_uncertain(lines: Sequence[tuple[ClaimLine, CodeRule]]) -> BillingWarning:
    named = [f"{line.code} ({money(line.payment_usd)})" for line, _ in lines]
    which = "payment shown for" if len(named) == 1 else "payments shown for"
    return BillingWarning(
        PAYMENT_UNCERTAIN,
        f"The {which} {_and(named)} {'is an estimate' if len(named) == 1 else 'are estimates'}"
        " that could not be confirmed in the CMS fee schedule: check the amount before "
        "relying on this month's total.",
        None,
    )


def monthly_held(line: ClaimLine) -> BillingWarning:
    return BillingWarning(
        MONTHLY_HELD,
        f"{program_words(line.program)} {line.code} ({money(line.payment_usd)}) needs no "
        f"minutes but is held: {line.hold_reason}.",
        line.program,
    )


def addon_held(addon: CodeRule, reasons: Iterable[str]) -> BillingWarning:
    return BillingWarning(
        ADDON_HELD,
        f"The APCM behavioral-health add-on {addon.code} ({money(addon.payment_usd)}) is held: "
        f"{'; '.join(reasons)}.",
        addon.program,
    )


def addon_time_unconfirmed(addon: CodeRule, seconds: int) -> BillingWarning:
    work = program_words(addon.work_program or "")
    return BillingWarning(
        ADDON_TIME_UNCONFIRMED,
        f"The APCM behavioral-health add-on {addon.code} is held: {duration(seconds)} of "
        f"{work} work this month is below the {addon.work_minutes} minutes of {addon.mirrors} "
        "it mirrors. CMS describes the add-on as not time-based (CY 2026 physician fee "
        "schedule final rule CMS-1832-F, as summarised by Gill Compliance), but a coding "
        f"source still gives {addon.mirrors}'s {addon.work_minutes} minutes: confirm with "
        "your Medicare contractor before billing it.",
        addon.program,
    )


def addon_replaces(addon: CodeRule, standalone: Sequence[ClaimLine]) -> BillingWarning:
    codes = _and([x.code for x in standalone])
    value = sum(x.payment_usd for x in standalone)
    return BillingWarning(
        ADDON_REPLACES,
        f"{codes} ({money(value)}) {'is' if len(standalone) == 1 else 'are'} held: the APCM "
        f"behavioral-health add-on {addon.code} ({money(addon.payment_usd)}) bills the same "
        f"{program_words(standalone[0].program)} work this month, and CMS does not pay both "
        "for one patient-month (CY 2026 PFS final rule CMS-1832-F).",
        standalone[0].program,
    )


def standalone_kept(addon: CodeRule, standalone: Sequence[ClaimLine]) -> BillingWarning:
    codes = _and([x.code for x in standalone])
    value = sum(x.payment_usd for x in standalone)
    return BillingWarning(
        STANDALONE_KEPT,
        f"The APCM behavioral-health add-on {addon.code} ({money(addon.payment_usd)}) is held: "
        f"{codes} ({money(value)}) bill the same work this month for more, and CMS does not "
        "pay both for one patient-month (CY 2026 PFS final rule CMS-1832-F).",
        addon.program,
    )


def one_addon(held: CodeRule, kept: CodeRule) -> BillingWarning:
    return BillingWarning(
        ONE_ADDON,
        f"The APCM behavioral-health add-on {held.code} is held: {kept.code} is billed this "
        "month, and one practitioner chooses CoCM or general BHI for a month (CMS-1654-F).",
        held.program,
    )


def for_lines(lines: Sequence[ClaimLine], rules: RuleSet,
              record: RecordInput | None) -> list[BillingWarning]:
    """Warnings about the month's final lines: units past a payer edit, the APCM level
    chosen without a recorded QMB status, and payments that are only estimates."""
    found: list[BillingWarning] = []
    codes: Mapping[str, CodeRule] = rules.codes
    uncertain: list[tuple[ClaimLine, CodeRule]] = []
    for line in lines:
        rule = codes.get(line.code)
        if rule is None or line.held:
            continue
        if rule.edit_units is not None and line.units > rule.edit_units:
            found.append(past_edit(line, rule))
        if rule.monthly and (record is None or record.qmb is None):
            better = _qmb_level(rules, rule)
            if better is not None:
                found.append(qmb_unknown(rule, better))
        if rule.payment_confidence is Confidence.UNCERTAIN:
            uncertain.append((line, rule))
    if uncertain:
        found.append(payment_uncertain(uncertain))
    return found


def _qmb_level(rules: RuleSet, chosen: CodeRule) -> CodeRule | None:
    """The QMB level of the same program that the chosen level's conditions also meet."""
    if chosen.qmb:
        return None
    for track in rules.tracks_by_program.get(chosen.program, ()):
        other = track.base
        if other.monthly and other.qmb and (
                other.chronic_conditions_min or 0) <= (chosen.chronic_conditions_min or 0):
            return other
    return None


def held_without_time(groups: Mapping[str, tuple[list[ClaimLine], float, bool]],
                      seconds_by_program: Mapping[str, int],
                      rules: RuleSet) -> list[BillingWarning]:
    """A monthly code (APCM) is billed with no minutes, so the warnings that come with held
    time never speak for it: say why its line is held (before any same-month exclusion,
    which warns on its own)."""
    found = []
    for program, (lines, _, held) in groups.items():
        if not held or seconds_by_program.get(program, 0):
            continue
        for line in lines:
            rule = rules.codes.get(line.code)
            if rule is not None and rule.monthly and line.held:
                found.append(monthly_held(line))
    return found
