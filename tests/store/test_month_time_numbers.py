"""month_time's `numbers` keys (the report's): the same seconds, long entries and time
before a consent cut as its UUID keys, in the same order, through the rollup and from the
entries alone."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from ccm_timer.core.month import YearMonth
from ccm_timer.services.people import patients
from ccm_timer.services.timing import entries, timers
from ccm_timer.store import month_rollup
from ccm_timer.store.month_time import MonthTime, _month_time

NY = ZoneInfo("America/New_York")
NOV = YearMonth(2026, 11)
GROUPS = ("patient", "clinician", "program")


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=NY).astimezone(UTC)


def _as_numbers(time: MonthTime) -> MonthTime:
    def key(k: tuple) -> tuple:
        return tuple(v.int if isinstance(v, uuid.UUID) else v for v in k)

    return MonthTime({key(k): v for k, v in time.seconds.items()},
                     {key(k): v for k, v in time.entries_over.items()},
                     {key(k): v for k, v in time.before.items()})


def test_number_keys_are_the_uuid_keys_as_numbers(clinic, clock):
    clock.advance(local(2026, 11, 20, 12, 0) - clock.now())
    add = entries.add_manual
    add(clinic, patient_mrn="T1001", category_slug="phone-call",
        start=local(2026, 11, 5, 10, 0), end=local(2026, 11, 5, 10, 15))  # before the cut
    add(clinic, patient_mrn="T1001", category_slug="phone-call",
        start=local(2026, 11, 16, 8, 0), end=local(2026, 11, 16, 13, 0))  # long, after it
    add(clinic, patient_mrn="T1002", category_slug="phone-call",
        start=local(2026, 10, 31, 23, 0), end=local(2026, 11, 1, 1, 0))  # across the edge
    add(clinic, patient_mrn=None, category_slug="quality-improvement",
        start=local(2026, 11, 6, 9, 0), end=local(2026, 11, 6, 9, 4))  # program level
    timers.start(clinic, patient_mrn="T1002", category_slug="phone-call")
    clock.advance(timedelta(minutes=7))
    with clinic.read() as session:
        t1001 = patients.find(session, "T1001").id
    cut = {(t1001, "CCM"): local(2026, 11, 15, 0, 0)}
    with clinic.engine.connect() as conn:
        assert month_rollup.usable(conn, NY)
        for rolled in (True, False):
            args = (conn, NOV, NY, clock.now(), GROUPS, None, 4 * 3600, cut)
            as_uuids = _month_time(*args, rolled=rolled)
            as_numbers = _month_time(*args, rolled=rolled, numbers=True)
            assert as_numbers == _as_numbers(as_uuids), rolled
            assert list(as_numbers.seconds) == list(_as_numbers(as_uuids).seconds)
            assert [(k[0], k[2], v) for k, v in as_numbers.before.items()] == [
                (t1001.int, "CCM", 15 * 60)]
            assert [(k[0], [secs for _, secs in v]) for k, v in
                    as_numbers.entries_over.items()] == [(t1001.int, [5 * 3600])]
