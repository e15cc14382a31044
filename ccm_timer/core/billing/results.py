"""What the engine returns for one patient-month, and its plain-JSON form."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ccm_timer.core.billing.inputs import OtherPractitionerTime


def minutes_floor(seconds: int) -> int:
    """Whole minutes reached (19:59 is 19): what a threshold compares against."""
    return seconds // 60


def minutes_ceil(seconds: int) -> int:
    """Whole minutes still to work (30 s to go is 1 minute to go)."""
    return -(-seconds // 60)


@dataclass(frozen=True, slots=True)
class ClaimLine:
    code: str
    program: str
    track: str
    units: int
    seconds: int  # seconds this line consumes; no second feeds two lines
    payment_usd: float  # estimated, units x the rule file's per-unit amount
    held: bool
    hold_reason: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "program": self.program,
            "track": self.track,
            "units": self.units,
            "seconds": self.seconds,
            "minutes": minutes_floor(self.seconds),
            "payment_usd": round(self.payment_usd, 2),
            "held": self.held,
            "hold_reason": self.hold_reason,
        }


@dataclass(frozen=True, slots=True)
class NextThreshold:
    program: str
    track: str
    code: str  # the code (or one more add-on unit) the next threshold earns
    threshold_seconds: int  # track total at which it is earned
    seconds_needed: int
    chosen: bool  # whether this track is the one chosen this month

    def to_dict(self) -> dict[str, Any]:
        return {
            "program": self.program,
            "track": self.track,
            "code": self.code,
            "threshold_minutes": minutes_floor(self.threshold_seconds),
            "seconds_needed": self.seconds_needed,
            "minutes_needed": minutes_ceil(self.seconds_needed),
            "chosen": self.chosen,
        }


@dataclass(frozen=True, slots=True)
class TrackChoice:
    """Which alternative of a program was billed, and the best one that was not."""

    program: str
    chosen: str
    chosen_seconds: int  # the time pool the chosen track counts
    chosen_value_usd: float
    alternative: str | None
    alternative_seconds: int | None
    alternative_value_usd: float | None

    def to_dict(self) -> dict[str, Any]:
        alt_value = self.alternative_value_usd
        return {
            "program": self.program,
            "chosen": self.chosen,
            "chosen_minutes": minutes_floor(self.chosen_seconds),
            "chosen_value_usd": round(self.chosen_value_usd, 2),
            "alternative": self.alternative,
            "alternative_minutes": (
                None if self.alternative_seconds is None
                else minutes_floor(self.alternative_seconds)
            ),
            "alternative_value_usd": None if alt_value is None else round(alt_value, 2),
        }


@dataclass(frozen=True, slots=True)
class BillingWarning:
    code: str  # stable identifier, e.g. "no_consent"
    message: str  # one plain-English sentence
    program: str | None = None
    entry_ids: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "program": self.program,
            "entry_ids": list(self.entry_ids),
        }


@dataclass(frozen=True, slots=True)
class PatientMonthResult:
    month: str  # "YYYY-MM"
    rules_year: int
    # every role of rules.ROLES (other_practitioner: shown apart, see `others`); program
    # time from each program's consent day on, not oversight
    seconds_by_role: Mapping[str, int]
    seconds_by_program: Mapping[str, int]  # programs with time, in rule-file order
    program_level_seconds: int  # oversight time: reported, never billed per patient
    lines: tuple[ClaimLine, ...]
    next: tuple[NextThreshold, ...]
    tracks: tuple[TrackChoice, ...]
    warnings: tuple[BillingWarning, ...]
    # Per program, the seconds before its consent day: shown apart, never counted.
    seconds_before_consent: Mapping[str, int] = field(default_factory=dict)
    # Other practitioners' time, one item per practitioner and program (whose_time.py).
    others: tuple[OtherPractitionerTime, ...] = ()

    @property
    def total_seconds(self) -> int:
        return sum(self.seconds_by_program.values())

    @property
    def billable_lines(self) -> tuple[ClaimLine, ...]:
        return tuple(line for line in self.lines if not line.held)

    def track_for(self, program: str) -> TrackChoice | None:
        return next((t for t in self.tracks if t.program == program), None)

    @property
    def ccm_track(self) -> TrackChoice | None:
        return self.track_for("CCM")

    def to_dict(self) -> dict[str, Any]:
        return {
            "month": self.month,
            "rules_year": self.rules_year,
            "seconds": {
                "by_role": dict(self.seconds_by_role),
                "by_program": dict(self.seconds_by_program),
                "program_level": self.program_level_seconds,
                "total": self.total_seconds,
                "before_consent": dict(self.seconds_before_consent),
            },
            "minutes": {
                "by_role": {k: minutes_floor(v) for k, v in self.seconds_by_role.items()},
                "by_program": {k: minutes_floor(v) for k, v in self.seconds_by_program.items()},
                "program_level": minutes_floor(self.program_level_seconds),
                "total": minutes_floor(self.total_seconds),
                "before_consent": {k: minutes_floor(v)
                                   for k, v in self.seconds_before_consent.items()},
            },
            "other_practitioners": [
                {"name": o.name, "program": o.program, "seconds": o.seconds,
                 "minutes": minutes_floor(o.seconds), "counted_as_staff": o.as_staff}
                for o in self.others
            ],
            "lines": [line.to_dict() for line in self.lines],
            "next": [n.to_dict() for n in self.next],
            "tracks": [t.to_dict() for t in self.tracks],
            "warnings": [w.to_dict() for w in self.warnings],
        }
