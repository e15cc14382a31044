"""The words the tray shows: durations, patient labels, the tooltip and the menu header.

Pure functions of a TrayStatus, so what a nurse reads is tested without a screen. The
patient is masked (initials and the last MRN digits) unless the user chose full names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ccm_timer.ui.presenters import hub_words
from ccm_timer.ui.presenters.tray_state import TrayState

if TYPE_CHECKING:  # only for hints: the tray shows its icon before the database is loaded
    from ccm_timer.ui.presenters.tray_status import TrayStatus

APP_NAME = "CCM Timer"


def clock(seconds: int) -> str:
    """0:07:05 — what a running timer shows."""
    hours, rest = divmod(max(0, int(seconds)), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


def minutes(seconds: int) -> str:
    """Whole minutes as billing counts them (19 min 59 s is 19 min); under a minute, seconds."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds} s"
    hours, mins = divmod(seconds // 60, 60)
    return f"{hours} h {mins:02d} min" if hours else f"{mins} min"


def patient(mrn: str | None, name: str | None, masked: str | None, mask: bool) -> str:
    if mrn is None:
        return "no patient (program-level)"
    # No-break spaces: "A.T. …001" must never wrap in the middle.
    return (masked or mrn).replace(" ", "\u00a0") if mask else f"{name} ({mrn})"


def entry_patient(entry, mask: bool) -> str:
    return patient(entry.patient_mrn, entry.patient_name, entry.patient_masked, mask)


def pair_label(pair, mask: bool) -> str:
    who = patient(pair.patient_mrn, pair.patient_name, pair.patient_masked, mask)
    return f"{who} · {pair.category_label}"


def headline(status: TrayStatus, elapsed: int) -> str:
    """First line of the menu and the tooltip: the state at a glance."""
    if status.state is TrayState.SETUP:
        return "No clinician set up yet"
    if status.problem:
        return "Cannot read the timers"
    if status.pending_recovery:
        return "Timer left running: decide"
    if status.state is TrayState.RUNNING:
        return f"Running {clock(elapsed)}"
    if status.state is TrayState.PAUSED:
        return f"Paused at {clock(elapsed)}"
    return "No timer running"


def subject(status: TrayStatus) -> str | None:
    """What the live timer is for: activity and patient (nothing while the privacy lock is
    on: the tooltip and menu are seen by whoever passes)."""
    if status.entry is None or status.locked:
        return None
    return f"{status.entry.category_label} — {entry_patient(status.entry, status.mask_patients)}"


def tooltip(status: TrayStatus, elapsed: int) -> str:
    return tooltip_line(status, elapsed) + tooltip_rest(status)


def tooltip_line(status: TrayStatus, elapsed: int) -> str:
    """The tooltip's first line, the only one a running clock changes."""
    return f"{APP_NAME}: {headline(status, elapsed)}"


def tooltip_rest(status: TrayStatus) -> str:
    """The lines after the first, each after a line break: fixed for a status, so the tray
    builds them once per state change, not once a second."""
    lines = [""]
    what = subject(status)
    if what:
        lines.append(what)
    if status.problem:
        lines.append(status.problem)
    elif status.signer is not None:
        lines.append(f"Signed in: {status.signer.name}")
    else:
        lines.append("Nobody is signed in")
    if status.pending_recovery:
        lines.append("Open the menu to decide what to record.")
    if not status.locked:
        lines.extend(elsewhere(status))
    return "\n".join(lines)


def elsewhere(status: TrayStatus) -> list[str]:
    """The other workstations' live timers (hub_scope.LiveTimer, in local time), one line
    each; they are stopped where they run. A running one says since when (a count would go
    stale in a menu built once): "Dana Lee: timing on the front-desk workstation since 10:35";
    a paused one its minutes: "Sam Roe: paused on the back-office workstation, 12 min"."""
    return [f"{t.clinician}: timing on the {t.workstation} workstation since "
            f"{local_moment(t.started_at, t.started_at.tzinfo, t.as_of)}"
            if t.state == "running" else
            f"{t.clinician}: paused on the {t.workstation} workstation, {minutes(t.seconds)}"
            for t in status.elsewhere]


def signed_in(status: TrayStatus) -> str:
    """The menu's line for who works at the tray."""
    who = status.signer
    if who is None:
        return "Nobody is signed in"
    found = next((c for c in status.clinicians if c.id == str(who.id)), None)
    return f"Signed in: {who.name}" + (f", {found.credential}" if found and found.credential
                                       else "")


def setup_hint() -> str:
    return "Add a clinician first: choose “Set up CCM Timer…” in the CCM Timer menu."


def recorded(rec, mask: bool, scope=None) -> tuple[str, str]:
    """The stop confirmation: a headline and the details, one per line; the month's figure
    says whose minutes it counts (`scope`: a hub_scope.Scope, hub_words.tray_scope)."""
    entry = rec.entry
    lines = [entry.category_label, f"Patient: {entry_patient(entry, mask)}"]
    if rec.month_seconds is not None:
        lines.append(f"This month for this patient ({hub_words.tray_scope(scope)}): "
                     f"{minutes(rec.month_seconds)}")
    return f"Recorded {minutes(entry.seconds)}", "\n".join(lines)


def local_time(instant, zone) -> str:
    return instant.astimezone(zone).strftime("%H:%M")


def local_moment(instant, zone, now) -> str:
    """14:32 today, or "Mon 3 Nov 14:32" for another day."""
    local = instant.astimezone(zone)
    if local.date() == now.astimezone(zone).date():
        return local.strftime("%H:%M")
    return f"{local.strftime('%a')} {local.day} {local.strftime('%b %H:%M')}"


def recovery_question(orphan, zone, now, mask: bool) -> tuple[str, str]:
    """(headline, details) for a timer a crash or a quit left running."""
    entry = orphan.entry
    return "A timer was left running", (
        f"{entry.category_label} — {entry_patient(entry, mask)} ({entry.clinician})\n"
        f"Started at {local_moment(entry.start, zone, now)}. CCM Timer last saw it at "
        f"{local_moment(orphan.last_seen, zone, now)}; then {orphan.reason}.\n\n"
        "What should be recorded?"
    )


def gap_question(gap, entry, zone, now, mask: bool) -> tuple[str, str]:
    """(headline, details) for a sleep or clock-jump gap in a running timer."""
    what = f"{entry.category_label} — {entry_patient(entry, mask)}"
    if gap.kind.value == "backward":
        return "The computer's clock was set back", (
            f"{what}\nAt {local_time(gap.wall_after, zone)} the clock went back by "
            f"{minutes(-gap.unobserved_seconds)} while this timer ran.\n\n"
            "Count the time that really passed?"
        )
    headline = ("CCM Timer was not running" if gap.kind.value == "stalled" else
                "The computer slept or its clock jumped")
    return headline, (
        f"{what}\nFrom {local_moment(gap.wall_before, zone, now)} to "
        f"{local_moment(gap.wall_after, zone, now)} ({minutes(gap.unobserved_seconds)}) this "
        "timer was not watched.\n\nDid you work on this during that time?"
    )


def reminder(status: TrayStatus, elapsed: int) -> tuple[str, str]:
    return f"Timer still running: {minutes(elapsed)}", (
        f"{subject(status)}\n\nAre you still working on it?")


def activity(category) -> str:
    """An activity with the program its minutes count toward, so a CCM nurse does not pick
    a BHI activity by mistake."""
    if category.program is None:
        return f"{category.label} · no patient"
    return f"{category.label} · {category.program.split('_')[0]}"
