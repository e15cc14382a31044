"""`at` on stop and switch: the tray's moment of choice, never a moment still to come."""

from __future__ import annotations

from datetime import timedelta

from ccm_timer.services.timing import timers


def test_a_stop_at_a_chosen_moment_records_up_to_it(clinic, clock) -> None:
    timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
    clock.advance(14)
    chosen = clock.now()
    clock.advance(6)
    view = timers.stop(clinic, at=chosen)
    assert (view.end, view.seconds) == (chosen, 14)


def test_a_moment_still_to_come_is_now(clinic, clock) -> None:
    timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
    clock.advance(10)
    view = timers.stop(clinic, at=clock.now() + timedelta(minutes=5))
    assert (view.end, view.seconds) == (clock.now(), 10)


def test_a_switch_to_before_the_timer_began_starts_where_the_old_one_ended(clinic,
                                                                            clock) -> None:
    timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
    began = clock.now()
    clock.advance(10)
    stopped, new = timers.switch(clinic, patient_mrn="T1002", category_slug="care-plan",
                                 at=began - timedelta(minutes=1))
    assert stopped is not None
    assert stopped.end == new.start == began  # never inside the old entry
    assert stopped.seconds == 0
