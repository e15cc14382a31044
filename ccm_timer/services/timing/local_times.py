"""Times typed by a person, read as wall-clock times in the clinic's time zone.

A wall time that does not exist (the spring-forward gap) or happens twice (the fall-back
hour) is refused with a sentence saying what to do, never guessed (reliability R2.7).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from ccm_timer.errors import UserError


def local_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    wall = datetime.combine(day, time(at.hour, at.minute))
    first, second = wall.replace(tzinfo=zone, fold=0), wall.replace(tzinfo=zone, fold=1)
    if first.utcoffset() != second.utcoffset():
        shown = wall.strftime("%Y-%m-%d %H:%M")
        if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != wall:
            raise UserError(f"{shown} does not exist in {zone.key} (the clocks jumped "
                            "forward); pick another time.")
        raise UserError(f"{shown} happens twice in {zone.key} (the clocks went back); add "
                        "this time with `ccm-timer entry add` and its UTC offset.")
    return first.astimezone(UTC)


def local_range(day: date, start: time, end: time, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) on `day`. An end at or before the start is refused, not read as the
    next day: a typo is likelier than work across midnight."""
    first, last = local_instant(day, start, zone), local_instant(day, end, zone)
    if last <= first:
        raise UserError("The end is not after the start; check the times.")
    return first, last
