"""One tray per data folder. A second launch hands over to the first and exits, so binding
`ccm-timer` to a desktop keyboard shortcut gives a global hotkey where apps cannot grab one.

A QLockFile in the data folder decides who runs; a QLocalServer at the data folder's address
(cli/tray_channel.addresses: a socket in the folder, a named pipe on Windows) carries the
hand-over, so tests with different data folders never collide. The same server takes the
command line's requests (a line that is a JSON object, the protocol in cli/tray_channel.py)
and writes their answers back; only the same OS user is heard (the peer's uid is checked
before anything is read).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QLockFile, QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from ccm_timer.cli import tray_channel

log = logging.getLogger("ccm_timer.tray")

LOCK_NAME = "ccm-timer.lock"
HANDOVER_SECONDS = 3.0  # the first instance may still be starting its server


def server_name(data_folder: Path, *, platform: str = sys.platform) -> str:
    """The hand-over's name: a named pipe (//./pipe/NAME) on Windows, the socket's in the
    temporary folder when the data folder's path is too long (tray_channel.server_name)."""
    return tray_channel.server_name(data_folder, platform=platform)


def same_user(sock: QLocalSocket, *, platform: str = sys.platform) -> bool:
    """Whether the process at the other end runs as this user. A named pipe's ACL already
    keeps others out (UserAccessOption); a Unix socket's peer is asked for its uid."""
    if platform == "win32":
        return True
    return tray_channel.fd_peer_uid(int(sock.socketDescriptor())) == os.geteuid()


Answer = Callable[[dict[str, Any]], "dict[str, Any] | None"]
_BACK = {"ok": False, "fallback": True}  # the command line does it itself


class SingleInstance(QObject):
    message = Signal(str)

    def __init__(self, data_folder: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = server_name(data_folder)
        self.addresses = tray_channel.addresses(Path(data_folder))
        # The command line's requests: set once the app can do them (TrayApp.handle_message);
        # until then each is handed back.
        self.answer: Answer | None = None
        self._lock = QLockFile(str(Path(data_folder) / LOCK_NAME))
        self._lock.setStaleLockTime(0)  # stale only when its process is gone, never by age
        self._server: QLocalServer | None = None
        self._clients: list[QLocalSocket] = []

    def acquire(self) -> bool:
        """True when this process is the one instance; it must then `listen()` once a Qt
        application exists (a server needs an event loop)."""
        return self._lock.tryLock(100)

    def listen(self) -> None:
        """Listen at the first address that takes a socket (the data folder may be on a
        file system that does not); the command line tries them in the same order."""
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._accept)
        for where in (self.addresses if sys.platform != "win32" else [self.name]):
            QLocalServer.removeServer(where)  # a crashed predecessor's socket file
            if self._server.listen(where):
                return
        log.warning("no hand-over server: %s", self._server.errorString())

    def _accept(self) -> None:
        while self._server is not None and self._server.hasPendingConnections():
            sock = self._server.nextPendingConnection()
            if not same_user(sock):
                log.warning("refused a connection from another user's process")
                sock.abort()
                sock.deleteLater()
                continue
            self._clients.append(sock)
            sock.readyRead.connect(self._read)
            self._read()  # the line may have arrived with the connection

    def _read(self) -> None:
        for sock in list(self._clients):
            while sock.canReadLine():
                text = bytes(sock.readLine().data()).decode("utf-8", "replace").strip()
                if text.startswith("{"):
                    self._request(sock, text)
                elif text:
                    self.message.emit(text)
            if sock.state() != QLocalSocket.LocalSocketState.ConnectedState:
                self._clients.remove(sock)  # the server, its parent, deletes it

    def _request(self, sock: QLocalSocket, text: str) -> None:
        """Take a command line's request, or hand it back. Taken ('accepted', written at
        once) only before its `until`: a client that gave up meanwhile does it itself."""
        try:
            request = json.loads(text)
        except ValueError:
            request = None
        if (self.answer is None or not isinstance(request, dict)
                or request.get("v") != tray_channel.VERSION
                or not isinstance(request.get("until"), int | float)
                or time.time() > request["until"]):
            self._reply(sock, _BACK)
            return
        self._reply(sock, {"accepted": True})
        self._reply(sock, self.answer(request) or _BACK)

    @staticmethod
    def _reply(sock: QLocalSocket, answer: dict[str, Any]) -> None:
        sock.write((json.dumps(answer, ensure_ascii=False, default=str) + "\n").encode())
        sock.flush()

    def hand_over(self, message: str) -> bool:
        """Send `message` to the running instance; False if none answers in time."""
        deadline = time.monotonic() + HANDOVER_SECONDS
        where = self.addresses if sys.platform != "win32" else [self.name]
        while True:
            for address in where:
                sock = QLocalSocket()
                sock.connectToServer(address)
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
