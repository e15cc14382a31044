"""The overlap refusal in people's words (issue 17): the other entry's activity and local
times, no patient; the command line's sentence keeps the id `entry edit` takes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ccm_timer.services.timing import entries
from ccm_timer.services.timing.entry_checks import Overlap, overlap_when
from tests.fixtures.clinic import corrector, log

NY = ZoneInfo("America/New_York")


def test_the_overlap_names_the_other_call_in_local_time_and_no_patient(nov, clock):
    clock.advance(datetime(2026, 11, 4, 20, 0, tzinfo=UTC) - clock.now())  # 15:00 New York
    other = log(nov, "T1001", 15, hour=13, note="Call about refills")  # 8:00-8:15 AM local
    with pytest.raises(Overlap) as caught:
        entries.add_manual(nov, patient_mrn="T1002", category_slug="phone-call",
                           start=datetime(2026, 11, 4, 13, 10, tzinfo=UTC),
                           end=datetime(2026, 11, 4, 13, 30, tzinfo=UTC))
    said = caught.value.in_app
    assert said == ("It overlaps Avery Nurse's phone call with patient or caregiver from 8:00 "
                    "to 8:15 AM today; change the times.")
    assert "Testpatient" not in said and "T1001" not in said and "+00:00" not in said
    assert str(other.id)[:13] not in said
    cli = str(caught.value)  # the command line's: the id `ccm-timer entry edit` takes
    assert f"overlaps entry {str(other.id)[:13]}" in cli and "8:00 to 8:15 AM today" in cli


def test_the_overlap_of_a_correction_says_the_other_entry_and_nothing_changes(nov, clock):
    first = log(nov, "T1001", 15)
    log(nov, "T1002", 10, hour=15)  # 10:00 AM New York, on the 4th; the clock is on the 20th
    with pytest.raises(Overlap, match="from 10:00 to 10:10 AM on Wed 4 Nov;"):
        entries.edit(nov, str(first.id), reason="longer",
                     end=datetime(2026, 11, 4, 15, 5, tzinfo=UTC), by=corrector(nov))
    assert entries.history(nov, str(first.id))[-1].seconds == 900


@pytest.mark.parametrize(("start", "end", "said"), [
    ((11, 50), (12, 10), "from 11:50 AM to 12:10 PM today"),
    ((13, 0), (13, 45), "from 1:00 to 1:45 PM today"),
    ((0, 5), None, "from 12:05 AM today, still running"),
])
def test_local_clock_times_as_people_say_them(start, end, said):
    day = datetime(2026, 12, 1, tzinfo=NY)
    first = day.replace(hour=start[0], minute=start[1])
    last = day.replace(hour=end[0], minute=end[1]) if end else None
    assert overlap_when(first, last, day + timedelta(hours=23), NY) == said


def test_across_midnight_and_another_year_each_end_has_its_day():
    start = datetime(2025, 12, 31, 23, 50, tzinfo=NY)
    now = datetime(2026, 1, 2, 9, 0, tzinfo=NY)
    assert overlap_when(start, start + timedelta(minutes=20), now, NY) == (
        "from 11:50 PM on Wed 31 Dec 2025 to 12:10 AM yesterday")
