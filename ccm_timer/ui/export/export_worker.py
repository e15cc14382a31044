"""An export (or its preview) computed off the UI thread, so a large month never freezes the
tray: the job runs on a thread of its own with its own database sessions (the engine opens
one per session), tells its progress through a queued signal, and stops at the next
progress call once Cancel is pressed (the services write nothing before their last stage).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal

log = logging.getLogger("ccm_timer.tray")


class Stopped(Exception):
    """Cancel was pressed: raised inside the job at its next progress call."""


class Job(QObject):
    progressed = Signal(str, int, int)  # stage, done, total (on the UI thread)
    finished = Signal(object)  # the job's result
    failed = Signal(object)  # the exception it raised (Stopped when cancelled)
    _progress = Signal(str, int, int)
    _done = Signal(object, object)

    def __init__(self, work: Callable[[Callable[[str, int, int], None]], Any],
                 parent: QObject | None = None) -> None:
        """`work(progress)` runs on the worker thread and returns the result."""
        super().__init__(parent)
        self._work = work
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None
        self._progress.connect(self.progressed, Qt.ConnectionType.QueuedConnection)
        self._done.connect(self._finish, Qt.ConnectionType.QueuedConnection)

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="ccm-timer-export",
                                        daemon=True)
        self._thread.start()

    def cancel(self) -> None:
        self._cancel.set()

    def _tell(self, stage: str, done: int, total: int) -> None:
        if self._cancel.is_set():
            raise Stopped
        try:
            self._progress.emit(stage, done, total)
        except RuntimeError:  # the window was closed meanwhile
            self._cancel.set()
            raise Stopped from None

    def _run(self) -> None:
        result, error = None, None
        try:
            result = self._work(self._tell)
        except Exception as exc:  # handed to the UI thread, which says or raises it
            error = exc
        try:
            self._done.emit(result, error)
        except RuntimeError:
            log.info("export finished for a closed window; dropped")

    def _finish(self, result: Any, error: BaseException | None) -> None:
        if self._thread is not None:
            self._thread.join()
        self._thread = None
        if error is not None:
            self.failed.emit(error)
        else:
            self.finished.emit(result)
