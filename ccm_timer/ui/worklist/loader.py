"""The worklist computed off the UI thread, as the overview's month is (month_loader.py):
the month report sums the whole month, which on a large clinic would freeze a window.

One computation at a time; a request made while one runs waits, and of several waiting only
the newest runs, so an older month never overwrites a newer one.
"""

from __future__ import annotations

import logging
import threading

from PySide6.QtCore import QObject, Qt, Signal

from ccm_timer.services.context import AppContext
from ccm_timer.services.month.worklist import worklist

log = logging.getLogger("ccm_timer.tray")


class WorklistLoader(QObject):
    loaded = Signal(object)  # the Worklist of the newest request, on the UI thread
    failed = Signal(object)  # the exception it raised, on the UI thread
    _done = Signal(object, object)  # from the worker: (Worklist or None, exception or None)

    def __init__(self, ctx: AppContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._waiting: tuple[str | None] | None = None  # (month,) asked after the running one
        self._thread: threading.Thread | None = None
        self._done.connect(self._finished, Qt.ConnectionType.QueuedConnection)

    @property
    def busy(self) -> bool:
        return self._thread is not None or self._waiting is not None

    def request(self, month: str | None = None) -> None:
        self._waiting = (month,)
        if self._thread is None:
            self._start_waiting()

    def _start_waiting(self) -> None:
        assert self._waiting is not None
        (month,), self._waiting = self._waiting, None
        self._thread = threading.Thread(target=self._run, args=(month,),
                                        name="ccm-timer-worklist", daemon=True)
        self._thread.start()

    def _run(self, month: str | None) -> None:
        result, error = None, None
        try:
            result = worklist(self.ctx, month)
        except Exception as exc:  # handed to the UI thread, which says or raises it
            error = exc
        try:
            self._done.emit(result, error)
        except RuntimeError:  # the window was closed and deleted meanwhile
            log.info("worklist computed for a closed window; dropped")

    def _finished(self, result, error) -> None:
        self._thread = None
        if self._waiting is not None:
            self._start_waiting()  # asked again meanwhile: this result is already old
            return
        if error is not None:
            self.failed.emit(error)
        else:
            self.loaded.emit(result)
