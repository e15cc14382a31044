"""The command line's side of the tray channel (cli/tray_channel.py) against servers that do
not take the request: nobody, an older tray that never answers, one that hands it back. In
each the command runs on its own, silently, within the channel's wait."""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path

import pytest

from ccm_timer.cli import tray_channel
from tests.fixtures.cli import run_cli


@pytest.fixture
def fake_tray(home: Path):
    """`fake_tray(reply)`: a server at the tray's socket that reads one request line and
    writes `reply` (None: writes nothing and keeps the connection, as an older tray does)."""
    stops: list = []

    def serve(reply: bytes | None) -> list[bytes]:
        heard: list[bytes] = []
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(tray_channel.addresses(home)[0])
        server.listen(4)
        server.settimeout(5)

        def run() -> None:
            try:
                while True:
                    conn, _ = server.accept()
                    heard.append(conn.makefile("rb").readline())
                    if reply is not None:
                        conn.sendall(reply)
                    stops.append(conn)
            except OSError:
                return

        threading.Thread(target=run, daemon=True).start()
        stops.append(server)
        return heard

    yield serve
    for sock in stops:
        sock.close()


def test_nobody_listening_is_no_answer_at_once(home: Path) -> None:
    began = time.perf_counter()
    assert tray_channel.ask(home, "status", {}) is None
    assert time.perf_counter() - began < 0.1


def test_an_older_tray_that_never_answers_is_left_within_the_wait(home, fake_tray) -> None:
    heard = fake_tray(None)
    began = time.perf_counter()
    assert tray_channel.ask(home, "start", {"patient": "T1001", "category": "x"}) is None
    assert tray_channel.WAIT * 0.9 < time.perf_counter() - began < tray_channel.WAIT + 0.3
    request = json.loads(heard[0])
    assert (request["v"], request["command"], request["args"]["patient"]) == (
        1, "start", "T1001")
    # The server may take it only before the client gives up.
    assert request["until"] < time.time()


def test_a_handed_back_request_is_no_answer(home, fake_tray) -> None:
    fake_tray(b'{"ok": false, "fallback": true}\n')
    assert tray_channel.ask(home, "stop", {}) is None


def test_an_answer_after_accepted_is_the_answer(home, fake_tray) -> None:
    answer = {"ok": False, "error": "No timer is running.", "code": 1, "out": "", "err": ""}
    fake_tray(b'{"accepted": true}\n' + json.dumps(answer).encode() + b"\n")
    assert tray_channel.ask(home, "stop", {}) == answer


def test_the_command_runs_on_its_own_beside_an_older_tray(cli_clinic, fake_tray) -> None:
    fake_tray(None)  # an older tray: reads the line, never answers
    done = run_cli(cli_clinic, "start", "--patient", "T1001", "--category", "phone-call")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Started at ") and done.stderr == ""
