"""The HTTP/1.1 client of the HTTPS and FHIR targets, on httpx: one kept-alive connection per
target, TLS always verified against the operating system's trust store, the system's proxy,
bounded timeouts, and every network failure turned into plain words.

Trust: `truststore` verifies with the OS (Windows CryptoAPI, the macOS Security framework,
OpenSSL's system store on Linux, where SSL_CERT_FILE and SSL_CERT_DIR name it), so the
certificate authority of a clinic's TLS-inspecting proxy, once IT installed it on the
computer, is trusted here as in the browser; `ca_file` adds one more authority for a target.

Proxy: `urllib.request.getproxies()` reads HTTPS_PROXY / HTTP_PROXY / ALL_PROXY and, when
none is set, the Windows registry's or macOS's system proxy. httpx's trust_env reads the same
but never the system's bypass list (Windows "ProxyOverride", the macOS exceptions), which
`urllib.request.proxy_bypass` does; so the proxy is chosen here, once per target, and given
to httpx (trust_env off: nothing else in the environment changes what we send). This
machine's own addresses never go through a proxy. Automatic set-up scripts (PAC) are not read.
"""

from __future__ import annotations

import ipaddress
import ssl
import time
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
import truststore


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
# Raw bytes, never a compressed body that a few kilobytes could blow up to gigabytes.
_HEADERS = {"Accept-Encoding": "identity"}
_UNTRUSTED = ("the server's certificate is not trusted on this computer; if the clinic's "
              "network inspects secure connections, ask IT to install its certificate "
              "authority on this computer")


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def proxy_for(url: str) -> str | None:
    """The proxy the system names for `url` (None: connect directly)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if not host or _is_loopback(host):
        return None
    proxies = urllib.request.getproxies()
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    if not proxy:
        return None
    try:
        if urllib.request.proxy_bypass(host):
            return None
    except OSError:  # an unreadable registry or system configuration: the proxy holds
        pass
    return proxy if "://" in proxy else f"http://{proxy}"


def _shown(proxy: str) -> str:
    """The proxy's host and port, never a user name or password in its URL."""
    parts = urlsplit(proxy)
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    return f"{parts.hostname or proxy}{port}"


def _causes(exc: BaseException):
    seen: BaseException | None = exc
    while seen is not None:
        yield seen
        seen = seen.__cause__ or seen.__context__


def _certificate_words(error: ssl.SSLCertVerificationError) -> str:
    code = getattr(error, "verify_code", None)  # OpenSSL's; the macOS and Windows checks vary
    if code in (62, 64):  # X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH
        return ("the server's certificate is for another name; check the target's address, "
                "or ask IT whether a proxy is in the way")
    if code == 10:  # X509_V_ERR_CERT_HAS_EXPIRED
        return "the server's certificate has expired; ask whoever runs the server to renew it"
    return _UNTRUSTED


class HttpClient:
    def __init__(self, url: str, *, timeout: float = 30.0, ca_file: str | None = None) -> None:
        parts = urlsplit(url)
        self.scheme = parts.scheme
        self.host = parts.hostname or ""
        self.port = parts.port
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.base_path = parts.path or "/"
        if parts.query:
            self.base_path += "?" + parts.query
        self.timeout = timeout
        self.ca_file = ca_file
        self.proxy = proxy_for(url)
        self._client: httpx.Client | None = None
        self._kept = False  # the last answer left its connection open for the next request

    def _open(self) -> httpx.Client:
        if self._client is not None:
            return self._client
        context = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies, names checked
        if self.ca_file:
            try:
                context.load_verify_locations(cafile=self.ca_file)
            except (OSError, ssl.SSLError):
                raise TransportError(
                    "the certificate authority file named for this target cannot be read; "
                    "check that it is there and is a PEM certificate") from None
        try:
            self._client = httpx.Client(
                verify=context, proxy=self.proxy, trust_env=False, http1=True, http2=False,
                timeout=httpx.Timeout(self.timeout), follow_redirects=False,
                limits=httpx.Limits(max_connections=4, max_keepalive_connections=1))
        except (ValueError, ImportError, httpx.InvalidURL):  # a SOCKS proxy, a garbled one
            raise TransportError(
                f"the system's proxy setting ({_shown(self.proxy or '')}) cannot be used; "
                "ask IT for an HTTP proxy address") from None
        return self._client

    def close(self) -> None:
        self._kept = False
        if self._client is not None:
            self._client.close()
            self._client = None

    def request(self, method: str, path: str | None, body: bytes,
                headers: dict[str, str]) -> Response:
        """Send once; on a kept-alive connection the server had closed, send once more on a
        fresh one (safe: every request we send is idempotent by key or by id)."""
        reused = self._kept
        try:
            return self._send(method, path, body, headers)
        except TransportError as exc:
            if not (reused and exc.cut):
                raise
        return self._send(method, path, body, headers)

    def _send(self, method: str, path: str | None, body: bytes,
              headers: dict[str, str]) -> Response:
        client = self._open()
        self._kept = False
        try:
            with client.stream(method, self.origin + (path or self.base_path), content=body,
                               headers={**_HEADERS, **headers}) as resp:
                data = self._read(resp)
                found = {k.lower(): v for k, v in resp.headers.items()}
                status = resp.status_code
            # Past MAX_BODY the rest is left unread, and httpx drops that connection.
            self._kept = found.get("connection", "").lower() != "close" and (
                len(data) <= MAX_BODY)
            return Response(status, found, data[:MAX_BODY])
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            self.close()
            raise self._words(exc) from None

    def _read(self, resp: httpx.Response) -> bytes:
        """At most MAX_BODY + 1 bytes, within the timeout however slowly they trickle."""
        deadline = time.monotonic() + self.timeout
        chunks: list[bytes] = []
        size = 0
        for chunk in resp.iter_raw():
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_BODY:
                break
            if time.monotonic() > deadline:
                raise httpx.ReadTimeout("the answer came too slowly")
        return b"".join(chunks)

    def _words(self, exc: Exception) -> TransportError:
        """What went wrong, in a few words that say what to do when a person can help."""
        via = f" through the proxy {_shown(self.proxy)}" if self.proxy else ""
        if isinstance(exc, httpx.TimeoutException):
            return TransportError(f"no answer within {self.timeout:g} s{via}")
        for cause in _causes(exc):
            if isinstance(cause, ssl.SSLCertVerificationError):
                return TransportError(_certificate_words(cause))
        if isinstance(exc, httpx.ProxyError):
            return TransportError(
                f"the proxy {_shown(self.proxy or '')} did not connect us to the server "
                f"({exc}); check the proxy settings with IT")
        if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)):
            return TransportError("the connection was cut before an answer came", cut=True)
        for cause in _causes(exc):
            if isinstance(cause, ssl.SSLError):
                return TransportError(
                    "a secure connection could not be set up; check that the target's "
                    "address is the server's https address")
        if isinstance(exc, httpx.ConnectError) and self.proxy:
            return TransportError(f"no connection to the proxy {_shown(self.proxy)}; check "
                                  "this computer's proxy settings")
        if isinstance(exc, (httpx.UnsupportedProtocol, httpx.InvalidURL)):
            return TransportError("the target's address cannot be used; check it")
        return TransportError("no connection")
