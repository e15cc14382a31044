"""The dashboard reads its twelve months on one worker at a time: Refresh (or F5, or a new
person signing in) pressed while they are read waits, and of several presses only the
newest runs. The worker is held at its first SQL statement, so nothing here depends on how
fast the machine is."""

from __future__ import annotations

import threading

from sqlalchemy import event

from ccm_timer.ui.dashboard.dashboard_window import MonthDashboard

HOLD_S = 20  # a worker held longer than this goes on, so a failed test never hangs


class Held:
    """Holds the workers' statements until let go; records which threads ran statements."""

    def __init__(self, engine) -> None:
        self.engine, self.reached, self.go = engine, threading.Event(), threading.Event()
        self.workers: set[threading.Thread] = set()
        event.listen(engine, "before_cursor_execute", self._statement)

    def _statement(self, *_args) -> None:
        thread = threading.current_thread()
        if thread is not threading.main_thread():
            self.workers.add(thread)
            if not self.go.is_set():
                self.reached.set()
                self.go.wait(HOLD_S)

    def close(self) -> None:
        self.go.set()
        event.remove(self.engine, "before_cursor_execute", self._statement)


def _trend_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "ccm-timer-trends"]


def test_refresh_pressed_while_the_months_are_read_waits_and_only_the_newest_runs(
        month_clinic, make_tray, qtbot) -> None:
    ctx, _ = month_clinic
    window = make_tray(ctx).office.show("dashboard")
    assert isinstance(window, MonthDashboard)
    qtbot.waitUntil(lambda: not window.loader.busy, timeout=20_000)
    held = Held(ctx.engine)
    try:
        window.reload()
        assert held.reached.wait(HOLD_S)
        for _ in range(3):  # Refresh, F5, Refresh while the first is still reading
            window.reload()
        qtbot.wait(50)  # a thread started by a press would be alive, held at its statement
        assert len(_trend_threads()) == 1 and window.loader.busy
        held.go.set()
        qtbot.waitUntil(lambda: not window.loader.busy, timeout=20_000)
    finally:
        held.close()
    assert len(held.workers) == 2  # the first run, then the newest press: not four
    assert sorted(window.chart.trends) == window.months
    assert window.status.text().startswith("Read at ")


def test_a_month_of_an_older_run_is_not_drawn_once_a_newer_one_waits(month_clinic, make_tray,
                                                                     qtbot) -> None:
    ctx, _ = month_clinic
    window = make_tray(ctx).office.show("dashboard")
    qtbot.waitUntil(lambda: not window.loader.busy, timeout=20_000)
    seen: list[str] = []
    window.loader.progress.connect(lambda trend: seen.append(trend.month))
    held = Held(ctx.engine)
    try:
        window.reload()
        assert held.reached.wait(HOLD_S)
        window.reload()  # waits; the held run's months are old already
        held.go.set()
        qtbot.waitUntil(lambda: not window.loader.busy, timeout=20_000)
    finally:
        held.close()
    assert sorted(seen) == window.months  # each month once: from the newest run only
