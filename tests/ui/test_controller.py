"""The state hub: changes made elsewhere show up without polling, heartbeats, the tick."""

from __future__ import annotations

import time

from ccm_timer.services.timing import timers
from ccm_timer.store.models import Heartbeat
from ccm_timer.ui.controller import TimerController


def test_a_timer_started_and_stopped_from_the_command_line_shows_within_two_seconds(
        tray, cli, qtbot) -> None:
    controller = tray.controller
    assert controller.status.state == "idle"
    result = cli("start", "--patient", "T1002", "--category", "phone-call")
    assert result.returncode == 0, result.stderr
    done = time.monotonic()
    qtbot.waitUntil(lambda: controller.status.state == "running", timeout=2000)
    assert time.monotonic() - done < 2.0
    assert controller.status.entry.patient_mrn == "T1002"
    assert tray.surface.headline.text().startswith("Running")
    assert cli("stop").returncode == 0
    qtbot.waitUntil(lambda: controller.status.state == "idle", timeout=2000)


def test_no_refresh_without_a_change(tray, qtbot) -> None:
    seen: list[object] = []
    tray.controller.state_changed.connect(seen.append)
    tray.controller.beat()  # our own write: one refresh at most
    qtbot.wait(1200)
    assert len(seen) <= 1
    seen.clear()
    qtbot.wait(1200)  # quiet: no polling
    assert seen == []


def test_heartbeat_is_written_on_its_interval(clinic, qtbot) -> None:
    controller = TimerController(clinic, heartbeat_ms=100)
    try:
        controller.refresh()
        controller.start_heartbeat()
        with clinic.read() as session:
            first = session.get(Heartbeat, clinic.workstation).monotonic_ns
        clinic.clock.advance(5)
        qtbot.waitUntil(lambda: _beat(clinic) != first, timeout=2000)
    finally:
        controller.shutdown()
    with clinic.read() as session:
        assert session.get(Heartbeat, clinic.workstation).pid == 0  # released on quit


def _beat(clinic) -> int:
    with clinic.read() as session:
        return session.get(Heartbeat, clinic.workstation).monotonic_ns


def test_the_tick_runs_only_while_a_timer_runs(clinic, make_tray, qtbot) -> None:
    tray = make_tray(clinic)
    assert not tray.controller._tick.isActive()
    tray.controller.start("T1001", "phone-call")
    assert tray.controller._tick.isActive()
    ticks: list[int] = []
    tray.controller.ticked.connect(ticks.append)
    qtbot.waitUntil(lambda: len(ticks) >= 1, timeout=2500)
    tray.controller.toggle_pause()
    assert not tray.controller._tick.isActive()
    assert timers.status(clinic).state == "paused"


def test_settings_another_program_changes_reach_the_running_tray(ctx, make_tray,
                                                                  qtbot) -> None:
    """The issue's "No clinician is set" after `clinician add` while the tray ran: the
    command wrote the default clinician to the settings file and the tray kept the
    settings it had read at start (only a restart helped)."""
    from ccm_timer.services.context import open_app
    from ccm_timer.services.people import clinicians

    tray = make_tray(ctx, signed_in=None)
    assert ctx.settings.default_clinician == ""
    other = open_app(str(ctx.paths.data))  # the command line's own context
    try:
        added = clinicians.add(other, name="Casey Nurse", credential="RN",
                                role="clinical_staff")
    finally:
        other.close()
    qtbot.waitUntil(lambda: ctx.settings.default_clinician == str(added.id), timeout=3000)
    with ctx.read() as session:
        assert clinicians.find(session, ctx, None).name == "Casey Nurse"
    assert tray.controller.status.state != "setup"
