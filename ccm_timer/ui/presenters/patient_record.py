"""The words of the patient's clinical record in the tray: conditions, consent and the care
plan, and the one warning line that says what keeps the record from billing. Pure functions
of the services' views, so what a nurse reads is tested without a screen."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, tzinfo
from typing import Any

from ccm_timer.services.people.conditions import ConditionView
from ccm_timer.services.people.enrollments import EnrollmentView
from ccm_timer.services.people.record_status import RecordStatus, months_before

NOTHING = "—"
# The disclosures as a nurse ticks them (the service's names, in its order).
DISCLOSURE_LABELS = {
    "cost-sharing": "Cost sharing explained (coinsurance or a deductible may apply)",
    "one-practitioner": "Only one practitioner can bill this service in a month",
    "right-to-stop": "The patient can stop at any time (effective at the month's end)",
}
KINDS = ("problem", "goal", "intervention")
KIND_TITLES = {"problem": "Problems", "goal": "Goals", "intervention": "Interventions"}


def joined(words: Sequence[str]) -> str:
    """"a", "a and b", "a, b and c"."""
    words = list(words)
    if len(words) < 2:
        return "".join(words)
    return f"{', '.join(words[:-1])} and {words[-1]}"


def day(value: date | datetime | None, zone: tzinfo | None = None) -> str:
    if value is None:
        return NOTHING
    if isinstance(value, datetime):
        value = value.astimezone(zone).date() if zone is not None else value.date()
    return value.isoformat()


# -- the record as a whole --------------------------------------------------------------


def record_warning(status: RecordStatus | None) -> str | None:
    """"Record incomplete: 1 chronic condition (CCM needs 2), care plan never reviewed";
    None when nothing is missing (or nothing is known)."""
    if status is None or not status.problems:
        return None
    return f"Record incomplete: {', '.join(status.problems)}"


def programs_text(status: RecordStatus) -> str:
    if not status.programs:
        return "Not enrolled in any program (time is kept, nothing is billed)"
    return f"Programs: {', '.join(status.programs)}"


# -- conditions -------------------------------------------------------------------------


def condition_cells(c: ConditionView) -> tuple[str, str, str, str]:
    """Code, description, since, chronic (with its category)."""
    chronic = f"Yes — {c.category}" if c.category else "No"
    return c.code, c.description, day(c.since), chronic


def removal_text(c: ConditionView, zone: tzinfo) -> str:
    if c.removed_at is None:
        return f"on file since {day(c.added_at, zone)} ({c.added_by})"
    return (f"removed {day(c.removed_at, zone)} by {c.removed_by}: {c.removal_reason}")


def chronic_summary(conditions: Iterable[ConditionView], needed: int, by: str = "") -> str:
    """"1 chronic condition on file: CCM needs 2" (`by`: the programs that need them)."""
    count = sum(1 for c in conditions if c.chronic)
    have = f"{count} chronic condition{'s' if count != 1 else ''} on file"
    if not needed:
        return have
    return f"{have}: {by or 'the program'} needs {needed}" + (
        "" if count >= needed else f" (add {needed - count} more to bill)")


def typing_hint(sentence: str) -> str:
    """A service's refusal, as a hint while the code is still being typed: nothing was
    written yet, so the sentence need not say so."""
    for tail in (" (nothing was written).", "; nothing was written.", " (nothing was written)"):
        if sentence.endswith(tail):
            return sentence[: -len(tail)] + "."
    return sentence


# -- consent ----------------------------------------------------------------------------


def consent_line(e: EnrollmentView) -> str:
    """One program's consent as the record holds it."""
    program = e.program.value
    if e.withdrawn_on is not None:
        why = f" ({e.withdrawal_reason})" if e.withdrawal_reason else ""
        return f"{program}: consent withdrawn {e.withdrawn_on.isoformat()}{why}; enrolment ended"
    if e.consent_date is None:
        return f"{program}: no consent on file (time is kept, codes are held)"
    parts = [f"consent {e.consent_date.isoformat()}"]
    if e.consent_method:
        parts.append(e.consent_method)
    if e.consent_by:
        parts.append(f"obtained by {e.consent_by}")
    told = len(e.disclosures)
    parts.append("all three disclosures" if told == 3 else
                 f"{told} of 3 disclosures" if told else "no disclosure recorded")
    if e.has_document:
        parts.append("scan on file")
    ended = f"; ended {e.end_date.isoformat()}" if e.end_date else ""
    return f"{program}: {', '.join(parts)}{ended}"


def consent_hold(missing: Sequence[str]) -> str | None:
    """"Lines are held until who obtained it is recorded." (None: nothing missing)."""
    if not missing:
        return None
    if tuple(missing) == ("the consent date",):
        return "Lines are held until the consent is recorded."
    verb = "is" if len(missing) == 1 else "are"
    return f"Lines are held until {joined(missing)} {verb} recorded."


# -- the care plan ----------------------------------------------------------------------


def review_text(reviewed_at: datetime | None, reviewed_by: str | None, zone: tzinfo,
                today: date, months: int = 12) -> tuple[str, bool]:
    """(the last review in words, whether it is a warning)."""
    if reviewed_at is None:
        return ("Never reviewed: after going over the plan with the patient, press "
                "“Record review”.", True)
    on = reviewed_at.astimezone(zone).date()
    said = f"Last reviewed {on.isoformat()} by {reviewed_by or 'someone unnamed'}"
    if on < months_before(today, months):
        return f"{said}: not reviewed in {months} months; review it with the patient.", True
    return f"{said}.", False


def grouped(items: Iterable[Any]) -> dict[str, list[Any]]:
    """Items by kind, in KINDS order, each kind oldest first."""
    out: dict[str, list[Any]] = {k: [] for k in KINDS}
    for item in sorted(items, key=lambda i: i.created_at):
        out.setdefault(str(getattr(item.kind, "value", item.kind)), []).append(item)
    return out


def item_cells(item: Any, zone: tzinfo) -> tuple[str, str, str, str]:
    """Text, linked condition, date, who."""
    return (item.text, item.condition_code or NOTHING, day(item.created_at, zone),
            item.created_by)


def ended_text(item: Any, zone: tzinfo) -> str:
    return f"ended {day(item.ended_at, zone)} by {item.ended_by}: {item.end_reason}"


def establish_notice(who: str) -> str:
    """The service's caution on a plan's first item recorded by clinical staff, as the tray
    says it (the command line says --as; here it is the “as” list)."""
    return (f"{who} is clinical staff, and Medicare expects the billing practitioner to "
            "establish the care plan (an RN or LPN may revise and monitor it). If a "
            "practitioner established it, add the item again “as” that practitioner and end "
            "this one.")
