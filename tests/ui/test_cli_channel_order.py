"""The tray answers a command line's request before it refreshes its own menu and icon
(ui/cli_channel.refresh_after_answer), and the refresh still comes, on the next turn of
its event loop (issue 18, point 1: the answer waits for the commit, not for the tray)."""

from __future__ import annotations

import json
import socket
import time

from ccm_timer.cli import tray_channel
from ccm_timer.services.timing import timers
from ccm_timer.ui import cli_channel
from ccm_timer.ui.presenters.tray_state import TrayState
from ccm_timer.ui.single_instance import SingleInstance

START = {"patient": "T1001", "category": "phone-call"}


def _request(command: str, args: dict) -> dict:
    return {"v": 1, "command": command, "args": args, "until": time.time() + 30}


def _lines_waiting(sock: socket.socket) -> int:
    """Whole lines already in the client's socket, read without taking them."""
    try:
        return sock.recv(65536, socket.MSG_PEEK | socket.MSG_DONTWAIT).count(b"\n")
    except BlockingIOError:
        return 0


def test_the_answer_is_written_before_the_tray_refreshes(clinic, make_tray, qtbot):
    tray = make_tray(clinic, begin=False)  # no file watch: only the channel tells the tray
    instance = SingleInstance(clinic.paths.data)
    assert instance.acquire()
    instance.listen()
    instance.answer = tray.handle_message
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        client.connect(instance.addresses[0])
        at_refresh: list[int] = []
        tray.controller.state_changed.connect(lambda _: at_refresh.append(
            _lines_waiting(client)))
        client.sendall(tray_channel.request_line("start", START, wait=30))
        qtbot.waitUntil(lambda: tray.status.state is TrayState.RUNNING, timeout=10_000)
        # `accepted` and the answer were both in the client's socket when the tray refreshed.
        assert at_refresh == [2]
        reply = client.makefile("rb")
        assert json.loads(reply.readline()) == {"accepted": True}
        answer = json.loads(reply.readline())
        assert answer["ok"] and answer["out"].startswith("Started at 10:00: ")
        assert tray.status.entry.patient_mrn == "T1001"
    finally:
        client.close()
        instance.release()


def test_the_commit_comes_before_the_answer_and_the_refresh_after_it(clinic, make_tray,
                                                                       qtbot):
    tray = make_tray(clinic, begin=False)
    seen: list = []
    tray.controller.state_changed.connect(seen.append)
    answer = cli_channel.answer(tray.controller, _request("start", START))
    assert answer["ok"], answer
    assert timers.status(clinic).entry is not None  # committed: the answer may say so
    assert seen == [] and tray.status.state is TrayState.IDLE  # not refreshed yet
    qtbot.waitUntil(lambda: len(seen) == 1, timeout=5_000)
    assert tray.status.state is TrayState.RUNNING
    # A status changes nothing and refreshes nothing; an error still shows the tray's state.
    assert cli_channel.answer(tray.controller, _request("status", {}))["ok"]
    failed = cli_channel.answer(tray.controller, _request("start", {"category": "nope"}))
    assert failed["ok"] is False and failed["code"] == 1
    qtbot.waitUntil(lambda: len(seen) == 2, timeout=5_000)
    qtbot.wait(50)
    assert len(seen) == 2


def test_no_refresh_reaches_a_tray_shut_down_first(clinic, make_tray, qtbot):
    tray = make_tray(clinic, begin=False)
    seen: list = []
    tray.controller.state_changed.connect(seen.append)
    assert cli_channel.answer(tray.controller, _request("start", START))["ok"]
    tray.controller.shutdown()  # a quit in the same turn: its database may close next
    qtbot.wait(50)
    assert seen == []
