"""Questions asked before unobserved time counts: crash recovery, sleep gaps, reminders."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from sqlmodel import select

from ccm_timer.services.timing import entries, recovery, timers
from ccm_timer.store.models import AuditEvent, Heartbeat


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _crashed(clinic, clock):
    """A timer whose app died 60 s in; we come back 10 minutes later."""
    view = timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
    clock.advance(60)
    recovery.beat(clinic, pid=_dead_pid())
    clock.advance(600)
    return view


def _run(tray, clock, seconds: int) -> None:
    """Let a running timer tick once a second for `seconds`, as the app does."""
    for _ in range(seconds):
        clock.advance(1)
        tray.controller.tick()


def _heartbeat(clinic):
    with clinic.read() as session:
        return session.get(Heartbeat, clinic.workstation)


def _audit(clinic, action: str) -> list[dict]:
    with clinic.read() as session:
        rows = session.exec(select(AuditEvent).where(AuditEvent.action == action)).all()
        return [json.loads(r.after) for r in rows]


@pytest.mark.parametrize(("button", "seconds", "voided"), [
    ("stop", 60, False), ("keep", 660, False), ("discard", 660, True)])
def test_crash_leftover_is_asked_about_before_the_first_heartbeat(
        clinic, clock, make_tray, qtbot, button, seconds, voided) -> None:
    view = _crashed(clinic, clock)
    dead = _heartbeat(clinic).pid
    tray = make_tray(clinic)
    dialog = tray.dialogs["recovery"]
    assert dialog.isVisible()
    assert dialog.headline.text() == "A timer was left running"
    assert "then the app stopped unexpectedly" in dialog.text.text()
    assert tray.surface.headline.text() == "Timer left running: decide"
    assert tray.surface.primary_button.text() == "&Decide…"
    assert not tray.controller._tick.isActive()  # nothing counts until decided
    assert list(dialog.buttons) == ["stop", "keep", "discard"]
    assert dialog.buttons["stop"].isDefault()
    assert _heartbeat(clinic).pid == dead  # not yet: a beat would hide the crash
    assert tray.controller.status.pending_recovery == 1
    dialog.buttons[button].click()
    assert not dialog.isVisible()
    (after,) = entries.list_entries(clinic, include_voided=True)
    assert after.origin_id == view.origin_id
    assert (after.seconds, after.voided, after.state) == (seconds, voided, (
        "running" if button == "keep" else "stopped"))
    assert _heartbeat(clinic).pid not in (dead, 0)  # now this app watches
    assert _audit(clinic, f"recovery.{button}")


def test_recovery_cannot_be_dismissed_and_blocks_other_actions(
        clinic, clock, make_tray, qtbot) -> None:
    _crashed(clinic, clock)
    tray = make_tray(clinic)
    dialog = tray.dialogs["recovery"]
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert dialog.isVisible()
    dialog.hide()  # e.g. lost behind other windows
    tray.menu.aboutToShow.emit()
    assert tray.menu.defaultAction().text() == "&Decide about the timer left running…"
    tray.show_start()
    assert dialog.isVisible() and "start" not in tray.dialogs
    qtbot.keyClick(dialog.buttons["stop"], Qt.Key.Key_Return)
    assert tray.controller.status.pending_recovery == 0


def test_a_sleep_gap_is_asked_about_before_it_is_counted(clinic, clock, make_tray) -> None:
    timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
    tray = make_tray(clinic)
    _run(tray, clock, 300)
    clock.advance(1)
    clock.jump(timedelta(hours=2))  # asleep: wall time moves, monotonic does not
    tray.controller.tick()
    dialog = tray.dialogs["gap"]
    assert dialog.isVisible()
    assert dialog.headline.text() == "The computer slept or its clock jumped"
    assert "(2 h 00 min) this timer was not watched" in dialog.text.text()
    assert list(dialog.buttons) == ["exclude", "keep", "stop"]
    assert dialog.buttons["exclude"].isDefault()
    assert _audit(clinic, "timer.gap") == []  # nothing decided yet
    clock.advance(60)
    dialog.buttons["exclude"].click()
    view = timers.status(clinic).entry
    assert view.seconds == 300 + 60  # the two hours asleep (and one tick) are not billed
    (event,) = _audit(clinic, "timer.gap")
    assert event["choice"] == "exclude" and event["gap"]["kind"] == "forward"
    assert event["gap"]["mono_seconds"] == pytest.approx(1.0)
    assert event["gap"]["wall_seconds"] == pytest.approx(7201.0)


def test_stopping_while_a_gap_question_is_open_leaves_the_gap_out(
        clinic, clock, make_tray) -> None:
    timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
    tray = make_tray(clinic)
    _run(tray, clock, 120)
    clock.jump(timedelta(hours=1))
    tray.controller.tick()
    assert tray.dialogs["gap"].isVisible()
    tray.show_stop()
    tray.dialogs["stop"].submit()
    assert entries.list_entries(clinic)[-1].seconds == 120
    assert not tray.dialogs["gap"].isVisible()
    assert _audit(clinic, "timer.gap")[0]["choice"] == "exclude"


def test_two_gaps_are_asked_one_after_the_other(clinic, clock, make_tray) -> None:
    timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
    tray = make_tray(clinic)
    for _ in range(2):
        _run(tray, clock, 10)
        clock.jump(timedelta(minutes=30))
        tray.controller.tick()
    dialog = tray.dialogs["gap"]
    dialog.buttons["keep"].click()
    assert dialog.isVisible()  # the second question
    dialog.buttons["exclude"].click()
    assert not dialog.isVisible()
    assert [e["choice"] for e in _audit(clinic, "timer.gap")] == ["keep", "exclude"]
    assert timers.status(clinic).entry.seconds == 20 + 30 * 60


def test_reminder_after_the_set_minutes_with_stop_and_keep_going(
        clinic, clock, make_tray) -> None:
    clinic.update_settings(reminder_minutes=45)
    timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
    tray = make_tray(clinic)
    _run(tray, clock, 45 * 60 - 1)
    assert "reminder" not in tray.dialogs
    _run(tray, clock, 1)
    dialog = tray.dialogs["reminder"]
    assert dialog.isVisible() and list(dialog.buttons) == ["keep", "stop"]
    assert dialog.headline.text() == "Timer still running: 45 min"
    dialog.reject()  # Esc or the close box: keep going
    assert not dialog.isVisible() and timers.status(clinic).state == "running"
    _run(tray, clock, 45 * 60 - 1)
    assert not dialog.isVisible()
    _run(tray, clock, 1)
    assert dialog.isVisible()
    dialog.buttons["stop"].click()
    assert tray.dialogs["stop"].isVisible()


def test_a_timer_started_in_the_tray_is_watched_from_its_first_second(
        clinic, clock, make_tray) -> None:
    tray = make_tray(clinic)
    clock.advance(5)  # the 30-second heartbeat is not due for a while
    view = tray.controller.start("T1001", "phone-call")
    assert _heartbeat(clinic).last_seen_utc >= view.created_at
    with clinic.write() as session:  # the app dies here, before its next heartbeat
        session.get(Heartbeat, clinic.workstation).pid = _dead_pid()
    clock.advance(600)
    (orphan,) = recovery.pending(clinic)
    assert orphan.entry.id == view.id and orphan.last_seen == view.start


def test_quitting_before_deciding_keeps_the_crash_evidence(clinic, clock, make_tray) -> None:
    _crashed(clinic, clock)
    before = _heartbeat(clinic)
    tray = make_tray(clinic)
    clock.advance(300)
    tray.quit()  # with the question unanswered
    assert tray.quits == [True]
    after = _heartbeat(clinic)
    assert (after.last_seen_utc, after.pid) == (before.last_seen_utc, before.pid)
    (orphan,) = recovery.pending(clinic)
    assert orphan.last_seen == before.last_seen_utc


def test_a_leftover_decided_from_the_command_line_meanwhile_unblocks_the_tray(
        clinic, clock, make_tray) -> None:
    view = _crashed(clinic, clock)
    tray = make_tray(clinic)
    recovery.resolve(clinic, str(view.id), "stop")  # what `ccm-timer recover --stop` does
    tray.dialogs["recovery"].buttons["keep"].click()
    assert [m.text() for m in tray.messages if m.isVisible()] == [
        "That timer does not need recovery."]
    assert tray.controller.status.pending_recovery == 0
    assert _heartbeat(clinic).pid == os.getpid()  # watching now
    assert entries.list_entries(clinic)[-1].seconds == 60  # the CLI's decision stands
    tray.messages[0].button(QMessageBox.StandardButton.Ok).click()
    assert tray.messages == []
