"""The tray's end when the session ends: a logout, a shutdown, `kill`, a closed terminal.

A logout sends SIGTERM (systemd and most desktops), a closed terminal SIGHUP, and Python's
default for both is to die at once, leaving the newest commits in the -wal file alone. So
they become the usual quit instead. Qt's loop runs no Python while it waits, so a Python
signal handler alone would only run at the next event: signal.set_wakeup_fd writes a byte
to a socket that a QSocketNotifier watches, Qt wakes, and the quit runs on the GUI thread
(the heartbeat released, the -wal checkpointed into the database, the files closed).
The session manager's own request (commitDataRequest, sent before it ends the session and
answered while it may still cancel) only checkpoints.

At the loop's end (aboutToQuit) the wake-up is undone while Qt and Python are both whole:
left in place, a signal during the interpreter's end would write into the socket's file
descriptor after the socket is gone, or into whatever file reuses its number.
"""

from __future__ import annotations

import contextlib
import signal
import socket
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QSocketNotifier
from PySide6.QtGui import QGuiApplication

SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP", "SIGINT")
                if hasattr(signal, name))


class SessionEnd(QObject):
    """Installed once the tray runs; `quit` ends it as its menu's Quit would, `save` makes
    the database whole on disk without ending."""

    def __init__(self, app: QCoreApplication, *, quit: Callable[[], None],
                 save: Callable[[], Any]) -> None:
        super().__init__(app)
        self._quit = quit
        self._save = save
        self.received: int | None = None
        self.ended = False
        self._closed = False
        self._read, self._write = socket.socketpair()
        for end in (self._read, self._write):
            end.setblocking(False)
        signal.set_wakeup_fd(self._write.fileno(), warn_on_full_buffer=False)
        for number in SIGNALS:
            signal.signal(number, self._on_signal)
        self._notifier = QSocketNotifier(self._read.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._woken)
        if isinstance(app, QGuiApplication):  # the session manager speaks to GUI apps
            app.commitDataRequest.connect(self._commit_data)
        app.aboutToQuit.connect(self.close)

    def close(self) -> None:
        """No more wake-ups: a signal from now on is only noted (`received`), as the quit
        is already under way."""
        if self._closed:
            return
        self._closed = True
        signal.set_wakeup_fd(-1)
        self._notifier.setEnabled(False)
        for end in (self._read, self._write):
            end.close()

    def _on_signal(self, number: int, _frame: Any) -> None:
        self.received = number  # no Qt here: the notifier below runs the quit

    def _woken(self, *_: Any) -> None:
        if self._closed:
            return
        with contextlib.suppress(OSError):
            self._read.recv(64)
        if self.ended:  # only signals write to the socket: one is reason enough
            return
        self.ended = True
        self._quit()

    def _commit_data(self, _manager: Any) -> None:
        self._save()
