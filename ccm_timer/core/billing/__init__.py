"""Medicare care-management billing: rule tables as data, and a pure engine over them.

    rules = parse_rules(tomllib.load(f))           # services.billing_rules does the reading
    totals = totals_from_rows(rows)                # or totals_from_entries, or sums from SQL
    result = evaluate_patient_month(totals, enrollments, flags, "2025-03", rules)
    result.to_dict()                               # plain JSON-able data
"""

from ccm_timer.core.billing.engine import evaluate_entries, evaluate_many, evaluate_patient_month
from ccm_timer.core.billing.inputs import (
    CONSENT_ELEMENTS,
    LONG_ENTRY_SECONDS,
    EnrollmentInput,
    EntryInput,
    EntryRow,
    LongEntry,
    MonthFlags,
    Overlap,
    PatientMonthInput,
    PatientMonthTotals,
    RecordInput,
    find_overlaps,
    totals_from_entries,
    totals_from_rows,
)
from ccm_timer.core.billing.results import (
    BillingWarning,
    ClaimLine,
    NextThreshold,
    PatientMonthResult,
    TrackChoice,
)
from ccm_timer.core.billing.rules import (
    CodeRule,
    Confidence,
    Eligibility,
    RulesError,
    RuleSet,
    TimeBasis,
    Track,
)
from ccm_timer.core.billing.rules_parser import parse_rules

__all__ = [
    "LONG_ENTRY_SECONDS",
    "CONSENT_ELEMENTS",
    "BillingWarning",
    "ClaimLine",
    "CodeRule",
    "Confidence",
    "Eligibility",
    "EnrollmentInput",
    "EntryInput",
    "EntryRow",
    "LongEntry",
    "MonthFlags",
    "NextThreshold",
    "Overlap",
    "PatientMonthInput",
    "PatientMonthResult",
    "PatientMonthTotals",
    "RecordInput",
    "RuleSet",
    "RulesError",
    "TimeBasis",
    "Track",
    "TrackChoice",
    "evaluate_entries",
    "evaluate_many",
    "evaluate_patient_month",
    "find_overlaps",
    "parse_rules",
    "totals_from_entries",
    "totals_from_rows",
]
