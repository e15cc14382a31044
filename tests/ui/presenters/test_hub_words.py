"""Whose minutes the figures count, in the words a nurse and a practitioner read (issue 19,
point 2): the line above the figures, the tray's bracket, the warning before an approval on
one workstation's totals, and the other workstations' live timers in the tray."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from ccm_timer.services.delivery import hub_scope
from ccm_timer.services.delivery.hub_scope import LiveTimer
from ccm_timer.services.security import credentials
from ccm_timer.services.timing import timers, totals
from ccm_timer.ui.presenters import hub_words, tray_status, tray_text
from tests.fixtures.clinic import NURSE, PASSWORD

AT = datetime(2026, 11, 4, 15, 42, tzinfo=UTC)
CLINIC = hub_scope.recent("hub", AT, "10:42")
STALE = hub_scope.stale("hub", AT, "09:10")
NEVER = hub_scope.unreached("hub")
ALONE = hub_scope.alone()


def test_the_line_above_the_figures_says_whose_minutes_and_is_amber_only_when_partial():
    assert hub_words.line(CLINIC) == "Minutes from all workstations, as of 10:42."
    # The others' minutes up to the last pull are still in the figures: not "only".
    assert hub_words.line(STALE) == ("Minutes from this workstation, and the others as of "
                                     "09:10, when the clinic hub was last reached.")
    assert hub_words.line(ALONE) == "Minutes from this workstation only."
    assert [hub_words.partial(s) for s in (CLINIC, STALE, NEVER, ALONE)] == [
        False, True, True, False]
    assert hub_words.line_style(STALE) == hub_words.line_style(NEVER) == hub_words.PARTIAL_STYLE
    assert hub_words.line_style(CLINIC) == hub_words.line_style(ALONE) == hub_words.QUIET_STYLE
    assert "Sync now" in hub_words.line_tip(STALE)
    assert "no time with a clinic hub" in hub_words.line_tip(ALONE)


def test_the_approval_is_warned_on_partial_totals_only_and_told_how_to_fix_it():
    said = hub_words.approval_warning(STALE)
    assert said == ("These totals hold other workstations' minutes only as of 09:10, when the "
                    "clinic hub was last reached. Minutes recorded on other workstations may be "
                    "missing, so the codes may be wrong. Before approving, connect to the "
                    "clinic network and choose Sync now in the CCM Timer menu.")
    assert "the clinic hub has not been reached yet." in hub_words.approval_warning(NEVER)
    # The clinic's totals, or a clinic with no hub: nothing to warn of.
    assert hub_words.approval_warning(CLINIC) is None
    assert hub_words.approval_warning(ALONE) is None


def test_the_stop_confirmation_says_whose_month_it_counts(clinic, clock):
    timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
    clock.advance(5 * 60)
    rec = totals.recorded(clinic, timers.stop(clinic))
    figure = {scope: tray_text.recorded(rec, True, scope)[1].splitlines()[-1]
              for scope in (CLINIC, STALE, ALONE, None)}
    assert figure == {
        CLINIC: "This month for this patient (all workstations, as of 10:42): 5 min",
        STALE: "This month for this patient (this workstation; others as of 09:10): 5 min",
        ALONE: "This month for this patient (this workstation only): 5 min",
        None: "This month for this patient (all staff): 5 min",
    }


def test_a_clinic_without_a_hub_reads_as_this_workstation_only_with_nothing_elsewhere(
        clinic):
    snap = tray_status.snapshot(clinic)
    assert snap.scope == ALONE
    assert snap.elsewhere == ()


def test_other_workstations_timers_in_the_tooltip_but_never_behind_the_privacy_lock(clinic):
    snap = replace(tray_status.snapshot(clinic), signer=credentials.verify(clinic, NURSE,
                                                                           PASSWORD))
    front = LiveTimer("front-desk", "Dana Lee", "T1002", "phone-call", "CCM", "running", AT,
                      12 * 60 + 59, AT)
    back = replace(front, workstation="back-office", clinician="Sam Roe", state="paused",
                   seconds=30)
    snap = replace(snap, elsewhere=(front, back))
    assert tray_text.elsewhere(snap) == [
        "Dana Lee: timing on the front-desk workstation since 15:42",
        "Sam Roe: paused on the back-office workstation, 30 s"]
    assert tray_text.tooltip(snap, 0).splitlines()[-2:] == tray_text.elsewhere(snap)
    locked = tray_text.tooltip(replace(snap, locked=True), 0)
    assert "Dana Lee" not in locked and "workstation" not in locked
