"""TimerController: the tray's one state hub.

It reads status through the services, emits it as a frozen TrayStatus, runs the timer
actions, and owns the app's three clocks: a one-second tick only while a timer runs (the
tooltip and the sleep/jump watch), the 30-second heartbeat, and a debounced watch on the
database files so changes made from the command line show within two seconds. Views only
subscribe and call its methods; they never read the database.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal

from ccm_timer.core.clock_watch import ClockWatch, Gap
from ccm_timer.core.reminder import Reminder
from ccm_timer.errors import UserError
from ccm_timer.services import change_watch, settings_changes
from ccm_timer.services.change_watch import DataVersion
from ccm_timer.services.context import AppContext
from ccm_timer.services.people import access
from ccm_timer.services.people.access import Signer
from ccm_timer.services.security import integrity
from ccm_timer.services.timing import entries, recovery, sleep_gaps, timers, totals
from ccm_timer.ui.presenters import signin, tray_status
from ccm_timer.ui.presenters.tray_state import TrayState
from ccm_timer.ui.presenters.tray_status import TrayStatus

log = logging.getLogger("ccm_timer.tray")
DEBOUNCE_MS = 250


@dataclass(frozen=True)
class StopChoice:
    """The moment the person chose Stop, and what they were asked about: a stop records the
    time up to then, not the seconds spent typing its note."""

    at: datetime
    origin_id: object  # the live entry's origin then
    state: TrayState
    elapsed: int  # the seconds the question showed


@dataclass(frozen=True)
class GapQuestion:
    entry_id: object  # the live entry's id when the gap was seen
    gap: Gap
    entry: object  # EntryView at that moment, for the wording


class TimerController(QObject):
    state_changed = Signal(object)  # TrayStatus
    signer_changed = Signal(object)  # Signer | None: who is signed in at the tray now
    ticked = Signal(int)  # elapsed seconds, once a second while a timer runs
    gap_detected = Signal(object)  # GapQuestion: asked before the gap is counted
    reminder_due = Signal(object)  # TrayStatus: the timer has run reminder_minutes more

    def __init__(self, ctx: AppContext, *, clinician_id: str | None = None, tick_ms: int = 1000,
                 heartbeat_ms: int = recovery.HEARTBEAT_SECONDS * 1000,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._clinician_id = clinician_id
        # The person signed in at the tray (their password given at sign-in): every timer
        # action is theirs, and nobody times as another.
        self.signer: Signer | None = None
        self.locked = False  # the privacy lock's state, for the menu and tooltip
        self._status = TrayStatus(TrayState.IDLE, mask_patients=ctx.settings.mask_patients)
        self._orphans: list[recovery.Orphan] = []
        self._gaps: list[GapQuestion] = []
        self._clock_watch = ClockWatch(ctx.clock, tick_ms / 1000)
        self._reminder = Reminder(ctx.settings.reminder_minutes)
        self._version = DataVersion(ctx)
        self._tick = QTimer(self, interval=tick_ms, timeout=self.tick)
        self._heartbeat = QTimer(self, interval=heartbeat_ms, timeout=self.beat)
        self._debounce = QTimer(self, interval=DEBOUNCE_MS, singleShot=True,
                                timeout=self._files_settled)
        self._files: QFileSystemWatcher | None = None
        self._closed = False
        self._watching = False  # heartbeats started: this app vouches for live timers

    # -- state -------------------------------------------------------------------------

    @property
    def status(self) -> TrayStatus:
        return self._status

    def elapsed(self) -> int:
        return self._status.elapsed(self.ctx.clock.monotonic_ns())

    def refresh(self) -> TrayStatus:
        self._version.changed()  # what we are about to read includes every commit so far
        snap = tray_status.snapshot(self.ctx, self._clinician_id)
        self._apply(replace(snap, pending_recovery=len(self._orphans), signer=self.signer,
                            locked=self.locked))
        return self._status

    def _apply(self, snap: TrayStatus) -> None:
        old, self._status = self._status, snap
        if snap.clinician_id:
            self._clinician_id = snap.clinician_id
        same = old.entry is not None and snap.entry is not None and (
            old.entry.origin_id == snap.entry.origin_id)
        if snap.state is TrayState.RUNNING and not snap.pending_recovery:
            if not self._tick.isActive() or not (old.state is TrayState.RUNNING and same):
                self._clock_watch.reset()  # a start or resume: nothing before it counts
                self._tick.start()
        else:
            self._tick.stop()
        self._reminder.follow(snap.entry.origin_id if snap.entry is not None else None)
        self.state_changed.emit(snap)

    # -- clocks ------------------------------------------------------------------------

    def tick(self) -> None:
        """Once a second while a timer runs: show the time, notice gaps, remind."""
        if self._status.state is not TrayState.RUNNING:
            return
        gap = self._clock_watch.check()
        if gap is not None:
            self._gap_seen(gap)
        elapsed = self.elapsed()
        self.ticked.emit(elapsed)
        if self._reminder.due(elapsed):
            self._reminder.keep_going(elapsed)  # next one after another full period
            self.reminder_due.emit(self._status)

    def _gap_seen(self, gap: Gap) -> None:
        entry = self._status.entry
        log.info("clock gap: %s, wall %.0f s, monotonic %.0f s", gap.kind.value,
                 gap.wall_seconds, gap.mono_seconds)
        self._gaps.append(GapQuestion(entry.id, gap, entry))
        if len(self._gaps) == 1:
            self.gap_detected.emit(self._gaps[0])

    @property
    def pending_gap(self) -> GapQuestion | None:
        return self._gaps[0] if self._gaps else None

    def resolve_gap(self, choice: str) -> None:
        """Record the answer to the oldest gap question; the next one, if any, is asked."""
        if not self._gaps:
            return  # already settled by a stop or switch
        question = self._gaps[0]
        try:
            sleep_gaps.resolve(self.ctx, question.entry_id, question.gap, choice,
                               self._clinician_id)
        finally:
            self._gaps.pop(0)
            self.refresh()
            if self._gaps:
                self.gap_detected.emit(self._gaps[0])

    def _settle_gaps(self) -> None:
        """Before the entry ends (stop, switch, quit), unanswered gaps get the default:
        left out. Otherwise ending the entry would bill them without a decision."""
        while self._gaps:
            question = self._gaps.pop(0)
            try:
                sleep_gaps.resolve(self.ctx, question.entry_id, question.gap,
                                   sleep_gaps.GapChoice.EXCLUDE, self._clinician_id)
            except UserError as exc:
                log.warning("gap left as it was: %s", exc)

    def beat(self) -> None:
        try:
            # Our own commit, not another program's: no refresh every 30 s for it.
            change_watch.heartbeat(self.ctx, self._version)
        except UserError as exc:  # a busy database: the next beat will do
            log.warning("heartbeat skipped: %s", exc)
        # A tray that runs for days checks every page at least daily, as a start would.
        if integrity.scheduled_check(self.ctx):
            log.warning("the daily integrity check failed: the database is now read-only")

    def watch(self) -> None:
        """Watch the database files; a commit from another process triggers a refresh."""
        folder = str(self.ctx.paths.database.parent)
        self._files = QFileSystemWatcher([folder], self)
        self._files.directoryChanged.connect(self._debounce.start)
        self._files.fileChanged.connect(self._debounce.start)
        self._watch_wal()

    def _watch_wal(self) -> None:
        wal = DataVersion.wal_path(self.ctx.paths.database)
        if self._files is not None and wal.exists() and str(wal) not in self._files.files():
            self._files.addPath(str(wal))

    def _files_settled(self) -> None:
        if self._closed:
            return
        self._watch_wal()  # the -wal file may have been re-created
        if self._version.changed():
            # Another program's commit may come with a settings change (`clinician add`
            # names the default clinician): read the file again before the status.
            self.ctx.reload_settings()
            self.refresh()

    # -- crash recovery ----------------------------------------------------------------

    def load_orphans(self) -> list[recovery.Orphan]:
        """Timers a crash left running. Read before the first heartbeat, which would make
        this app their watcher and bill the unobserved time."""
        self._orphans = recovery.pending(self.ctx)
        self.refresh()
        return list(self._orphans)

    @property
    def orphans(self) -> list[recovery.Orphan]:
        return list(self._orphans)

    def resolve_orphan(self, entry_id, choice: str) -> None:
        recovery.resolve(self.ctx, str(entry_id), choice, self._clinician_id)
        self._orphans = [o for o in self._orphans if o.entry.id != entry_id]
        self.refresh()

    def start_heartbeat(self) -> None:
        self._watching = True
        self.beat()
        self._heartbeat.start()

    # -- timer actions (each raises UserError with a message for the user) ----------

    # Once heartbeats run, this app vouches for what it starts: the heartbeat is written in
    # the same transaction, so a crash before the next beat is still asked about.

    def start(self, patient_mrn: str | None, category: str, note: str = ""):
        self._may_time()
        if self._status.live:
            at = self.ctx.now()  # the switch's instant: settling gaps takes time of its own
            self._settle_gaps()
            _, view = timers.switch(self.ctx, patient_mrn=patient_mrn, category_slug=category,
                                    note=note, clinician=self._clinician_id,
                                    watched_by_app=self._watching, at=at)
        else:
            view = timers.start(self.ctx, patient_mrn=patient_mrn, category_slug=category,
                                note=note, clinician=self._clinician_id,
                                watched_by_app=self._watching)
        self.refresh()
        return view

    def toggle_pause(self):
        self._may_time()
        if self._status.state is TrayState.PAUSED:
            view = timers.resume(self.ctx, self._clinician_id, watched_by_app=self._watching)
        else:
            view = timers.pause(self.ctx, self._clinician_id)
        self.refresh()
        return view

    def choose_stop(self) -> StopChoice:
        """Stop was chosen now: the instant and the seconds to ask about, for `stop(chosen=)`
        once the note is typed."""
        entry = self._status.entry
        return StopChoice(self.ctx.now(), entry.origin_id if entry is not None else None,
                          self._status.state, self.elapsed())

    def stop(self, note: str | None = None, *, chosen: StopChoice | None = None
             ) -> totals.Recorded:
        """Stop at the moment `chosen` was made (the stop dialog's question), or now. A
        timer that changed since (paused, resumed, another entry) stops as it now is: the
        question no longer describes it."""
        at = self.ctx.now()  # before the gaps are settled, which takes time of its own
        self._may_time()
        entry = self._status.entry
        if (chosen is not None and entry is not None and chosen.origin_id == entry.origin_id
                and chosen.state is self._status.state):
            at = min(chosen.at, at)
        self._settle_gaps()
        view = timers.stop(self.ctx, self._clinician_id, note or None, at=at)
        self.refresh()
        return totals.recorded(self.ctx, view)

    def add_manual(self, patient_mrn: str | None, category: str, start: datetime,
                   end: datetime, note: str = "") -> totals.Recorded:
        self._may_time()
        view = entries.add_manual(self.ctx, patient_mrn=patient_mrn, category_slug=category,
                                  start=start, end=end, note=note,
                                  clinician=self._clinician_id)
        self.refresh()
        return totals.recorded(self.ctx, view)

    def sign_in(self, signer: Signer) -> None:
        """`signer` (proven by credentials.verify) works at the tray from now on."""
        self.signer = signer
        self._clinician_id = str(signer.id)
        access.remember_signed_in(self.ctx, signer)  # the CLI's timing commands follow
        self.refresh()
        self.signer_changed.emit(signer)

    def sign_out(self) -> None:
        """Nobody is signed in; a running timer goes on and still shows."""
        self.signer = None
        access.remember_signed_in(self.ctx, None)
        self.refresh()
        self.signer_changed.emit(None)

    def set_locked(self, locked: bool) -> None:
        self.locked = locked
        self.refresh()

    def _may_time(self) -> None:
        refusal = signin.time_refusal(self.signer)
        if refusal:
            raise UserError(refusal)

    def save_settings(self, *, default_clinician: str | None, mask_patients: bool,
                      reminder_minutes: int, start_at_login: bool,
                      data_dir: str | None = None,
                      worklist_reminder: bool | None = None) -> None:
        """The clinic's settings as the signed-in administrator (settings_changes); the
        login item is this computer's, anyone's who is signed in. A refusal comes before
        anything is written, the login item included. `worklist_reminder` is given only
        when the dialog changed it."""
        values = {"default_clinician": default_clinician, "mask_patients": mask_patients,
                  "reminder_minutes": max(0, int(reminder_minutes)),
                  "start_at_login": start_at_login}
        if worklist_reminder is not None:
            values["worklist_reminder"] = bool(worklist_reminder)
        settings_changes.check(self.ctx, self.signer, values)
        if start_at_login != self.ctx.settings.start_at_login or start_at_login:
            # Loaded here, not at start: the login item's code (plistlib, xml, 12 modules)
            # serves only a settings save.
            from ccm_timer.platform import autostart

            if start_at_login:
                autostart.enable(data_dir)
            else:
                autostart.disable()
        settings_changes.save(self.ctx, self.signer, values)
        self._reminder.every_minutes = self.ctx.settings.reminder_minutes
        self.refresh()

    @property
    def closed(self) -> bool:
        """Shut down: its database may be closed, so nothing more is read through it."""
        return self._closed

    def shutdown(self) -> None:
        """A clean quit: whatever is left running is recovered at the next start."""
        if self._closed:
            return
        self._closed = True
        self._tick.stop()
        self._heartbeat.stop()
        self._debounce.stop()
        if self._files is not None:
            self._files.deleteLater()
            self._files = None
        self._settle_gaps()
        if self.signer is not None:
            access.remember_signed_in(self.ctx, None)  # the CLI no longer times as them
        if self._watching:  # never vouch for time this app did not watch (crash leftovers)
            try:
                recovery.release(self.ctx)
            except UserError as exc:
                log.warning("release failed: %s", exc)
        self._version.close()
