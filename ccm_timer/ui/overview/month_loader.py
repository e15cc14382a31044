"""The overview's month, computed off the UI thread.

The month report sums every interval of the month, and approvals compare it with the audit
trail: on a large clinic that takes long enough to freeze a window. A worker thread does
both, with its own database connection (the engine opens one per session, and no session
crosses threads), and hands the rows to the UI thread through a queued signal.

One computation runs at a time. A reload asked while one runs waits; of several waiting only
the newest runs, and a result that is older than the newest request is dropped, so an
older month never overwrites a newer one.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, Signal

from ccm_timer.services.context import AppContext
from ccm_timer.services.month import approvals
from ccm_timer.services.month.billing_rules import rules_for_month
from ccm_timer.services.month.report import month_report
from ccm_timer.ui.overview.rows import OverviewRow, overview_rows

log = logging.getLogger("ccm_timer.tray")


@dataclass(frozen=True)
class MonthRows:
    month: str
    rows: list[OverviewRow]
    context: str  # "Times in America/New_York · 2026 rules"


def compute(ctx: AppContext, month: str) -> MonthRows:
    """The overview's rows for `month` (raises UserError with a sentence for the user)."""
    report = month_report(ctx, month)
    states = {s.mrn: s for s in approvals.states(ctx, month)}
    rows = overview_rows(report, rules_for_month(month), states, ctx.zone)
    return MonthRows(month, rows, f"Times in {report.zone} · {report.rules.get('year')} rules")


class MonthLoader(QObject):
    loaded = Signal(object)  # MonthRows of the newest request, on the UI thread
    failed = Signal(object)  # the exception the newest request raised, on the UI thread
    _done = Signal(object, object)  # from the worker: MonthRows or None, exception or None

    def __init__(self, ctx: AppContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._waiting: str | None = None  # the month asked for after the running one
        self._thread: threading.Thread | None = None
        # Queued: the slot runs on this object's (the UI) thread, whoever emits.
        self._done.connect(self._finished, Qt.ConnectionType.QueuedConnection)

    @property
    def busy(self) -> bool:
        """A request has not been answered yet."""
        return self._thread is not None or self._waiting is not None

    def request(self, month: str) -> None:
        self._waiting = month  # replaces an older request that has not started
        if self._thread is None:
            self._start_waiting()

    def _start_waiting(self) -> None:
        month, self._waiting = self._waiting, None
        self._thread = threading.Thread(target=self._run, args=(month,),
                                        name="ccm-timer-month", daemon=True)
        self._thread.start()

    def _run(self, month: str) -> None:
        """On the worker thread: compute, and report back whatever happened."""
        result, error = None, None
        try:
            result = compute(self.ctx, month)
        except Exception as exc:  # handed to the UI thread, which says or raises it
            error = exc
        try:
            self._done.emit(result, error)
        except RuntimeError:  # the window was closed and deleted meanwhile
            log.info("month computed for a closed overview; dropped")

    def _finished(self, result: MonthRows | None, error: BaseException | None) -> None:
        self._thread = None
        if self._waiting is not None:
            self._start_waiting()  # asked again meanwhile: this result is already old
            return
        if error is not None:
            self.failed.emit(error)
        else:
            self.loaded.emit(result)
