"""`ccm-timer` with no command: start the tray, or hand over to the one already running.

Kept lean for start-up time: the lock is checked before Qt widgets or the database are
loaded, so a second launch (a keyboard shortcut) hands over in a blink, and dialogs are
only built when first used.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the tray shows its icon before the database is loaded
    from ccm_timer.services.context import AppContext

log = logging.getLogger("ccm_timer.tray")
TRAY_WAIT_MS = int(os.environ.get("CCM_TIMER_TRAY_WAIT_MS", "2000"))


def _fail(message: str) -> int:
    print(f"ccm-timer: {message}", file=sys.stderr)
    return 1


class _OwnerOnlyLog(logging.handlers.RotatingFileHandler):
    """tray.log and each file a rotation starts: 0600, whatever the umask."""

    def _open(self):  # logging's own signature
        from ccm_timer import fsio

        path = Path(self.baseFilename)
        if not fsio.create_owner_only(path):
            fsio.owner_only(path)  # a log an older version left 0644
        return super()._open()

    def handleError(self, record: logging.LogRecord) -> None:
        pass  # a full disk must not print a traceback per log line; the event is lost


class _WithoutData(logging.Formatter):
    """Exceptions as their types and the lines that raised them, never their text: a
    message may quote a note, a name or an MRN (a library's KeyError, PostgreSQL's
    "Key (mrn)=(...)"), and this log may be sent to support."""

    def formatException(self, ei: Any) -> str:
        import traceback

        chain, exc = [], ei[1]
        while exc is not None and exc not in chain:
            chain.append(exc)
            exc = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
        lines = []
        for exc in reversed(chain):
            errno = f" [Errno {exc.errno}]" if isinstance(exc, OSError) and exc.errno else ""
            lines += ["Traceback (most recent call last):",
                      *(f.rstrip("\n") for f in traceback.format_tb(exc.__traceback__)),
                      f"{type(exc).__module__}.{type(exc).__qualname__}{errno}"]
        return "\n".join(lines)


def _setup_logging(folder: Path) -> None:
    """Events only, never patient identifiers (the log may be sent to support)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handler = _OwnerOnlyLog(
            folder / "tray.log", maxBytes=1_000_000, backupCount=3, encoding="utf-8")
    except OSError:
        return
    handler.setFormatter(_WithoutData("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)


def _install_excepthook(logs: Path) -> None:
    """An unexpected error is logged in full and shown in one sentence, once."""
    shown: list[bool] = []

    def hook(kind, value, tb) -> None:
        log.error("unexpected error", exc_info=(kind, value, tb))
        if shown:
            return
        shown.append(True)
        from PySide6.QtWidgets import QMessageBox

        QMessageBox.critical(
            None, "CCM Timer",
            f"Something went wrong ({kind.__name__}); your recorded time is safe. If it "
            f"happens again, send the file {logs / 'tray.log'} to your administrator.")

    sys.excepthook = hook


def _wait_for_tray(app) -> bool:
    """A tray host may start after us at login: wait a moment before falling back."""
    from PySide6.QtCore import QDeadlineTimer, QEventLoop
    from PySide6.QtWidgets import QSystemTrayIcon

    deadline = QDeadlineTimer(TRAY_WAIT_MS)
    while not QSystemTrayIcon.isSystemTrayAvailable():
        if deadline.hasExpired():
            return False
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 100)
        time.sleep(0.1)
    return True


def _early_icon(app):
    """Show the idle icon before the database opens, so the user sees the app at once."""
    from PySide6.QtCore import QEventLoop
    from PySide6.QtWidgets import QMenu

    from ccm_timer.ui.tray_icon import TrayIconView

    menu = QMenu()
    menu.addAction("CCM Timer is starting…").setEnabled(False)
    view = TrayIconView(menu)
    view.show()
    app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
    return view


def _guard_patient_data(app, ctx: AppContext, tray) -> None:
    """The security parts of start-up after the recovery key: plain-words warnings
    (unencrypted, read-only, stale backup), and the privacy lock that covers open windows
    after a while without use, and whose way back is the signed-in person's password."""
    from ccm_timer.ui.privacy_lock import PrivacyLock
    from ccm_timer.ui.unlock_dialog import security_warnings

    warnings = security_warnings(ctx)
    if warnings:
        tray.surface.notify("CCM Timer needs attention", " ".join(warnings))
        log.warning("security warnings at start: %d", len(warnings))
    # Minutes-long idle limit: a check every 10 s is plenty and keeps an idle tray quiet.
    lock = PrivacyLock(app, ctx.settings.privacy_lock_minutes, check_ms=10_000, parent=app,
                       who=tray.signin.lock_name, verify=tray.signin.lock_verify)
    tray.attach_lock(lock)
    app.aboutToQuit.connect(lock.stop)
    # The full integrity check, when due, runs beside the working tray (open_app trusted
    # the files as a checked session closed them); a failure turns the session read-only.
    from ccm_timer.ui import integrity_watch

    def failed(why: str) -> None:
        tray.surface.notify("CCM Timer needs attention", why)
        tray.controller.refresh()  # the menu and icon show the read-only state

    tray.integrity_watch = integrity_watch.start(ctx, failed, parent=app)
    app.aboutToQuit.connect(tray.integrity_watch.stop)


def start_tray(app, ctx: AppContext, tray) -> None:
    """The tray's first questions, one at a time: the recovery key (modal, so it is answered
    before anything else is shown: a crash leftover's question stays on top and would sit
    above it, taking no click while the key's dialog took them all), then the crash
    leftovers, then who is working, or the setup of a new clinic (TrayApp.begin)."""
    from ccm_timer.ui.unlock_dialog import show_recovery_key_once

    show_recovery_key_once(ctx)
    tray.begin()
    _guard_patient_data(app, ctx, tray)


def launch(data_dir: str | None) -> int:
    started = time.perf_counter()
    from ccm_timer import paths as app_paths

    paths = app_paths.resolve(data_dir)
    try:
        paths.ensure()
    except OSError as exc:
        return _fail(f"Cannot create the data folder {paths.data} ({exc.strerror}); choose "
                     "another with --data-dir or CCM_TIMER_HOME.")
    from ccm_timer.ui.single_instance import SingleInstance

    instance = SingleInstance(paths.data)
    if not instance.acquire():
        if instance.hand_over("activate"):
            return 0
        return _fail("CCM Timer is already running but does not answer; close it (or end "
                     "its process) and try again.")
    _setup_logging(paths.logs)
    from PySide6.QtWidgets import QApplication, QMessageBox

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("ccm-timer")
    app.setApplicationDisplayName("CCM Timer")
    app.setDesktopFileName("org.ccmtimer.CCMTimer")
    app.setQuitOnLastWindowClosed(False)  # the tray has no main window
    instance.listen()
    use_tray = _wait_for_tray(app)
    early = _early_icon(app) if use_tray else None
    icon_ms = (time.perf_counter() - started) * 1000
    from ccm_timer.errors import UserError
    from ccm_timer.ui.presenters.gui_words import error_text
    from ccm_timer.ui.unlock_dialog import open_unlocked

    try:
        # Asks for the passphrase when no keyring can hold the database key.
        ctx = open_unlocked(data_dir)
    except UserError as exc:
        QMessageBox.critical(None, "CCM Timer", error_text(exc))
        instance.release()
        return 1
    if ctx is None:  # the user cancelled the passphrase
        instance.release()
        return 0
    from ccm_timer.ui.app import TrayApp
    from ccm_timer.ui.controller import TimerController
    from ccm_timer.ui.icons import app_icon

    app.setWindowIcon(app_icon())
    _install_excepthook(paths.logs)
    controller = TimerController(ctx)
    tray = TrayApp(controller, use_tray=use_tray, early_icon=early,
                   data_dir=str(paths.data) if (data_dir or os.environ.get(
                       app_paths.ENV_HOME)) else None)
    instance.message.connect(tray.handle_message)
    instance.answer = tray.handle_message  # the command line's timing commands, from now on
    app.aboutToQuit.connect(tray.shutdown)  # also on a session logout: clocks, deliveries
    from ccm_timer.ui.session_end import SessionEnd

    # A logout's SIGTERM or SIGHUP quits as the menu's Quit does (the timer left running
    # is asked about at the next start), even while a first-start dialog waits; the
    # session manager's own request checkpoints.
    ending = SessionEnd(app, quit=lambda: tray.finish(stop=False), save=ctx.checkpoint)
    try:
        start_tray(app, ctx, tray)
        log.info("icon shown after %.0f ms, ready after %.0f ms (%s)", icon_ms,
                 (time.perf_counter() - started) * 1000,
                 "system tray" if use_tray else "fallback window")
        return 0 if ending.ended else app.exec()
    finally:
        ending.close()  # also when a signal came before the loop ran (no aboutToQuit)
        if ending.received is not None:
            log.info("ended by signal %d", ending.received)
        ctx.checkpoint()  # nothing left in the -wal file alone
        instance.release()
        ctx.close()
