"""The ICD-10-CM code set, read off the UI thread. Reading it takes about two seconds, so the
tray never reads it at start: the first conditions panel shown starts it on a worker thread
and is told when it is ready; every later panel finds it loaded (the service keeps it).

Checking a code before it is ready is still right, only slower: the caller shows a busy
cursor and the check waits for the same import.
"""

from __future__ import annotations

import logging
import threading

from PySide6.QtCore import QObject, Qt, Signal

from ccm_timer.errors import UserError
from ccm_timer.services.people import conditions

log = logging.getLogger("ccm_timer.tray")


class CodeSetLoader(QObject):
    ready = Signal()  # on the UI thread, once the code set can be asked
    _done = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.loaded = False
        self._thread: threading.Thread | None = None
        self._done.connect(self._finished, Qt.ConnectionType.QueuedConnection)

    def start(self) -> None:
        if self.loaded or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="ccm-timer-icd10",
                                        daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            conditions.check_code("I10")  # any valid code: the first check reads the set
        except UserError:
            pass  # a code set without I10 still loaded
        except Exception as exc:  # a missing package: the check at Add says it
            log.warning("the ICD-10-CM code set could not be read: %s", type(exc).__name__)
        try:
            self._done.emit()
        except RuntimeError:  # the application is closing
            pass

    def _finished(self) -> None:
        self._thread = None
        self.loaded = True
        self.ready.emit()


_loader: CodeSetLoader | None = None


def loader() -> CodeSetLoader:
    """The one loader of this process (made on first use, with the QApplication running)."""
    global _loader
    if _loader is None:
        _loader = CodeSetLoader()
    return _loader
