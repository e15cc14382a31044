"""The `clinic` database in mid-November 2026, and a helper to log time for its patients."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ccm_timer.services.timing import entries

NOV_20 = datetime(2026, 11, 20, 17, 0, tzinfo=UTC)  # 12:00 in New York
MONTH = "2026-11"


@pytest.fixture
def nov(clinic, clock):
    """`clinic` (T1001 CCM consented, T1002 CCM without consent, T1003 RPM consented) with
    the clock on 20 November 2026."""
    clock.advance(NOV_20 - clock.now())
    return clinic


def log(ctx, mrn: str | None, minutes: float, *, day: int = 4, hour: int = 14,
        clinician: str | None = None, category: str = "phone-call", note: str = "",
        program: str | None = None):
    """One stopped entry of `minutes` starting on November `day` at `hour`:00 UTC."""
    start = datetime(2026, 11, day, hour, 0, tzinfo=UTC)
    return entries.add_manual(ctx, patient_mrn=mrn, category_slug=category, start=start,
                              end=start + timedelta(seconds=round(minutes * 60)),
                              clinician=clinician, note=note, program=program)
