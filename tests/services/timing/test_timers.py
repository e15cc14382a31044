from datetime import timedelta

import pytest
from sqlmodel import select

from ccm_timer.errors import UserError
from ccm_timer.services.security import audit
from ccm_timer.services.timing import timers
from ccm_timer.store.models import AuditEvent, Interval


def test_start_pause_resume_stop_commits_each_step(clinic, clock):
    started = timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
    assert started.state == "running"
    assert started.start == clock.now()
    clock.advance(300)
    assert timers.pause(clinic).seconds == 300
    clock.advance(900)
    assert timers.status(clinic).entry.seconds == 300  # paused time does not count
    timers.resume(clinic)
    clock.advance(120)
    stopped = timers.stop(clinic, note="Reviewed BP log")
    assert (stopped.state, stopped.seconds, stopped.note) == ("stopped", 420, "Reviewed BP log")
    assert timers.status(clinic).state == "idle"
    with clinic.read() as s:
        assert len(s.exec(select(Interval).where(Interval.entry_id == stopped.id)).all()) == 2
        actions = [e.action for e in s.exec(select(AuditEvent))]
        assert actions[-4:] == ["timer.start", "timer.pause", "timer.resume", "timer.stop"]
        assert audit.verify(s).ok


def test_one_live_timer_per_clinician(clinic):
    timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
    with pytest.raises(UserError, match="already running"):
        timers.start(clinic, patient_mrn="T1002", category_slug="med-rec")
    # Another clinician on the same workstation may run their own.
    other = timers.start(clinic, patient_mrn="T1002", category_slug="care-plan",
                         clinician="Dr Blake Test")
    assert other.clinician == "Dr Blake Test"


def test_switch_is_atomic(clinic, clock):
    timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
    clock.advance(60)
    stopped, started = timers.switch(clinic, patient_mrn="T1002", category_slug="med-rec")
    assert stopped.seconds == 60 and stopped.state == "stopped"
    assert started.patient_mrn == "T1002" and started.start == stopped.end
    # A switch to something invalid changes nothing: the first timer keeps running.
    with pytest.raises(UserError):
        timers.switch(clinic, patient_mrn="NOPE", category_slug="med-rec")
    assert timers.status(clinic).entry.id == started.id


@pytest.mark.parametrize("action", ["pause", "resume", "stop"])
def test_nothing_running(clinic, action):
    with pytest.raises(UserError, match="No timer is running"):
        getattr(timers, action)(clinic)


def test_program_level_category_takes_no_patient(clinic):
    with pytest.raises(UserError, match="takes no patient"):
        timers.start(clinic, patient_mrn="T1001", category_slug="quality-improvement")
    entry = timers.start(clinic, patient_mrn=None, category_slug="quality-improvement")
    assert entry.patient_mrn is None and entry.program is None


def test_patient_category_needs_a_patient(clinic):
    with pytest.raises(UserError, match="needs a patient"):
        timers.start(clinic, patient_mrn=None, category_slug="phone-call")


def test_start_instant_kept_to_the_microsecond(clinic, clock):
    clock.advance(timedelta(microseconds=123457))
    entry = timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
    assert entry.start.microsecond == 123457
