"""A window's figures computed off the UI thread, newest request wins.

A month report sums every interval of the month: on a large clinic that takes long enough
to freeze a window. A worker thread computes, with its own database connection (the engine
opens one per session, and no session crosses threads), and hands the result to the UI
thread through a queued signal.

One computation runs at a time. A request made while one runs waits; of several waiting
only the newest runs, and a result older than the newest request is dropped, so an older
month never overwrites a newer one. The overview's month and the worklist are both this;
the dashboard's twelve months too, each handed over as it is computed (`progress`).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal

from ccm_timer.services.context import AppContext

log = logging.getLogger("ccm_timer.tray")


class LatestLoader(QObject):
    """Subclasses say what to compute (`compute(ctx, request)`) and name their thread."""

    loaded = Signal(object)  # the result of the newest request, on the UI thread
    failed = Signal(object)  # the exception the newest request raised, on the UI thread
    progress = Signal(object)  # a part of the newest request's result, as it is computed
    _done = Signal(object, object)  # from the worker: (result or None, exception or None)
    _part = Signal(object)  # from the worker: one part, given to `report_part`
    worker = "ccm-timer-loader"

    def __init__(self, ctx: AppContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._waiting: tuple[Any] | None = None  # (request,) asked after the running one
        self._thread: threading.Thread | None = None
        # Queued: the slot runs on this object's (the UI) thread, whoever emits.
        self._done.connect(self._finished, Qt.ConnectionType.QueuedConnection)
        self._part.connect(self._part_arrived, Qt.ConnectionType.QueuedConnection)

    def compute(self, ctx: AppContext, request: Any) -> Any:
        raise NotImplementedError

    def report_part(self, part: Any) -> None:
        """From `compute`, on the worker thread: hand `part` to the window now (`progress`)."""
        try:
            self._part.emit(part)
        except RuntimeError:  # the window was closed and deleted meanwhile
            log.info("%s: computed for a closed window; dropped", self.worker)

    @property
    def busy(self) -> bool:
        """A request has not been answered yet."""
        return self._thread is not None or self._waiting is not None

    def request(self, request: Any = None) -> None:
        self._waiting = (request,)  # replaces an older request that has not started
        if self._thread is None:
            self._start_waiting()

    def _start_waiting(self) -> None:
        assert self._waiting is not None
        (request,), self._waiting = self._waiting, None
        self._thread = threading.Thread(target=self._run, args=(request,),
                                        name=self.worker, daemon=True)
        self._thread.start()

    def _run(self, request: Any) -> None:
        """On the worker thread: compute, and report back whatever happened."""
        result, error = None, None
        try:
            result = self.compute(self.ctx, request)
        except Exception as exc:  # handed to the UI thread, which says or raises it
            error = exc
        try:
            self._done.emit(result, error)
        except RuntimeError:  # the window was closed and deleted meanwhile
            log.info("%s: computed for a closed window; dropped", self.worker)

    def _part_arrived(self, part: Any) -> None:
        # Parts come before their run's end, so one waiting means this run is already old.
        if self._waiting is None:
            self.progress.emit(part)

    def _finished(self, result: Any, error: BaseException | None) -> None:
        self._thread = None
        if self._waiting is not None:
            self._start_waiting()  # asked again meanwhile: this result is already old
            return
        if error is not None:
            self.failed.emit(error)
        else:
            self.loaded.emit(result)
