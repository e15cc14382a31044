"""The outbox worker in a daemon thread, and the tray's sentence about deliveries.

The worker never touches a widget: it reports each delivery attempt through a signal, which
Qt queues to the UI thread. The thread is started after the tray is visible, woken by *Sync
now*, and stopped on quit (an attempt in flight is left to its lease; the next start or
`ccm-timer sync` takes the item again).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from PySide6.QtCore import QObject, QTimer, Signal

from ccm_timer.errors import UserError
from ccm_timer.services.context import AppContext
from ccm_timer.services.delivery import outbox, outbox_status, targets

log = logging.getLogger("ccm_timer.tray")
RETRY_AFTER_CRASH_S = 30.0  # a pass that raised (a locked or closed database) is tried again
JOIN_ON_QUIT_S = 2.0
SETTLE_MS = 1000  # after Sync now: report once attempts have stopped coming this long


@dataclass(frozen=True)
class SyncLine:
    """What the menu shows about deliveries."""

    text: str
    has_targets: bool

    @property
    def sentence(self) -> str:
        """"Deliveries: …", ending with one full stop."""
        end = "" if self.text.endswith((".", "?", "!")) else "."
        return f"Deliveries: {self.text}{end}"


class SyncRunner(QObject):
    attempted = Signal(object)  # sync.worker.Attempt, delivered on the UI thread
    settled = Signal(object)  # SyncLine: how a Sync now went (counts, never patients)

    def __init__(self, ctx: AppContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._asked = False
        self._settle = QTimer(self, interval=SETTLE_MS, singleShot=True,
                              timeout=self._report)
        self.attempted.connect(self._attempt_seen)
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._worker = None  # made in the thread: importing the delivery code takes a moment
        self._wake_early = False

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self._thread is not None or self._stop.is_set():
            return
        self._thread = threading.Thread(target=self._run, name="ccm-timer-sync", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        from ccm_timer.sync.worker import Worker

        with self._lock:
            self._worker = Worker(self.ctx, on_attempt=self.attempted.emit)
            if self._wake_early:
                self._worker.wake()
        while not self._stop.is_set():
            try:
                self._worker.run(stop=self._stop)
            except Exception:  # never let the thread die quietly: log it and try later
                log.exception("delivery pass failed")
                self._stop.wait(RETRY_AFTER_CRASH_S)

    def wake(self) -> None:
        """A pass at once, asking targets that were backing off again."""
        with self._lock:
            if self._worker is None:
                self._wake_early = True
            else:
                self._worker.wake()

    def sync_now(self) -> None:
        """Wake the worker, and say how it went once the attempts stop (a pass with nothing
        to send reports no attempt: the timer then reports the line as it stands)."""
        self._asked = True
        self.wake()
        self._settle.start()

    def _attempt_seen(self, _attempt) -> None:
        if self._asked:
            self._settle.start()

    def _report(self) -> None:
        self._asked = False
        line = self.line()
        if line is not None:
            self.settled.emit(line)

    def stop(self) -> None:
        self._settle.stop()
        self._stop.set()
        with self._lock:
            if self._worker is not None:
                self._worker.stop()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(JOIN_ON_QUIT_S)

    def line(self) -> SyncLine | None:
        """The deliveries sentence, or None where there is nothing to say (no target was
        ever set up and nothing waits): a nurse who never exports sees no sync line."""
        try:
            configured = bool(targets.list_targets(self.ctx))
            if not configured and not outbox.waiting_count(self.ctx):
                return None
            return SyncLine(outbox_status.summary(self.ctx), configured)
        except UserError as exc:
            return SyncLine(f"Deliveries unknown: {exc}", False)
