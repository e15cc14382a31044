"""`rules show [--year YYYY]`: what the billing engine bills, read from the year's rule file
(resources/billing_rules/<year>.toml): every code with whose time counts, its threshold,
add-on increment, cap, payment and their sources and confidence, then what each program
needs beyond time. No database is opened.

Printed from what the parsed rules hold, field by field, so a key added to the rule file
(a code without a time threshold, a payer-edit limit) shows without a change here.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Mapping
from datetime import date
from enum import Enum
from typing import Any

from ccm_timer.cli.args import group
from ccm_timer.cli.lazy import lazy
from ccm_timer.cli.output import emit_json, table
from ccm_timer.errors import UserError

billing_rules = lazy("ccm_timer.services.month.billing_rules")

CONFIDENCE = ("Confidence: C confirmed by CMS, a Medicare contractor or the Federal Register; "
              "S secondary sources only; U uncertain, verify before relying on it.")
WHOSE = {"staff": "Clinical staff time (the billing practitioner's own minutes count too)",
         "practitioner": "The billing practitioner's own time only"}
CONSENT_WORDS = {"method": "how it was given", "obtained_by": "who obtained it",
                 "cost_sharing": "cost sharing explained",
                 "one_practitioner": "one practitioner a month explained",
                 "right_to_stop": "the right to stop explained"}
# CodeRule fields this module words itself; any other field is printed as it is.
SHOWN = frozenset({"code", "name", "program", "time", "threshold_minutes", "addon",
                   "addon_to", "increment_minutes", "max_units", "only_below_minutes",
                   "requires", "hold_unless", "not_with", "payment_usd", "payment_source",
                   "payment_confidence", "confidence", "note", "edit_units",
                   "also_addon_to", "monthly", "chronic_conditions_min",
                   "chronic_conditions_max", "qmb", "first_month", "billed_with",
                   "work_program", "work_minutes", "mirrors"})
ELIGIBILITY_SHOWN = frozenset({"program", "chronic_conditions", "consent", "care_plan",
                               "care_plan_review_months", "cite", "source", "confidence"})


def year_arg(text: str) -> int:
    try:
        year = int(text)
    except ValueError:
        year = 0
    if not 2000 <= year <= 2200:
        raise argparse.ArgumentTypeError(f"the year must be four digits such as 2026, "
                                         f"not {text!r}")
    return year


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    rsub = group(sub, "rules", "the billing rules: codes, thresholds, caps, payments, sources")
    p = rsub.add_parser("show", parents=[common], help="every code of a year's rule file and "
                        "what each program needs beyond time")
    p.add_argument("--year", type=year_arg, help="the calendar year (default: this year)")
    # The rule file is all it reads: the quick hook answers without opening the database.
    p.set_defaults(handler=_never, quick=show)


def _never(ctx: Any, args: argparse.Namespace) -> None:  # the quick hook always answers
    raise UserError("This command cannot run here.")


def _years() -> list[int]:
    from ccm_timer import paths

    folder = paths.resource_root() / "billing_rules"
    return sorted(int(p.stem) for p in folder.glob("*.toml") if p.stem.isdigit())


def _load(year: int):
    try:
        return billing_rules.load_rules(year)
    except LookupError:  # MissingBillingRules
        have = ", ".join(str(y) for y in _years()) or "none"
        raise UserError(f"There are no billing rules for {year} (the app has rules for "
                        f"{have}); pass --year with one of them.") from None
    except ValueError as exc:  # RulesError: the file is there but cannot be used
        raise UserError(f"The billing rules for {year} cannot be read ({exc}); reinstall "
                        "the app or fix the file.") from None


def _plain(value: Any) -> Any:
    """A rule field as JSON has it."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple | list | frozenset | set):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def _fields(obj: Any) -> dict[str, Any]:
    return {f.name: _plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}


def as_json(rules: Any) -> dict[str, Any]:
    return {
        "year": rules.year,
        "file": rules.source,
        "conversion_factor_usd": rules.conversion_factor_usd,
        "conversion_factor_source": rules.conversion_factor_source,
        "programs": list(rules.programs),
        "flags": dict(rules.flag_descriptions),
        "codes": {code: _fields(rule) for code, rule in rules.codes.items()},
        "eligibility": {p: _fields(e) for p, e in rules.eligibility.items()},
    }


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _units(n: int) -> str:
    return "one unit a month" if n == 1 else f"at most {n} units a month"


def _minutes(value: int | None) -> str:
    return f"{value} min" if value is not None else ""


def _bases(rule: Any) -> list[str]:
    return [b for b in (getattr(rule, "addon_to", None), *_tuple(rule, "also_addon_to")) if b]


def _tuple(rule: Any, name: str) -> tuple:
    return tuple(getattr(rule, name, ()) or ())


def _first_unit(rule: Any) -> str:
    if bases := _bases(rule):
        return f"add-on to {'/'.join(bases)}"
    if with_codes := _tuple(rule, "billed_with"):
        return f"with {'/'.join(with_codes)}"
    if getattr(rule, "monthly", False):
        return "monthly"
    threshold = getattr(rule, "threshold_minutes", None)
    return _minutes(threshold) if threshold is not None else "no time"


def _cap(rule: Any) -> str:
    cap = getattr(rule, "max_units", None)
    edit = getattr(rule, "edit_units", None)
    parts = [str(cap)] if cap is not None else []
    if edit is not None:
        parts.append(f"warn past {edit}")
    return ", ".join(parts) or "none found"


def _timed(rule: Any) -> bool:
    """Whether minutes earn the code (APCM's monthly codes and their add-ons: no)."""
    return not (getattr(rule, "monthly", False) or _tuple(rule, "billed_with"))


def _value(rule: Any, name: str) -> str:
    value = getattr(rule, name, None)
    return "" if value is None else str(_plain(value))


def _code_rows(rules: Any) -> list[list[str]]:
    ordered = sorted(rules.codes.values(), key=lambda r: rules.program_rank(r.program))
    return [[rule.code, rule.program, _value(rule, "time") if _timed(rule) else "",
             _first_unit(rule),
             _minutes(getattr(rule, "increment_minutes", None)), _cap(rule),
             f"${rule.payment_usd:,.2f}", _value(rule, "payment_confidence"),
             _value(rule, "confidence")] for rule in ordered]


def _listed(rule: Any, name: str) -> str:
    return ", ".join(str(v) for v in getattr(rule, name, ()) or ())


def _conditions(low: int | None, high: int | None) -> str:
    if low is not None and high is not None:
        return f"for {low} to {_plural(high, 'chronic condition')} on file"
    if low is not None:
        return f"for {low} or more chronic conditions on file"
    return f"for at most {_plural(high or 0, 'chronic condition')} on file"


def _kind(rule: Any) -> list[str]:
    """What earns the code: minutes, the month itself, or another code of the month."""
    facts = []
    if bases := _bases(rule):
        facts.append(f"add-on to {' or '.join(bases)}")
    elif with_codes := _tuple(rule, "billed_with"):
        facts.append(f"an add-on to {' or '.join(with_codes)} by the same practitioner in "
                     "the same month, not time-based")
    elif getattr(rule, "monthly", False):
        facts.append("billed once a month, no time threshold")
    elif (threshold := getattr(rule, "threshold_minutes", None)) is not None:
        facts.append(f"first unit at {threshold} min")
    else:
        facts.append("no time threshold")
    low = getattr(rule, "chronic_conditions_min", None)
    high = getattr(rule, "chronic_conditions_max", None)
    if low is not None or high is not None:
        facts.append(_conditions(low, high))
    if getattr(rule, "qmb", False):
        facts.append("only for a Qualified Medicare Beneficiary (recorded with `patient set "
                     "--qmb yes`)")
    first = getattr(rule, "first_month", None)
    if first is not None:
        facts.append("only in the enrolment's first month" if first
                     else "only in months after the enrolment's first")
    if program := getattr(rule, "work_program", None):
        below = getattr(rule, "work_minutes", None)
        facts.append(f"on the month's {program} work" + (
            f", held below {below} min of it" if below else ""))
    if mirrors := getattr(rule, "mirrors", None):
        facts.append(f"valued like {mirrors}")
    return facts


def _code_details(rule: Any) -> list[str]:
    lines = [f"{rule.code}  {rule.name}"]
    whose = WHOSE.get(_value(rule, "time"), _value(rule, "time")) if _timed(rule) else ""
    facts = [whose, *_kind(rule)]
    if getattr(rule, "addon", None):
        facts.append(f"add-on {rule.addon}")
    if getattr(rule, "increment_minutes", None):
        facts.append(f"each further unit {rule.increment_minutes} min")
    facts.append(_units(rule.max_units) if getattr(rule, "max_units", None)
                 else "no CPT cap found")
    if getattr(rule, "edit_units", None) is not None:
        facts.append(f"a warning past {_plural(rule.edit_units, 'unit')} (payer edit)")
    if getattr(rule, "only_below_minutes", None):
        facts.append(f"only for a month below {rule.only_below_minutes} min")
    text = "; ".join(f for f in facts if f)
    lines.append(f"  {text[:1].upper()}{text[1:]}.")
    for name, words in (("requires", "Considered only with the month flags"),
                        ("hold_unless", "Held unless the month flags")):
        if flags := [f.replace("_", "-") for f in getattr(rule, name, ()) or ()]:
            lines.append(f"  {words}: {', '.join(flags)}.")
    if listed := _listed(rule, "not_with"):
        lines.append(f"  Not billed in the same month with: {listed}.")
    lines.append(f"  Payment ${rule.payment_usd:,.2f} [{_value(rule, 'payment_confidence')}]: "
                 f"{_value(rule, 'payment_source')}")
    lines.append(f"  Rule confidence [{_value(rule, 'confidence')}].")
    if note := _value(rule, "note"):
        lines.append(f"  Note: {note}")
    for f in dataclasses.fields(rule):  # a key this module does not know yet
        if f.name not in SHOWN and (value := getattr(rule, f.name)) not in (None, (), ""):
            lines.append(f"  {f.name}: {_plain(value)}")
    return lines


def _eligibility_lines(e: Any) -> list[str]:
    needs = []
    if getattr(e, "chronic_conditions", 0):
        needs.append(f"{_plural(e.chronic_conditions, 'chronic condition')} on file in "
                     "the month")
    if consent := [CONSENT_WORDS.get(c, c) for c in getattr(e, "consent", ()) or ()]:
        needs.append(f"a consent recording {', '.join(consent)}")
    if getattr(e, "care_plan", False):
        needs.append(f"a care plan reviewed within {e.care_plan_review_months} months "
                     "(a warning otherwise)")
    lines = [f"{e.program}: " + ("; ".join(needs) or "nothing beyond time") + "."]
    lines.append(f"  Source [{_value(e, 'confidence')}]: {_value(e, 'source')}")
    for f in dataclasses.fields(e):
        if f.name not in ELIGIBILITY_SHOWN and (value := getattr(e, f.name)) not in (
                None, (), ""):
            lines.append(f"  {f.name}: {_plain(value)}")
    return lines


def show(args: argparse.Namespace) -> bool:
    year = args.year or date.today().year
    rules = _load(year)
    if args.json:
        emit_json(as_json(rules))
        return True
    print(f"Billing rules for {rules.year} ({rules.source}).")
    print(f"Conversion factor ${rules.conversion_factor_usd}: "
          f"{rules.conversion_factor_source or 'no source given'}.")
    print(CONFIDENCE)
    print()
    table(["CODE", "PROGRAM", "TIME", "FIRST UNIT", "EACH MORE", "MAX UNITS", "PAYMENT",
           "PAY", "RULE"], _code_rows(rules))
    print()
    print("TIME: staff counts clinical staff and the billing practitioner; practitioner "
          "counts only the billing practitioner's own minutes. PAY, RULE: confidence.")
    for rule in sorted(rules.codes.values(), key=lambda r: rules.program_rank(r.program)):
        print()
        print("\n".join(_code_details(rule)))
    print()
    print("Needed beyond time (a missing condition or consent element holds the lines):")
    for program in rules.programs:
        if program in rules.eligibility:
            print("\n".join(_eligibility_lines(rules.eligibility[program])))
    missing = [p for p in rules.programs if p not in rules.eligibility]
    if missing:
        print(f"{', '.join(missing)}: no requirement beyond time in the rule file.")
    if rules.flag_descriptions:
        print()
        print("Month flags (`ccm-timer month-flag set`):")
        for name, words in rules.flag_descriptions.items():
            print(f"  {name.replace('_', '-')}: {words}")
    return True
