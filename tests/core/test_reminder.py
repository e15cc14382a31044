"""The "still running?" reminder schedule."""

from __future__ import annotations

from ccm_timer.core.reminder import Reminder


def test_due_after_the_period_then_again_a_full_period_after_keep_going() -> None:
    r = Reminder(every_minutes=60)
    r.follow("entry-1")
    assert not r.due(59 * 60 + 59)
    assert r.due(60 * 60)
    r.keep_going(60 * 60 + 30)
    assert not r.due(119 * 60)
    assert r.due(120 * 60 + 30)


def test_nothing_live_or_zero_minutes_never_reminds() -> None:
    r = Reminder(every_minutes=60)
    assert not r.due(10 * 3600)
    r.follow("entry-1")
    r.every_minutes = 0
    assert not r.due(10 * 3600)


def test_a_new_entry_starts_counting_afresh_and_a_long_one_found_is_due_at_once() -> None:
    r = Reminder(every_minutes=60)
    r.follow("entry-1")
    r.keep_going(3600)
    r.follow("entry-2")
    assert r.due(3 * 3600)  # found already running for hours: remind now
    r.follow("entry-2")  # the same entry again keeps its acknowledgement
    r.keep_going(3 * 3600)
    r.follow("entry-2")
    assert not r.due(3 * 3600 + 60)
