"""What the tray reads: recent pairs, a patient's month total, the status snapshot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ccm_timer.core.access import Action
from ccm_timer.services.people import clinicians
from ccm_timer.services.timing import entries, recent, timers, totals
from ccm_timer.ui.presenters import tray_status
from tests.fixtures.clinic import NURSE, signer


def _hand(clinic, mrn, slug, start, minutes, clinician=None):
    return entries.add_manual(clinic, patient_mrn=mrn, category_slug=slug, start=start,
                              end=start + timedelta(minutes=minutes), clinician=clinician)


def test_recent_pairs_newest_first_each_pair_once(clinic, clock) -> None:
    t = clock.now() - timedelta(days=2)
    for i, (mrn, slug) in enumerate([("T1001", "phone-call"), ("T1002", "care-plan"),
                                     ("T1001", "phone-call"), ("T1003", "rpm-treatment")]):
        _hand(clinic, mrn, slug, t + timedelta(hours=i), 5)
        clock.advance(1)  # created one after another
    pairs = recent.recent_pairs(clinic)
    assert [(p.patient_mrn, p.category) for p in pairs] == [
        ("T1003", "rpm-treatment"), ("T1001", "phone-call"), ("T1002", "care-plan")]
    assert pairs[0].patient_masked == "C.E. …003"
    assert pairs[1].patient_name == "Testpatient, Alma"


def test_recent_pairs_leave_out_voided_program_level_and_other_clinicians(clinic, clock) -> None:
    t = clock.now() - timedelta(days=1)
    kept = _hand(clinic, "T1001", "phone-call", t, 5)
    clock.advance(1)
    voided = _hand(clinic, "T1002", "care-plan", t + timedelta(hours=1), 5)
    entries.void(clinic, str(voided.id), reason="wrong patient",
                 by=signer(clinic, NURSE, Action.CORRECT_ENTRY))
    clock.advance(1)
    entries.add_manual(clinic, patient_mrn=None, category_slug="program-monitoring",
                       start=t + timedelta(hours=2), end=t + timedelta(hours=3))
    clock.advance(1)
    _hand(clinic, "T1003", "rpm-treatment", t + timedelta(hours=4), 5, clinician="Dr Blake Test")
    assert [(p.patient_mrn, p.category) for p in recent.recent_pairs(clinic)] == [
        (kept.patient_mrn, "phone-call")]
    assert [p.patient_mrn for p in recent.recent_pairs(clinic, "Dr Blake Test")] == ["T1003"]


def test_recent_pairs_stop_at_the_limit(clinic, clock) -> None:
    t = clock.now() - timedelta(days=3)
    slugs = ["phone-call", "care-plan", "med-rec", "coordination", "records-review",
             "referring-physician"]
    for i, slug in enumerate(slugs):
        _hand(clinic, "T1001", slug, t + timedelta(hours=i), 5)
        clock.advance(1)
    assert [p.category for p in recent.recent_pairs(clinic, limit=5)] == slugs[::-1][:5]


def test_month_total_counts_every_clinician_and_only_this_month(clinic, clock) -> None:
    # T0 is 2026-11-03 10:00 in New York; October ends at 04:00 UTC on 1 November.
    edge = datetime(2026, 11, 1, 4, 0, tzinfo=UTC)
    _hand(clinic, "T1001", "phone-call", edge - timedelta(minutes=10), 30)  # 20 in November
    _hand(clinic, "T1001", "care-plan", clock.now() - timedelta(hours=5), 15,
          clinician="Dr Blake Test")
    voided = _hand(clinic, "T1001", "med-rec", clock.now() - timedelta(hours=3), 40)
    entries.void(clinic, str(voided.id), reason="entered twice",
                 by=signer(clinic, NURSE, Action.CORRECT_ENTRY))
    _hand(clinic, "T1002", "phone-call", clock.now() - timedelta(hours=2), 50)
    timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
    clock.advance(90)
    assert totals.patient_month_seconds(clinic, "T1001") == (20 + 15) * 60 + 90
    october = edge - timedelta(hours=1)
    assert totals.patient_month_seconds(clinic, "T1001", october) == 10 * 60


def test_recorded_carries_the_month_total_except_for_program_level_time(clinic, clock) -> None:
    timers.start(clinic, patient_mrn="T1002", category_slug="phone-call")
    clock.advance(125)
    rec = totals.recorded(clinic, timers.stop(clinic))
    assert rec.entry.seconds == 125 and rec.month_seconds == 125
    timers.start(clinic, patient_mrn=None, category_slug="quality-improvement")
    clock.advance(60)
    assert totals.recorded(clinic, timers.stop(clinic)).month_seconds is None


def test_snapshot_idle_running_paused(clinic, clock) -> None:
    snap = tray_status.snapshot(clinic)
    assert (snap.state, snap.clinician_name, snap.entry) == ("idle", "Avery Nurse", None)
    assert [c.name for c in snap.clinicians] == ["Avery Nurse", "Dr Blake Test"]
    timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
    clock.advance(30)
    snap = tray_status.snapshot(clinic)
    assert snap.state == "running" and snap.entry.seconds == 30
    clock.advance(15)  # counts on in monotonic time without another read
    assert snap.elapsed(clock.monotonic_ns()) == 45
    timers.pause(clinic)
    clock.advance(100)
    snap = tray_status.snapshot(clinic)
    assert snap.state == "paused" and snap.elapsed(clock.monotonic_ns()) == 45


def test_snapshot_hides_the_running_pair_from_recent(clinic, clock) -> None:
    _hand(clinic, "T1002", "care-plan", clock.now() - timedelta(hours=3), 5)
    clock.advance(1)
    _hand(clinic, "T1001", "phone-call", clock.now() - timedelta(hours=2), 5)
    timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
    snap = tray_status.snapshot(clinic)
    assert [(p.patient_mrn, p.category) for p in snap.recent] == [("T1002", "care-plan")]


def test_snapshot_for_another_clinician_and_for_none(ctx, clinic) -> None:
    blake = next(c for c in clinicians.list_clinicians(clinic) if c.name == "Dr Blake Test")
    assert tray_status.snapshot(clinic, str(blake.id)).clinician_name == "Dr Blake Test"
    assert tray_status.snapshot(clinic, "not-an-id").clinician_name == "Avery Nurse"


def test_snapshot_without_clinicians_is_setup(ctx) -> None:
    snap = tray_status.snapshot(ctx)
    assert snap.state == "setup" and not snap.live and snap.elapsed(0) == 0


def test_snapshot_names_other_clinicians_with_a_live_timer(clinic, clock) -> None:
    assert tray_status.snapshot(clinic).others_live == ()
    timers.start(clinic, patient_mrn="T1003", category_slug="rpm-treatment",
                 clinician="Dr Blake Test")
    timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
    assert tray_status.snapshot(clinic).others_live == ("Dr Blake Test",)
    timers.pause(clinic, "Dr Blake Test")
    assert tray_status.snapshot(clinic).others_live == ("Dr Blake Test",)
    timers.stop(clinic, "Dr Blake Test")
    assert tray_status.snapshot(clinic).others_live == ()
