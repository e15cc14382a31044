"""A small HTTP/1.1 client over the standard library: one kept-alive connection per target,
TLS always verified, bounded timeouts, and every network failure turned into plain words.

Standard library only (http.client): the app needs POST and PUT with a few headers, and
keeping the dependency list short matters for a PyInstaller-packaged desktop app.
"""

from __future__ import annotations

import http.client
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit


class TransportError(Exception):
    """No usable answer: the outcome is unknown, so the same request may be sent again."""

    def __init__(self, message: str, *, cut: bool = False) -> None:
        super().__init__(message)
        self.cut = cut  # the connection closed under us (maybe an idle kept-alive one)


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


MAX_BODY = 1 << 20  # we only read receipts and error reasons


class HttpClient:
    def __init__(self, url: str, *, timeout: float = 30.0) -> None:
        parts = urlsplit(url)
        self.scheme = parts.scheme
        self.host = parts.hostname or ""
        self.port = parts.port
        self.base_path = parts.path or "/"
        if parts.query:
            self.base_path += "?" + parts.query
        self.timeout = timeout
        self._conn: http.client.HTTPConnection | None = None

    def _connect(self) -> http.client.HTTPConnection:
        if self.scheme == "https":
            return http.client.HTTPSConnection(
                self.host, self.port, timeout=self.timeout,
                context=ssl.create_default_context(),
            )
        return http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def request(self, method: str, path: str | None, body: bytes,
                headers: dict[str, str]) -> Response:
        """Send once; on a kept-alive connection the server had closed, send once more on a
        fresh one (safe: every request we send is idempotent by key or by id)."""
        reused = self._conn is not None
        try:
            return self._send(method, path, body, headers)
        except TransportError as exc:
            if not (reused and exc.cut):
                raise
        return self._send(method, path, body, headers)

    def _send(self, method: str, path: str | None, body: bytes,
              headers: dict[str, str]) -> Response:
        if self._conn is None:
            self._conn = self._connect()
        conn = self._conn
        try:
            conn.request(method, path or self.base_path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read(MAX_BODY + 1)
            found = {k.lower(): v for k, v in resp.getheaders()}
            if resp.will_close or len(data) > MAX_BODY:
                self.close()
            return Response(resp.status, found, data[:MAX_BODY])
        except TimeoutError:
            self.close()
            raise TransportError(f"no answer within {self.timeout:g} s") from None
        except ssl.SSLCertVerificationError:
            self.close()
            raise TransportError("the server's certificate could not be verified") from None
        except (ConnectionRefusedError, socket.gaierror):
            self.close()
            raise TransportError("no connection") from None
        except (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected,
                http.client.IncompleteRead):
            self.close()
            raise TransportError("the connection was cut before an answer came",
                                 cut=True) from None
        except (OSError, http.client.HTTPException):
            self.close()
            raise TransportError("no connection") from None
