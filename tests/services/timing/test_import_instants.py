"""An import's fast reading of times gives what core/parse.parse_instant gives, refusals and
their words included, in zones with clock changes on the hour and on the half hour."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ccm_timer.core.parse import parse_instant
from ccm_timer.services.timing.import_instants import Instants

SHAPES = ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%SZ",
          "%Y-%m-%dT%H:%M:%S+05:30", "%Y-%m-%dT%H:%M-23:59", "%Y-%m-%dT%H:%M+24:00",
          "%Y-02-30T%H:%M", " %Y-%m-%dT%H:%M ", "%Y-%m-%dT%H:%M:%S.25", "%Y%m%dT%H%M",
          "%Y-%m-%d")
# Clock changes: New York's on the hour (the gap at 2:00, the fold at 1:00), Lord Howe's
# half-hour change at 2:00 (a gap of 30 minutes, a fold from 1:30), and the year 9999.
EDGES = ("2025-03-09T02:30", "2025-03-09T01:59", "2025-03-09T03:00", "2025-11-02T01:30",
         "2025-11-02T00:59", "2025-11-02T02:00", "2025-10-05T02:15", "2025-04-06T01:45",
         "2025-04-06T01:15", "9999-12-31T23:59", "9999-12-31T23:59-05:00", "2025-13-01T10:00")


def _either(read, text: str):
    try:
        at = read(text)
    except ValueError as exc:
        return "refused", str(exc)
    return at, at.tzinfo


@pytest.mark.parametrize("zone", ["America/New_York", "Australia/Lord_Howe", "UTC"])
def test_the_fast_reading_is_parse_instant(zone):
    tz, rnd = ZoneInfo(zone), random.Random(zone)
    fast = Instants(tz)
    texts = [*EDGES, *(
        (datetime(2025, 1, 1) + timedelta(minutes=rnd.randrange(0, 60 * 24 * 366)))
        .strftime(rnd.choice(SHAPES)) for _ in range(3_000))]
    for text in texts:
        assert _either(fast, text) == _either(lambda t: parse_instant(t, tz), text), text
