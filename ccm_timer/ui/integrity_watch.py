"""The tray's full integrity check, on a worker thread once the tray is up, and again
whenever it is due (a session longer than a day).

The tray opens without the check when the files are exactly as a checked session closed
them (open_app's `check_later`), so a clinic's big database does not hold the icon back for
the seconds a quick_check takes. The check runs on a read-only connection of its own
(integrity.check_apart) while the tray works; its result is applied on the Qt thread that
owns the session. A failure switches the session to read-only, as at an open: a timer
started meanwhile stays on disk as it was committed, and every later write is refused with
the read-only sentence, which `on_failed` is given to show.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QObject, QTimer, Signal

from ccm_timer.services.context import AppContext
from ccm_timer.services.security import integrity

log = logging.getLogger("ccm_timer.tray")
DUE_EVERY_MS = 15 * 60_000  # how often a long session asks whether the daily check is due


class IntegrityWatch(QObject):
    done = Signal(object, object)  # problems (list[str]), when the check started

    def __init__(self, ctx: AppContext, on_failed: Callable[[str], None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.on_failed = on_failed
        self.thread: threading.Thread | None = None
        ctx.checks_apart = True  # the heartbeat's own check leaves it to this
        self.done.connect(self._finished)  # queued: emitted from the worker thread
        self.timer = QTimer(self, interval=DUE_EVERY_MS)
        self.timer.timeout.connect(self.check_if_due)
        self.timer.start()

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def check_if_due(self) -> bool:
        """Start the check on its worker thread when one is due; True when it started."""
        if self.running or not integrity.check_due(self.ctx):
            return False
        started = self.ctx.now()
        # A daemon: quitting the tray never waits for a check of a big file to end; the
        # session then vouches for nothing at close, and the next start checks first.
        self.thread = threading.Thread(target=self._check, args=(started,),
                                       name="integrity-check", daemon=True)
        self.thread.start()
        return True

    def _check(self, started: datetime) -> None:
        try:
            problems = integrity.check_apart(self.ctx)
        except Exception as exc:  # noqa: BLE001 - an unreadable file is a failed check
            problems = [f"the check could not read the database ({type(exc).__name__})"]
        self.done.emit(problems, started)

    def _finished(self, problems: list[str], started: datetime) -> None:
        if self.ctx.read_only is not None:
            return  # already read-only (a page failed meanwhile): said once
        if integrity.record_check(self.ctx, problems, started):
            log.warning("the integrity check failed: the database is now read-only")
            self.on_failed(self.ctx.read_only or "")

    def stop(self) -> None:
        self.timer.stop()


def start(ctx: AppContext, on_failed: Callable[[str], None],
          parent: QObject | None = None) -> IntegrityWatch:
    """Watch this session: the check now if it is due, then whenever it is."""
    watch = IntegrityWatch(ctx, on_failed, parent)
    watch.check_if_due()
    return watch
