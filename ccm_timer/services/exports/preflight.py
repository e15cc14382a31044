"""What an export would carry, said before it is made: money is never silent.

The billing office sees, before any file exists, which patients a billing file leaves out
(and why), which lines are held, each patient's billing warnings, and which codes rest on
rules or payments the year's billing rules call uncertain; each notice names its source
(the approvals, the billing rules of a year, or the patient's month). It reads the month as
the export reads it (gather.build), so what it says is what the file would hold.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ccm_timer.core.billing.rules import Confidence
from ccm_timer.exports.formats import BILLING_FORMATS
from ccm_timer.services.context import AppContext
from ccm_timer.services.exports.gather import Progress, build, month_arg
from ccm_timer.services.month.billing_rules import rules_for_month

APPROVALS = "Approvals"  # the source named for patients left out or not approved


@dataclass(frozen=True)
class Notice:
    source: str  # "Approvals", "Billing rules 2026", or the patient's name
    text: str  # one sentence in the billing office's words
    money: bool = True  # False: said for information, nothing is withheld or uncertain


@dataclass(frozen=True)
class Preview:
    month: str
    fmt: str
    patients: int  # patient-months the file would carry
    lines: int  # billable claim lines (0 for notes)
    left_out: int
    notices: list[Notice] = field(default_factory=list)
    nothing: str | None = None  # why there is nothing to export, or None

    @property
    def summary(self) -> str:
        if self.nothing:
            return self.nothing
        whom = _plural(self.patients, "patient")
        if self.fmt in BILLING_FORMATS:
            return f"{_plural(self.lines, 'claim line')} for {whom}."
        return f"Notes for {whom}."


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def preview(ctx: AppContext, month: str, fmt: str, *, mrn: str | None = None,
            draft: bool = False, approved_only: bool = False,
            progress: Progress | None = None) -> Preview:
    """The export of `month` in `fmt` as it would be made now, and what to know first."""
    ym = str(month_arg(month))
    billing = fmt in BILLING_FORMATS
    doc, _ = build(ctx, ym, mrn, draft=draft, billing=billing, approved_only=approved_only,
                   progress=progress)
    notices: list[Notice] = []
    if doc["left_out"]:
        names = "; ".join(f"{x['name']} ({x['reason']})" for x in doc["left_out"])
        notices.append(Notice(APPROVALS, f"{_plural(len(doc['left_out']), 'patient')} "
                              f"will be left out: {names}."))
    if draft and billing:
        unapproved = [p["name"] for p in doc["patients"]
                      if not p["approval"] or p["approval"]["reopened"]]
        if unapproved:
            notices.append(Notice(APPROVALS, f"A draft: {', '.join(unapproved)} "
                                  f"{'is' if len(unapproved) == 1 else 'are'} not approved "
                                  "yet; every line is marked draft and is not a claim."))
    notices += _uncertain(ym, doc["patients"]) if billing else []
    for p in doc["patients"]:
        for line in p["held_lines"]:
            notices.append(Notice(p["name"], f"{line['code']} is held, not billed: "
                                  f"{line['hold_reason'] or 'see the patient view'}."))
        notices += [Notice(p["name"], text, money=_is_money(text)) for text in p["warnings"]]
    lines = doc["totals"]["lines"] if billing else 0
    return Preview(ym, fmt, len(doc["patients"]), lines, len(doc["left_out"]), notices,
                   _nothing(doc, billing, draft, approved_only))


def _is_money(text: str) -> bool:
    """Warnings that withhold or change what is billed; the others only inform."""
    return any(word in text for word in ("held", "cannot be billed", "not billable",
                                         "before billing", "rather than"))


def _uncertain(month: str, patients: list[dict]) -> list[Notice]:
    """The codes the file bills whose rule or payment the year's rules call uncertain."""
    rules = rules_for_month(month)
    source = f"Billing rules {rules.year}"
    billed = sorted({line["code"] for p in patients for line in p["lines"]})
    out = []
    for code in billed:
        rule = rules.codes.get(code)
        if rule is None:
            continue
        if rule.confidence is Confidence.UNCERTAIN:
            out.append(Notice(source, f"The rule for {code} is marked uncertain: verify it "
                              "with your Medicare contractor before sending the claims."))
        if rule.payment_confidence is Confidence.UNCERTAIN:
            out.append(Notice(source, f"The payment for {code} (${rule.payment_usd:,.2f}) is "
                              "marked uncertain: check it against your fee schedule."))
    return out


def _nothing(doc: dict, billing: bool, draft: bool, approved_only: bool) -> str | None:
    if not doc["patients"] and not doc["left_out"]:
        return "No patient has time or an enrollment this month: there is nothing to export."
    if not doc["patients"] and billing and not draft:
        return ("No patient of this month is approved for billing yet: the billing "
                "practitioner approves the month first (Month overview), or make a draft.")
    if not doc["patients"] and approved_only:
        return ("No patient of this month is approved yet: the billing practitioner "
                "approves the month first (Month overview), or export all patients.")
    return None
