"""The month overview computes its month on another thread: the window keeps answering, says
it is computing, keeps the old rows until the new ones arrive, and an older month never
overwrites a newer one.

The worker is held at its first SQL statement (a listener on the real engine) for as long as
a test needs, so nothing here depends on how fast the machine is.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict

import pytest
from PySide6.QtCore import QTimer
from sqlalchemy import event

from ccm_timer.services.people import patients
from ccm_timer.ui.overview import open_overview
from ccm_timer.ui.overview.overview_model import NAMES
from ccm_timer.ui.overview.overview_window import MonthOverview
from tests.fixtures.clinic import log

MONTH_SQL = "time_entry"  # the table the month's minutes are summed from
HOLD_S = 20  # a worker held longer than this goes on, so a failed test never hangs


class Held:
    """Holds every statement off the main thread until let go, and records which thread ran
    each statement on which database connection."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.reached = threading.Event()  # a worker is waiting at a statement
        self.go = threading.Event()
        self.seen: list[tuple[threading.Thread, object, str]] = []
        self._lock = threading.Lock()
        event.listen(engine, "before_cursor_execute", self._statement)

    def _statement(self, conn, _cursor, statement, _params, _context, _many) -> None:
        thread = threading.current_thread()
        with self._lock:  # the connection object is kept, so no id is reused
            self.seen.append((thread, conn.connection.dbapi_connection, statement))
        if thread is not threading.main_thread() and not self.go.is_set():
            self.reached.set()
            self.go.wait(HOLD_S)

    def hold(self) -> None:
        self.reached.clear()
        self.go.clear()

    def let_go(self) -> None:
        self.go.set()

    def workers(self) -> set[threading.Thread]:
        return {t for t, _, _ in self.seen if t is not threading.main_thread()}

    def close(self) -> None:
        self.go.set()
        event.remove(self.engine, "before_cursor_execute", self._statement)


@pytest.fixture
def held(nov):
    holder = Held(nov.engine)
    yield holder
    holder.close()


def _open(qtbot, ctx) -> MonthOverview:
    window = open_overview(ctx)
    qtbot.addWidget(window)
    assert isinstance(window, MonthOverview)
    return window


def _total(window: MonthOverview, mrn: str) -> str:
    proxy = window.proxy
    row = next(r for r in range(proxy.rowCount()) if proxy.row_at(r).mrn == mrn)
    return proxy.index(row, NAMES["Total min"]).data()


def test_the_month_is_computed_on_another_thread_while_the_window_answers(
        qtbot, nov, held, settled) -> None:
    log(nov, "T1001", 25)
    held.seen.clear()  # from here on, what the overview reads
    window = _open(qtbot, nov)
    qtbot.waitUntil(held.reached.is_set)  # the report has started, and waits
    assert window.loading
    assert window.busy.isVisibleTo(window) and not window.summary.isVisibleTo(window)
    assert window.busy_text.text() == "Computing November 2026…"
    assert not window.table.isEnabled() and not window.close_bar.isEnabled()
    assert window.empty.text() == ""  # not "no patient has time": nothing is known yet
    # The UI thread runs its event loop and reads the database meanwhile.
    answered: list[bool] = []
    QTimer.singleShot(0, lambda: answered.append(True))
    qtbot.waitUntil(lambda: answered == [True])
    assert patients.get(nov, "T1001").display_name == "Testpatient, Alma"
    held.let_go()
    settled(window)
    assert window.visible_mrns() == ["T1003", "T1002", "T1001"] and _total(window, "T1001") == "25"
    assert window.summary.isVisibleTo(window) and not window.busy.isVisibleTo(window)
    assert window.table.isEnabled() and window.close_bar.isEnabled()
    report = [t for t, _, sql in held.seen if MONTH_SQL in sql]
    assert report and all(t is not threading.main_thread() for t in report)
    assert {t.name for t in held.workers()} == {"ccm-timer-month"}
    threads_of = defaultdict(set)
    for thread, connection, _ in held.seen:
        threads_of[id(connection)].add(thread)
    assert all(len(threads) == 1 for threads in threads_of.values())  # none shared


def test_a_refresh_keeps_the_rows_shown_and_the_window_usable_until_new_ones_arrive(
        qtbot, nov, held, settled) -> None:
    log(nov, "T1001", 25)
    held.let_go()
    window = settled(_open(qtbot, nov))
    log(nov, "T1001", 21, day=5)
    held.hold()
    window.reload()
    qtbot.waitUntil(held.reached.is_set)
    assert window.loading and _total(window, "T1001") == "25"  # the old rows, still there
    qtbot.keyClicks(window.search, "alm")  # filtering works on them meanwhile
    assert window.visible_mrns() == ["T1001"]
    qtbot.waitUntil(lambda: window.busy.isVisibleTo(window))  # it takes a while: say so
    assert window.busy_text.text() == "Computing November 2026…"
    assert window.table.isEnabled() and window.close_bar.isEnabled()  # this month's rows
    held.let_go()
    settled(window)
    assert window.visible_mrns() == ["T1001"] and _total(window, "T1001") == "46"
    assert not window.busy.isVisibleTo(window) and window.summary.isVisibleTo(window)


def test_overlapping_reloads_are_coalesced_and_the_newest_month_wins(
        qtbot, nov, held, settled) -> None:
    log(nov, "T1001", 25)
    window = _open(qtbot, nov)  # November 2026, held
    arrived: list[str] = []
    window.loader.loaded.connect(lambda result: arrived.append(result.month))
    qtbot.waitUntil(held.reached.is_set)
    window.set_month("2025-11")
    window.set_month("2026-10")  # asked before 2025-11 could start: it never runs
    assert window.busy_text.text() == "Computing October 2026…"
    assert not window.table.isEnabled() and not window.close_bar.isEnabled()
    held.let_go()
    settled(window)
    assert arrived == ["2026-10"]  # November 2026 came back first, and was dropped
    assert window.windowTitle() == "Month overview — October 2026"
    assert "T1001" in window.visible_mrns() and _total(window, "T1001") == "0"
    assert len(held.workers()) == 2  # November 2026, then October 2026


def test_a_failure_shows_its_sentence_and_the_next_month_clears_it(
        qtbot, nov, held, settled) -> None:
    log(nov, "T1001", 25)
    held.let_go()
    window = settled(_open(qtbot, nov))
    window.set_month("2019-03")
    settled(window)
    assert window.error.isVisibleTo(window) and "billing rules for 2019" in window.error.text()
    assert window.model.rows == [] and window.table.isEnabled()
    assert not window.busy.isVisibleTo(window)
    assert window.summary.text() == window.context.text() == ""  # no counts, no rules year
    window.set_month("2026-11")
    settled(window)
    assert not window.error.isVisibleTo(window) and _total(window, "T1001") == "25"


def test_a_window_closed_while_its_month_is_computed_drops_the_result(
        qtbot, nov, held, caplog) -> None:
    caplog.set_level(logging.INFO, logger="ccm_timer.tray")
    window = open_overview(nov)
    qtbot.waitUntil(held.reached.is_set)
    destroyed: list[bool] = []
    window.destroyed.connect(lambda: destroyed.append(True))
    window.close()
    window.deleteLater()
    qtbot.waitUntil(lambda: destroyed == [True])
    held.let_go()
    (worker,) = held.workers()
    worker.join(HOLD_S)
    assert not worker.is_alive()
    assert "ccm-timer-month: computed for a closed window; dropped" in caplog.messages
