"""One tray per data folder. A second launch hands over to the first and exits, so binding
`ccm-timer` to a desktop keyboard shortcut gives a global hotkey where apps cannot grab one.

A QLockFile in the data folder decides who runs; a QLocalServer named after the data
folder carries the hand-over, so tests with different data folders never collide.
"""

from __future__ import annotations

import hashlib
import ntpath
import sys
import time
from pathlib import Path

from PySide6.QtCore import QLockFile, QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

LOCK_NAME = "ccm-timer.lock"
HANDOVER_SECONDS = 3.0  # the first instance may still be starting its server


def server_name(data_folder: Path, *, platform: str = sys.platform) -> str:
    """The hand-over's local server: a named pipe (//./pipe/NAME) on Windows, a socket in the
    temporary folder elsewhere. One name per data folder, so two spellings of one folder
    must give one name: Windows paths are case-insensitive and take either slash."""
    folder = str(Path(data_folder).resolve())
    if platform == "win32":
        folder = ntpath.normcase(folder)
    digest = hashlib.sha256(folder.encode("utf-8")).hexdigest()
    return f"ccm-timer-{digest[:16]}"


class SingleInstance(QObject):
    message = Signal(str)

    def __init__(self, data_folder: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = server_name(data_folder)
        self._lock = QLockFile(str(Path(data_folder) / LOCK_NAME))
        self._lock.setStaleLockTime(0)  # stale only when its process is gone, never by age
        self._server: QLocalServer | None = None
        self._clients: list[QLocalSocket] = []

    def acquire(self) -> bool:
        """True when this process is the one instance; it must then `listen()` once a Qt
        application exists (a server needs an event loop)."""
        return self._lock.tryLock(100)

    def listen(self) -> None:
        QLocalServer.removeServer(self.name)  # a crashed predecessor's socket file
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._accept)
        self._server.listen(self.name)

    def _accept(self) -> None:
        while self._server is not None and self._server.hasPendingConnections():
            sock = self._server.nextPendingConnection()
            self._clients.append(sock)
            sock.readyRead.connect(self._read)
            self._read()  # the line may have arrived with the connection

    def _read(self) -> None:
        for sock in list(self._clients):
            while sock.canReadLine():
                text = bytes(sock.readLine().data()).decode("utf-8", "replace").strip()
                if text:
                    self.message.emit(text)
            if sock.state() != QLocalSocket.LocalSocketState.ConnectedState:
                self._clients.remove(sock)  # the server, its parent, deletes it

    def hand_over(self, message: str) -> bool:
        """Send `message` to the running instance; False if none answers in time."""
        deadline = time.monotonic() + HANDOVER_SECONDS
        while True:
            sock = QLocalSocket()
            sock.connectToServer(self.name)
            if sock.waitForConnected(500):
                sock.write(f"{message}\n".encode())
                sent = sock.waitForBytesWritten(1000)
                sock.disconnectFromServer()
                return sent
            if time.monotonic() > deadline:
                return False
            time.sleep(0.1)

    def release(self) -> None:
        for sock in self._clients:
            sock.readyRead.disconnect(self._read)
            sock.abort()
        self._clients = []
        if self._server is not None:
            self._server.close()
            self._server = None
        self._lock.unlock()
