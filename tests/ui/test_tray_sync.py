"""Deliveries in the tray: the menu's sync line, Sync now, and the worker thread that
never touches a widget (its reports arrive on the UI thread)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QObject

from ccm_timer.services import exports
from ccm_timer.services.delivery import outbox, targets
from tests.fixtures.clinic import MONTH, NOV_20, log
from tests.fixtures.delivery import provision_bundles
from tests.fixtures.tray import open_menu, trigger


@pytest.fixture
def nov(clinic, clock):
    clock.advance(NOV_20 - clock.now())
    return clinic


class ThreadSeen(QObject):
    """Records the thread each attempt is reported on."""

    def __init__(self) -> None:
        super().__init__()
        self.threads: list[threading.Thread] = []

    def seen(self, _attempt) -> None:
        self.threads.append(threading.current_thread())


def _queued(ctx, folder: Path) -> None:
    folder.mkdir()
    provision_bundles(ctx)  # bundles are sealed for the clinic key (here, its own)
    targets.add(ctx, "shared", kind="folder", url=str(folder))
    log(ctx, "T1001", 25)
    exports.export_month(ctx, MONTH, "csv", draft=True, send="shared")


def test_no_sync_line_for_a_nurse_who_never_exports(nov, make_tray) -> None:
    menu = open_menu(make_tray(nov))
    assert not any(t.startswith("Deliveries") for t in menu)
    assert "S&ync now" not in menu


def test_a_target_shows_the_line_and_sync_now(nov, make_tray, tmp_path) -> None:
    targets.add(nov, "shared", kind="folder", url=str(tmp_path / "out"))
    menu = open_menu(make_tray(nov))
    at = menu.index("Deliveries: No exports waiting.")
    assert menu[at + 1] == "S&ync now"
    assert menu[at - 1] == "-" and menu[at + 2] == "-"


def test_sync_now_delivers_on_the_worker_thread_and_reports_on_the_ui_thread(
        nov, make_tray, tmp_path, qtbot) -> None:
    folder = tmp_path / "out"
    _queued(nov, folder)
    tray = make_tray(nov)
    assert "Deliveries: 1 export waiting, not tried yet." in open_menu(tray)
    seen = ThreadSeen()
    tray.sync.attempted.connect(seen.seen)
    tray.sync.start()
    assert tray.sync.running
    trigger(tray, "S&ync now")
    notice = tray.surface.notice
    qtbot.waitUntil(lambda: notice.isVisibleTo(tray.surface), timeout=10_000)
    assert notice.text().startswith("Deliveries: All exports delivered, the last at ")
    assert seen.threads == [threading.main_thread()]
    assert outbox.waiting_count(nov) == 0
    assert [p.suffix for p in folder.rglob("*") if p.is_file()]
    assert open_menu(tray)[-5].startswith("Deliveries: All exports delivered")


def test_a_failed_attempt_is_told_in_plain_words(nov, make_tray, tmp_path, qtbot) -> None:
    folder = tmp_path / "out"
    _queued(nov, folder)
    folder.rmdir()  # the shared drive is not connected
    tray = make_tray(nov)
    tray.sync.start()
    tray.sync_now()
    notice = tray.surface.notice
    qtbot.waitUntil(lambda: notice.isVisibleTo(tray.surface), timeout=10_000)
    assert notice.text() == (f"Deliveries: 1 export waiting, last try 12:00: the folder {folder} "
                             "is not there (is the drive connected?).")
    assert outbox.waiting_count(nov) == 1  # kept for a later try


def test_the_worker_stops_on_quit(nov, make_tray, tmp_path) -> None:
    targets.add(nov, "shared", kind="folder", url=str(tmp_path / "out"))
    tray = make_tray(nov)
    tray.sync.start()
    assert tray.sync.running
    tray.quit()  # idle: quits at once
    assert tray.quits == [True]
    assert not tray.sync.running


def test_the_worker_starts_by_itself_after_the_icon(nov, make_tray, qtbot, tmp_path) -> None:
    targets.add(nov, "shared", kind="folder", url=str(tmp_path / "out"))  # work for it
    tray = make_tray(nov)
    assert not tray.sync.running  # begin() leaves it for later: the icon comes first
    qtbot.waitUntil(lambda: tray.sync.running, timeout=5000)
