"""Whose minutes the windows count (issue 19, point 2), on a real PostgreSQL hub: after a pull
the overview, a patient's month, the worklist and the tray say "all workstations, as of
..."; once the pull is old they say the others' minutes are in only as of it, and the
approval warns first (it does not forbid);
another workstation's running timer is in the tray's menu, not stoppable here."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from PySide6.QtWidgets import QLabel

from ccm_timer.services.delivery import hub, hub_pull, hub_scope, targets
from ccm_timer.services.people import clinicians
from ccm_timer.services.security import credentials
from ccm_timer.services.timing import timers
from ccm_timer.ui.overview import open_overview
from ccm_timer.ui.presenters import hub_words, tray_text
from tests.fixtures.clinic import PASSWORD, give_passwords
from tests.fixtures.delivery import HUB_PASSWORD, add_minutes
from tests.fixtures.tray import open_menu

DOCTOR = "Dr South Test"


def _sync(*workstations) -> None:
    for ws in workstations:
        hub.push_target(ws, targets.get(ws, "hub"), force=True)
    for ws in workstations:
        hub_pull.pull(ws, targets.get(ws, "hub"))


def _hhmm(ctx, at: datetime) -> str:
    return at.astimezone(ctx.zone).strftime("%H:%M")


@pytest.fixture
def pulled(two, hub_url, token_keyring, clock):
    """ws-north has 12 minutes for T1001 and a timer running 7 minutes; ws-south, with a
    practitioner, has pulled them."""
    north, south = two
    for ws in two:
        targets.add(ws, "hub", kind="hub", url=hub_url, secret=HUB_PASSWORD)
    clinicians.add(south, name=DOCTOR, credential="MD", role="practitioner",
                   npi="1234567893")
    give_passwords(south, (DOCTOR,))
    add_minutes(north, clock.now() - timedelta(days=1), 12)
    timers.start(north, patient_mrn="T1001", category_slug="phone-call")
    clock.advance(timedelta(minutes=7))
    _sync(north, south)
    return north, south


def _overview(qtbot, ctx, who: str | None = DOCTOR):
    window = open_overview(ctx, signer=credentials.verify(ctx, who, PASSWORD) if who else None)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: not window.loading, timeout=10_000)
    return window


def _reload(qtbot, window) -> None:
    window.reload()
    qtbot.waitUntil(lambda: not window.loading, timeout=10_000)


def _warning(prompt) -> str | None:
    found = prompt.findChild(QLabel, "partial")
    return found.text() if found is not None else None


def test_the_overview_says_all_workstations_then_this_one_and_the_approval_warns(
        qtbot, pulled, clock):
    north, south = pulled
    at = hub_scope.last_pull(south, "hub")
    window = _overview(qtbot, south)
    assert window.scope_line.isVisible()
    assert window.scope_line.text() == f"Minutes from all workstations, as of {_hhmm(south, at)}."
    assert window.scope_line.styleSheet() == hub_words.QUIET_STYLE
    assert [r.total_seconds for r in window.model.rows if r.mrn == "T1001"] == [12 * 60]
    window.table.selectRow(0)
    prompt = window.close_bar.ask_approve(every=False)
    assert prompt is not None and _warning(prompt) is None  # the clinic's totals
    prompt.reject()

    clock.advance(hub_scope.STALE_AFTER + timedelta(minutes=1))  # the hub not reached since
    _reload(qtbot, window)
    assert window.scope_line.text() == ("Minutes from this workstation, and the others as of "
                                        f"{_hhmm(south, at)}, when the clinic hub was last "
                                        "reached.")
    assert window.scope_line.styleSheet() == hub_words.PARTIAL_STYLE
    window.table.selectRow(0)
    prompt = window.close_bar.ask_approve(every=False)
    assert _warning(prompt).startswith("These totals hold other workstations' minutes only "
                                       f"as of {_hhmm(south, at)}, when the clinic hub was "
                                       "last reached.")
    layout = prompt.layout()  # tall enough for the warning's lines: none cut off
    assert prompt.height() >= layout.totalHeightForWidth(prompt.width())
    prompt.password.setText(PASSWORD)  # warned, not forbidden
    prompt.ok.click()
    assert window.close_bar.message.text().startswith("Approved November 2026 for ")

    _sync(south)  # synced again: the prompt no longer warns
    _reload(qtbot, window)
    assert window.scope_line.text().startswith("Minutes from all workstations, as of ")
    prompt = window.close_bar.ask_approve(every=True)
    assert _warning(prompt) is None
    prompt.reject()


def test_a_patient_s_month_says_whose_minutes_above_its_figures(qtbot, pulled, clock):
    from ccm_timer.ui.overview.patient_window import PatientMonthView

    _north, south = pulled
    at = hub_scope.last_pull(south, "hub")
    view = PatientMonthView(south, "T1001", "2026-11")
    qtbot.addWidget(view)
    view.show()
    assert view.scope_line.isVisible()
    assert view.scope_line.text() == f"Minutes from all workstations, as of {_hhmm(south, at)}."
    assert view.result.total_seconds == 12 * 60  # ws-north's, pulled
    clock.advance(hub_scope.STALE_AFTER + timedelta(minutes=1))
    view.reload()
    assert view.scope_line.text().startswith("Minutes from this workstation, and the others as of ")
    assert view.scope_line.styleSheet() == hub_words.PARTIAL_STYLE


def test_the_worklist_says_whose_minutes(qtbot, pulled, clock, make_tray):
    north, south = pulled
    at = hub_scope.last_pull(south, "hub")
    tray = make_tray(south, begin=False)  # no delivery thread: no pull behind the test
    window = tray.office.show("worklist")
    qtbot.waitUntil(lambda: window.worklist is not None and not window.loading, timeout=15_000)
    assert window.scope_line.text() == f"Minutes from all workstations, as of {_hhmm(south, at)}."
    clock.advance(hub_scope.STALE_AFTER + timedelta(minutes=1))
    window.reload()
    qtbot.waitUntil(lambda: not window.loading, timeout=15_000)
    assert window.scope_line.text().startswith(
        "Minutes from this workstation, and the others as of ")
    assert window.scope_line.styleSheet() == hub_words.PARTIAL_STYLE


def test_the_tray_shows_the_other_workstation_s_timer_and_cannot_stop_it(
        qtbot, pulled, make_tray):
    north, south = pulled
    tray = make_tray(south, begin=False)
    assert tray.status.scope.all_workstations
    started = hub_scope.live_timers(south)[0].started_at
    line = f"Nurse ws-north: timing on the ws-north workstation since {_hhmm(south, started)}"
    menu = open_menu(tray)
    assert menu[:2] == ["No timer running", line]
    shown = next(a for a in tray.menu.actions() if a.text() == line)
    assert not shown.isEnabled()  # information: it is stopped on its own workstation
    assert tray_tip(tray).endswith(line)
    timers.stop(north)
    _sync(north, south)
    tray.controller.refresh()
    assert line not in open_menu(tray)


def tray_tip(tray) -> str:
    return tray_text.tooltip(tray.status, 0)


def test_a_clinic_without_a_hub_says_this_workstation_only_and_never_warns(qtbot, clinic):
    window = _overview(qtbot, clinic, "Dr Blake Test")
    assert window.scope_line.text() == "Minutes from this workstation only."
    assert window.scope_line.styleSheet() == hub_words.QUIET_STYLE
    window.table.selectRow(0)
    prompt = window.close_bar.ask_approve(every=True)
    assert prompt is not None and _warning(prompt) is None
    prompt.reject()
