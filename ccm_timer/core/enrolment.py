"""When an enrolment is in force for timing: the one rule the patient view, the activity
pickers and the command line's plain start share (services/people/record_status.active,
services/timing/categories.programs_on, services/timing/quick_timers)."""

from __future__ import annotations

from datetime import date


def enrolled_on(withdrawn_on: date | None, end_date: date | None, day: date) -> bool:
    """Enrolled on `day`: not withdrawn on or before it, not ended before it."""
    return (withdrawn_on is None or withdrawn_on > day) and (end_date is None or end_date >= day)
