"""The rule-table model: one calendar year's codes, grouped into tracks.

A *track* is a base code plus its optional add-on (99490 + 99439). Tracks of one program are
alternatives: at most one is billed per patient-month (one CCM track, one PCM track, 99457 or
99470). Which one is decided by payment, in the engine. Everything else (thresholds, caps,
exclusions, payments) is data read from `resources/billing_rules/<year>.toml`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class RulesError(ValueError):
    """A rules table that cannot be used; the message names the key at fault."""


class TimeBasis(StrEnum):
    """Whose minutes count toward a code."""

    STAFF = "staff"  # clinical staff under general supervision + the practitioner's own
    PRACTITIONER = "practitioner"  # the billing practitioner personally, nobody else


class Confidence(StrEnum):
    CONFIRMED = "C"
    SECONDARY = "S"
    UNCERTAIN = "U"


# Whose time: clinical staff; the patient's billing practitioner personally; any other
# practitioner (inputs.PatientMonthTotals says how their time is counted).
ROLES: tuple[str, ...] = ("clinical_staff", "practitioner", "other_practitioner")
# Month flags a rule may name; they are the fields of `MonthFlags`.
FLAGS: tuple[str, ...] = ("complex_mdm", "care_plan_revised", "interactive_contact")


@dataclass(frozen=True, slots=True)
class CodeRule:
    code: str
    name: str
    program: str
    time: TimeBasis
    threshold_minutes: int | None  # base codes: minutes for the first (only) unit
    addon: str | None  # base codes: the add-on code, if any
    addon_to: str | None  # add-on codes: the base code
    increment_minutes: int | None  # add-on codes: minutes per further unit
    max_units: int | None  # None: no cap found in the sources (MUEs may still apply)
    only_below_minutes: int | None  # code applies only while the month's time is below this
    requires: tuple[str, ...]  # month flags without which the track is not available
    hold_unless: tuple[str, ...]  # month flags without which the lines are held
    not_with: tuple[str, ...]  # codes it cannot be billed with in the same month
    payment_usd: float
    payment_source: str
    payment_confidence: Confidence
    confidence: Confidence
    note: str = ""
    # Units past this are a payer edit (an MUE), not a CPT cap: billed, with a warning.
    edit_units: int | None = None
    also_addon_to: tuple[str, ...] = ()  # add-ons of more than one base (99494)
    # Kinds of rule without minutes (month_conditions.py, apcm_addons.py):
    monthly: bool = False  # billed once a month with no time threshold (APCM)
    chronic_conditions_min: int | None = None  # the level's chronic conditions on file
    chronic_conditions_max: int | None = None
    qmb: bool = False  # only for a Qualified Medicare Beneficiary (recorded as such)
    first_month: bool | None = None  # True: the enrolment's first month only; False: later
    billed_with: tuple[str, ...] = ()  # an add-on to any of these monthly codes (G0568)
    work_program: str | None = None  # the program whose month of work it bills
    work_minutes: int | None = None  # below this the add-on is held (unconfirmed rule)
    mirrors: str | None = None  # the code it is valued and described like

    @property
    def is_addon(self) -> bool:
        return self.addon_to is not None


@dataclass(frozen=True, slots=True)
class Track:
    """A base code and its add-on, evaluated against one pool of seconds."""

    name: str
    program: str
    time: TimeBasis
    base: CodeRule
    addon: CodeRule | None
    requires: tuple[str, ...]  # union over base and add-on
    hold_unless: tuple[str, ...]  # union over base and add-on

    @property
    def codes(self) -> tuple[str, ...]:
        return (self.base.code,) if self.addon is None else (self.base.code, self.addon.code)

    @property
    def threshold_seconds(self) -> int:
        if self.base.monthly:
            return 0  # no time threshold: earned by the month itself
        assert self.base.threshold_minutes is not None
        return self.base.threshold_minutes * 60

    @property
    def increment_seconds(self) -> int | None:
        if self.addon is None or self.addon.increment_minutes is None:
            return None
        return self.addon.increment_minutes * 60

    @property
    def cap_seconds(self) -> int | None:
        """Seconds the last capped unit covers; None if the track has no capped add-on."""
        inc = self.increment_seconds
        if self.addon is None or inc is None or self.addon.max_units is None:
            return None
        return self.threshold_seconds + self.addon.max_units * inc


@dataclass(frozen=True, slots=True)
class Eligibility:
    """What a program needs beyond time before its lines are billed."""

    program: str
    chronic_conditions: int  # at least this many chronic conditions on file in the month
    consent: tuple[str, ...]  # consent elements that must be recorded (inputs.CONSENT_ELEMENTS)
    care_plan: bool  # a care plan is needed; none, or no review within review_months, warns
    care_plan_review_months: int
    cite: str  # the short source named in warnings ("CMS MLN909188")
    source: str  # the full citation
    confidence: Confidence


@dataclass(frozen=True, slots=True)
class RuleSet:
    year: int
    conversion_factor_usd: float
    conversion_factor_source: str
    programs: tuple[str, ...]  # report order; also the tie-break between programs
    flag_descriptions: Mapping[str, str]
    codes: Mapping[str, CodeRule]
    tracks_by_program: Mapping[str, tuple[Track, ...]]  # file order; earlier wins a tie
    conflicts: Mapping[str, frozenset[str]]  # symmetric closure of every code's not_with
    source: str = ""
    eligibility: Mapping[str, Eligibility] = field(default_factory=dict)
    monthly_addons: tuple[CodeRule, ...] = ()  # codes with billed_with, in file order

    def program_rank(self, program: str) -> int:
        try:
            return self.programs.index(program)
        except ValueError:
            return len(self.programs)

    def to_dict(self) -> dict[str, Any]:  # JSON-shaped
        """A plain summary (for `report --json` under "rules")."""
        return {
            "year": self.year,
            "conversion_factor_usd": self.conversion_factor_usd,
            "source": self.source,
            "codes": {
                c.code: {
                    "program": c.program,
                    "time": str(c.time),
                    "threshold_minutes": c.threshold_minutes,
                    "addon": c.addon,
                    "addon_to": c.addon_to,
                    "increment_minutes": c.increment_minutes,
                    "max_units": c.max_units,
                    "edit_units": c.edit_units,
                    "monthly": c.monthly,
                    "first_month": c.first_month,
                    "billed_with": list(c.billed_with),
                    "work_program": c.work_program,
                    "payment_usd": c.payment_usd,
                    "payment_confidence": str(c.payment_confidence),
                    "confidence": str(c.confidence),
                }
                for c in self.codes.values()
            },
            "eligibility": {
                e.program: {
                    "chronic_conditions": e.chronic_conditions,
                    "consent": list(e.consent),
                    "care_plan": e.care_plan,
                    "care_plan_review_months": e.care_plan_review_months,
                    "source": e.source,
                    "confidence": str(e.confidence),
                }
                for e in self.eligibility.values()
            },
        }
