"""Everything the tray shows, read in one go through the services: the state it emits.

A frozen value, so the UI can compare, pass and test it; `snapshot()` is the only read the
tray makes when the database changes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ccm_timer.errors import UserError
from ccm_timer.services.context import AppContext
from ccm_timer.services.people import clinicians
from ccm_timer.services.timing import recent, timers
from ccm_timer.services.timing.recent import RecentPair
from ccm_timer.ui.presenters.gui_words import error_text
from ccm_timer.ui.presenters.tray_state import TrayState

RECENT_COUNT = 5


@dataclass(frozen=True)
class ClinicianChoice:
    id: str
    name: str
    credential: str


@dataclass(frozen=True)
class TrayStatus:
    state: TrayState
    clinician_id: str | None = None
    clinician_name: str | None = None
    clinicians: tuple[ClinicianChoice, ...] = ()
    entry: Any = None  # the live EntryView, or None
    recent: tuple[RecentPair, ...] = ()
    mask_patients: bool = True
    read_mono_ns: int = 0  # monotonic reading when entry.seconds was computed
    pending_recovery: int = 0  # timers left running by a crash, waiting for a decision
    problem: str | None = None  # why the status could not be read, in words for the user
    # Other clinicians with a live timer on this database: on a shared workstation nobody
    # should leave one running unseen after switching to their own.
    others_live: tuple[str, ...] = ()
    signer: Any = None  # the person signed in at the tray (a Signer), or None
    locked: bool = False  # the privacy lock is on: the menu shows no patient data
    # What the month figures cover (a hub_scope.Scope; None: not read), and the other
    # workstations' live timers the last pull saw (hub_scope.LiveTimer: not stoppable here).
    scope: Any = None
    elsewhere: tuple[Any, ...] = ()

    def __post_init__(self) -> None:  # a plain "running" is taken; an unknown state is not
        object.__setattr__(self, "state", TrayState(self.state))

    @property
    def live(self) -> bool:
        return self.state in (TrayState.RUNNING, TrayState.PAUSED)

    def elapsed(self, mono_ns: int) -> int:
        """Seconds timed so far; a running timer counts on from the read, in monotonic
        time, without another read."""
        if self.entry is None:
            return 0
        if self.state is not TrayState.RUNNING:
            return int(self.entry.seconds)
        return int(self.entry.seconds + max(0, mono_ns - self.read_mono_ns) // 1_000_000_000)


def _active(found: list[clinicians.ClinicianView], wanted: str | None, default: str) -> Any:
    by_id = {str(c.id): c for c in found}
    return by_id.get(wanted or "") or by_id.get(default) or (found[0] if found else None)


def snapshot(ctx: AppContext, clinician_id: str | None = None) -> TrayStatus:
    """The status for `clinician_id`, else the default clinician, else the first one."""
    mask = ctx.settings.mask_patients
    try:
        found = clinicians.list_clinicians(ctx)
        who = _active(found, clinician_id, ctx.settings.default_clinician)
        if who is None:
            return TrayStatus(TrayState.SETUP, mask_patients=mask)
        choices = tuple(ClinicianChoice(str(c.id), c.name, c.credential) for c in found)
        mono = ctx.clock.monotonic_ns()
        status = timers.status(ctx, str(who.id))
        pairs = recent.recent_pairs(ctx, str(who.id), RECENT_COUNT + 1)
        others = timers.others_live(ctx, str(who.id)) if len(found) > 1 else ()
        scope, elsewhere = _clinic(ctx)
    except UserError as exc:
        return TrayStatus(TrayState.IDLE, mask_patients=mask, problem=error_text(exc))
    entry = status.entry
    if entry is not None:
        pairs = [p for p in pairs if (p.patient_mrn, p.category) != (
            entry.patient_mrn, entry.category)]
    return TrayStatus(
        state=TrayState(status.state), clinician_id=str(who.id), clinician_name=who.name,
        clinicians=choices, entry=entry, recent=tuple(pairs[:RECENT_COUNT]),
        mask_patients=mask, read_mono_ns=mono, others_live=others, scope=scope,
        elsewhere=elsewhere,
    )


def _clinic(ctx: AppContext) -> tuple[Any, tuple[Any, ...]]:
    """The figures' scope and the other workstations' live timers (two small reads)."""
    from ccm_timer.services.delivery import hub_scope  # the first snapshot's, not the icon's

    found = hub_scope.scope(ctx)
    live = hub_scope.live_timers(ctx) if found.as_of is not None else []  # never pulled: none
    # Local times: the menu says "since 10:35", true however long it stays open.
    return found, tuple(replace(t, started_at=t.started_at.astimezone(ctx.zone),
                                as_of=t.as_of.astimezone(ctx.zone)) for t in live)
