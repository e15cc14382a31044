"""Real HTTP servers on 127.0.0.1 for delivery tests: a billing endpoint that keeps
Idempotency-Keys (as a real one would) and injects faults, and a small FHIR R4 server."""

from __future__ import annotations

import hashlib
import json
import socket
import struct
import threading
import time
from collections import defaultdict, deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def _reset(handler: BaseHTTPRequestHandler) -> None:
    """Close with RST, as a dropped connection looks to the client."""
    handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    handler.connection.close()
    handler.close_connection = True


class BillingServer:
    """POST /exports. Faults are taken in order, one per request: an int status, a
    ("429", seconds) pair, "timeout" (no answer, nothing stored), "reset_after_store"."""

    def __init__(self, port: int = 0, token: str | None = None, hang: float = 1.0) -> None:
        self.stored: dict[str, bytes] = {}
        self.requests: list[tuple[str, str, str]] = []  # (key, sha256, fault)
        self.faults: deque = deque()
        self.token = token
        self.hang = hang
        self.lock = threading.Lock()
        self.in_flight: dict[str, int] = defaultdict(int)
        self.max_in_flight = 0
        self.auth_seen: list[str | None] = []
        self.server = _Server(("127.0.0.1", port), self._handler())
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/exports"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def copies(self) -> dict[str, int]:
        return {k: 1 for k in self.stored}

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self):
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def _answer(self, status: int, body: bytes = b"", headers: dict | None = None):
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                key = self.headers.get("Idempotency-Key", "")
                with outer.lock:
                    fault = outer.faults.popleft() if outer.faults else "ok"
                    outer.requests.append((key, hashlib.sha256(body).hexdigest(), str(fault)))
                    outer.auth_seen.append(self.headers.get("Authorization"))
                    outer.in_flight[key] += 1
                    outer.max_in_flight = max(outer.max_in_flight, outer.in_flight[key])
                try:
                    self._handle(key, body, fault)
                finally:
                    with outer.lock:
                        outer.in_flight[key] -= 1

            def _store(self, key: str, body: bytes) -> int:
                with outer.lock:
                    if key in outer.stored:
                        return 200 if outer.stored[key] == body else 422
                    outer.stored[key] = body
                    return 201

            def _handle(self, key: str, body: bytes, fault) -> None:
                if outer.token and self.headers.get("Authorization") != f"Bearer {outer.token}":
                    return self._answer(401, b"bad token")
                if isinstance(fault, int):
                    return self._answer(fault, b'{"error": "injected"}')
                if isinstance(fault, tuple):
                    return self._answer(429, b"slow down", {"Retry-After": str(fault[1])})
                if fault == "timeout":
                    time.sleep(outer.hang)
                    return _reset(self)
                if fault == "reset_after_store":
                    self._store(key, body)
                    return _reset(self)
                if fault == "hang_after_store":
                    self._store(key, body)
                    time.sleep(outer.hang)
                    return _reset(self)
                status = self._store(key, body)
                if status == 422:
                    return self._answer(422, b"key reused with a different payload")
                self._answer(status, b'{"stored": true}', {"Location": f"/exports/{key}"})

        return Handler


class FhirServer:
    """PUT [type]/[id] (update-as-create) and POST [base] transaction Bundles of PUTs."""

    def __init__(self) -> None:
        self.resources: dict[str, dict] = {}
        self.versions: dict[str, int] = {}
        self.faults: deque = deque()
        self.posts = 0
        self.lock = threading.Lock()
        self.server = _Server(("127.0.0.1", 0), self._handler())
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/fhir"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _put(self, path: str, resource: dict) -> tuple[int, str]:
        with self.lock:
            created = path not in self.resources
            self.resources[path] = resource
            self.versions[path] = self.versions.get(path, 0) + 1
            return (201 if created else 200), f"{path}/_history/{self.versions[path]}"

    def _handler(self):
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def _answer(self, status: int, doc: dict, location: str | None = None) -> None:
                body = json.dumps(doc).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/fhir+json")
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _body(self) -> dict:
                return json.loads(self.rfile.read(int(self.headers["Content-Length"])))

            def do_PUT(self) -> None:
                path = self.path.removeprefix("/fhir/")
                resource = self._body()
                if f"{resource['resourceType']}/{resource['id']}" != path:
                    return self._answer(400, {"resourceType": "OperationOutcome"})
                status, location = outer._put(path, resource)
                self._answer(status, resource, location)

            def do_POST(self) -> None:
                bundle = self._body()
                with outer.lock:
                    outer.posts += 1
                    fault = outer.faults.popleft() if outer.faults else "ok"
                if bundle.get("type") != "transaction":
                    return self._answer(400, {"resourceType": "OperationOutcome"})
                answers = []
                for entry in bundle["entry"]:
                    if entry["request"]["method"] != "PUT":
                        return self._answer(400, {"resourceType": "OperationOutcome"})
                    status, location = outer._put(entry["request"]["url"], entry["resource"])
                    answers.append({"response": {"status": str(status), "location": location}})
                if fault == "reset_after_commit":
                    return _reset(self)
                self._answer(200, {"resourceType": "Bundle", "type": "transaction-response",
                                   "entry": answers})

        return Handler
