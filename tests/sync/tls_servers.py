"""For the TLS and proxy tests: a test certificate authority, the billing server behind TLS,
a small CONNECT proxy and a server whose answer never ends, all on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import ipaddress
import select
import socket
import ssl
import threading
import time
from pathlib import Path
from socketserver import StreamRequestHandler, ThreadingTCPServer

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.fixtures.servers import BillingServer

CLINIC_HOST = "billing.clinic.test"  # resolves nowhere: only a proxy can reach it


def _name(text: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


class ClinicCA:
    """A certificate authority of the test's own, and server certificates it signs."""

    def __init__(self, folder: Path, name: str = "Synthetic Clinic Test CA") -> None:
        self.folder = folder
        self.key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        public = self.key.public_key()
        self.cert = (
            x509.CertificateBuilder().subject_name(_name(name)).issuer_name(_name(name))
            .public_key(public).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False,
                                         False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
            .sign(self.key, hashes.SHA256()))
        self.ca_file = folder / "clinic-ca.pem"
        self.ca_file.write_bytes(_pem(self.cert))

    def server_files(self, *hosts: str) -> tuple[Path, Path]:
        """(certificate chain, key) for a server known by `hosts` (names or IPs)."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        names: list[x509.GeneralName] = []
        for host in hosts:
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(host)))
            except ValueError:
                names.append(x509.DNSName(host))
        cert = (
            x509.CertificateBuilder().subject_name(_name(hosts[0]))
            .issuer_name(self.cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=7))
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False,
                                         False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                self.key.public_key()), critical=False)
            .sign(self.key, hashes.SHA256()))
        stem = self.folder / f"server-{len(list(self.folder.glob('server-*.pem')))}"
        chain, key_file = stem.with_suffix(".pem"), stem.with_suffix(".key")
        chain.write_bytes(_pem(cert) + _pem(self.cert))
        key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                               serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
        return chain, key_file


def tls_billing_server(ca: ClinicCA, *hosts: str) -> BillingServer:
    """The billing server, answering over TLS with a certificate from `ca` for `hosts`.
    The handshake happens on accept, so a refused certificate leaves no handler traceback."""
    server = BillingServer()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*ca.server_files(*hosts))
    server.server.socket = context.wrap_socket(server.server.socket, server_side=True)
    server.url = f"https://127.0.0.1:{server.port}/exports"
    return server


class _Server(ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class ConnectProxy:
    """An HTTP proxy that only tunnels (CONNECT host:port), to 127.0.0.1:port whatever the
    host: the names it was asked for are in `tunnels`. `refuse` answers 403 instead."""

    def __init__(self) -> None:
        self.tunnels: list[str] = []
        self.refuse = False
        outer = self

        class Handler(StreamRequestHandler):
            def handle(self) -> None:
                head = b""
                while not head.endswith(b"\r\n\r\n"):
                    line = self.rfile.readline(65536)
                    if not line:
                        return
                    head += line
                method, target, _ = head.split(b"\r\n", 1)[0].decode().split(" ", 2)
                outer.tunnels.append(target)
                if method != "CONNECT" or outer.refuse:
                    self.wfile.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
                    return
                port = int(target.rsplit(":", 1)[1])
                with socket.create_connection(("127.0.0.1", port), timeout=5) as upstream:
                    self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    self.wfile.flush()
                    _pump(self.connection, upstream)

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _pump(a: socket.socket, b: socket.socket) -> None:
    """Bytes both ways until either side closes."""
    while True:
        ready, _, _ = select.select([a, b], [], [], 5)
        if not ready:
            return
        for sock in ready:
            data = sock.recv(65536)
            if not data:
                return
            (b if sock is a else a).sendall(data)


class EndlessAnswer:
    """Answers any request 200 with a Content-Length of `declared` bytes, then writes them
    (every `pause` seconds a chunk) until the client hangs up: `written` is what it sent."""

    def __init__(self, declared: int, *, chunk: int = 65536, pause: float = 0.0) -> None:
        self.written = 0
        self.done = threading.Event()
        outer = self

        class Handler(StreamRequestHandler):
            def handle(self) -> None:
                while self.rfile.readline(65536) not in (b"\r\n", b""):
                    pass  # a POST with no body: the head is the whole request
                self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                                 b"Content-Length: %d\r\n\r\n" % declared)
                block = b"x" * chunk
                try:
                    while outer.written < declared:
                        self.wfile.write(block)
                        self.wfile.flush()
                        outer.written += len(block)
                        if pause:
                            time.sleep(pause)
                except OSError:
                    pass  # the client hung up, as it should long before the end
                finally:
                    outer.done.set()

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/exports"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
