"""The month-time function gives the same seconds on the clinic hub's PostgreSQL as on the
workstation's SQLite: running time up to now, entries split at the month edges, long
entries listed (string_agg there, group_concat here)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ccm_timer.core.month import YearMonth
from ccm_timer.services.delivery import hub
from ccm_timer.services.timing import entries, timers
from ccm_timer.store.month_time import month_time
from tests.fixtures.delivery import HUB_PASSWORD, open_workstation

NY = ZoneInfo("America/New_York")
GROUPINGS = [("patient", "role", "program"), ("entry",), ()]


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=NY).astimezone(UTC)


@pytest.fixture
def ws(tmp_path, clock):
    clock.advance(timedelta(days=1))  # 4 November: all of 3 November past
    ctx = open_workstation(tmp_path / "ws", "ws-north", clock)
    yield ctx
    ctx.close()


def test_hub_and_workstation_count_the_same_seconds(ws, hub_url, clock):
    # 22:30 EDT 31 October to 03:30 EST 1 November: 1 h 30 in October, 4 h 30 in November.
    entries.add_manual(ws, patient_mrn="T1001", category_slug="phone-call",
                       start=local(2026, 10, 31, 22, 30), end=local(2026, 11, 1, 3, 30))
    entries.add_manual(ws, patient_mrn=None, category_slug="quality-improvement",
                       start=local(2026, 11, 2, 9, 0), end=local(2026, 11, 2, 9, 40))
    timers.start(ws, patient_mrn="T1001", category_slug="phone-call")
    clock.advance(timedelta(minutes=12))
    now = clock.now()
    hub.push(ws, hub_url, HUB_PASSWORD)
    engine = hub.open_engine(hub_url, HUB_PASSWORD)
    try:
        for month in (YearMonth(2026, 10), YearMonth(2026, 11)):
            for by in GROUPINGS:
                for at in (now, None):
                    with ws.engine.connect() as conn:
                        here = month_time(conn, month, NY, at, by=by, entries_over=4 * 3600)
                    with engine.connect() as conn:
                        there = month_time(conn, month, NY, at, by=by, entries_over=4 * 3600)
                    assert there == here, (month, by, at)
        with engine.connect() as conn:
            nov = month_time(conn, YearMonth(2026, 11), NY, now, by=())
        assert nov.seconds == {(): (4 * 60 + 30 + 40 + 12) * 60}
        assert hub.month_seconds(engine, "2026-11", NY, now) == {
            "T1001": {("clinical_staff", "CCM"): (4 * 60 + 30 + 12) * 60}}
        assert hub.month_seconds(engine, "2026-11", NY) == {  # closed intervals only
            "T1001": {("clinical_staff", "CCM"): (4 * 60 + 30) * 60}}
    finally:
        engine.dispose()
