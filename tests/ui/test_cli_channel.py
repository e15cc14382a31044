"""The command line's timing commands done by the running tray (issue 18, point 1): a real
tray in this process serves its single-instance channel while real `ccm-timer` processes
ask it; its event loop runs while they wait (qtbot.waitUntil)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from ccm_timer.cli import tray_channel
from ccm_timer.services.timing import timers
from ccm_timer.ui import cli_channel
from ccm_timer.ui.presenters.tray_state import TrayState
from tests.fixtures.clinic import PHYSICIAN
from tests.fixtures.tray_channel import channel_env, real_clinic, run_many
from tests.fixtures.tray_channel import run_while_serving as run


def test_start_and_status_go_through_the_tray(clinic, make_tray, serve, qtbot):
    # begin=False: no file watch and no heartbeat, so only the channel can change the tray.
    tray = make_tray(clinic, begin=False)
    serve(tray, clinic.paths.data)
    done = run(qtbot, clinic.paths.data, "start", "--patient", "T1001", "--category",
               "phone-call", "--note", "BP follow-up")
    assert (done.returncode, done.stderr) == (0, "")
    # The tray's clock (10:00 on 3 November 2026) timed it, not this machine's.
    assert done.stdout.startswith(
        "Started at 10:00: Phone call with patient or caregiver for T1001 (0:00) [")
    assert tray.status.state is TrayState.RUNNING  # at once: nothing else told the tray
    assert tray.status.entry.patient_mrn == "T1001"
    shown = run(qtbot, clinic.paths.data, "status")
    assert shown.stdout.startswith("Running: Phone call with patient or caregiver for T1001, "
                                   "0:00 since 2026-11-03 10:00"), shown
    done = run(qtbot, clinic.paths.data, "stop", "--json")
    assert done.returncode == 0
    assert json.loads(done.stdout)["state"] == "stopped"
    assert tray.status.state is TrayState.IDLE


# Every timing command, its errors included, in text and JSON.
SCRIPT = [
    ["status"], ["stop"], ["pause"],
    ["start", "--patient", "T9999", "--category", "phone-call"],
    ["start", "--category", "phone-call"],
    ["start", "--patient", "T1001", "--category", "no-such-activity"],
    ["start", "--patient", "T1001", "--category", "phone-call", "--note", "BP follow-up"],
    ["start", "--patient", "T1002", "--category", "med-rec"],
    ["status", "--json"], ["pause"], ["pause", "--json"], ["status"], ["resume", "--json"],
    ["switch", "--patient", "T1002", "--category", "med-rec", "--json"],
    ["switch", "--patient", "T1003", "--category", "phone-call"],
    ["status"], ["stop", "--note", "done", "--json"], ["stop", "--json"],
    ["start", "--patient", "T1001", "--category", "phone-call", "--json"], ["stop"],
    ["status", "--json"],
]
def test_answers_are_the_same_through_the_tray_and_without_it(tmp_path, make_tray, serve,
                                                               qtbot):
    served, alone = real_clinic(tmp_path / "served"), real_clinic(tmp_path / "alone")
    try:
        alone.close()
        tray = make_tray(served, begin=False)
        serve(tray, served.paths.data)
        seen: list = []
        tray.controller.state_changed.connect(seen.append)
        through = run_many(qtbot, served.paths.data, SCRIPT)
        # The tray did each command that changes the timer (and nothing else told it).
        assert len(seen) == sum(argv[0] != "status" for argv in SCRIPT)
        assert tray.status.state is TrayState.IDLE and tray.status.entry is None
        without = run_many(qtbot, alone.paths.data, SCRIPT)
        for argv, mine, theirs in zip(SCRIPT, through, without, strict=True):
            assert mine == theirs, argv
        codes = [code for code, _, _ in through]
        assert codes.count(0) > 10 and codes.count(1) > 5  # both kinds were compared
        assert "Warning:" in "".join(err for _, _, err in through)  # T1003 is not in CCM
    finally:
        served.close()


def test_someone_else_named_is_handed_back(clinic, make_tray, qtbot):
    tray = make_tray(clinic, begin=False)
    request = {"v": 1, "command": "start", "until": 0,
               "args": {"patient": "T1001", "category": "phone-call", "clinician": PHYSICIAN}}
    assert cli_channel.answer(tray.controller, request) == cli_channel.BACK
    assert timers.status(clinic, PHYSICIAN).entry is None  # nothing was done
    assert tray.status.state is TrayState.IDLE


def test_someone_else_named_is_asked_their_password_by_the_command_line(
        clinic, make_tray, serve, qtbot):
    tray = make_tray(clinic, begin=False)
    serve(tray, clinic.paths.data)
    done = run(qtbot, clinic.paths.data, "start", "--patient", "T1001", "--category",
               "phone-call", "--clinician", PHYSICIAN, input="Synthetic-pass-16\n")
    assert done.returncode == 0, done.stderr
    assert not done.stdout.startswith("Started at 10:00")  # this machine's clock: its own
    assert timers.status(clinic, PHYSICIAN).entry is not None
    assert tray.status.state is TrayState.IDLE  # the tray's own person has no timer


def test_start_and_stop_through_the_tray_import_neither_qt_nor_the_orm(
        clinic, make_tray, serve, qtbot):
    tray = make_tray(clinic, begin=False)
    serve(tray, clinic.paths.data)
    code = (
        "import sys; import ccm_timer.cli.main as m;"
        "rc = m.main(sys.argv[1:]);"
        "bad = [n for n in sys.modules if n.split('.')[0] in "
        "('PySide6', 'shiboken6', 'sqlalchemy', 'sqlmodel', 'alembic', 'sqlcipher3', "
        "'keyring')];"
        "print(bad, file=sys.stderr); sys.exit(rc)"
    )
    for argv in (["start", "--patient", "T1001", "--category", "phone-call"], ["status"],
                 ["stop"]):
        proc = subprocess.Popen([sys.executable, "-c", code, *argv], env=channel_env(
            clinic.paths.data), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        qtbot.waitUntil(lambda proc=proc: proc.poll() is not None, timeout=60_000)
        out, err = proc.communicate()
        assert proc.returncode == 0, err
        assert err.strip() == "[]", argv
    assert tray.status.state is TrayState.IDLE
    assert "Stopped: " in out


# --- another user's process ----------------------------------------------------------------

def _as_nobody(qtbot, where: str, line: bytes) -> bytes:
    """What a process of user 65534 hears after sending `line` to the socket `where`:
    b'refused' when it cannot connect or the server closes without a word."""
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # the child: no Qt, no pytest, only the socket
        result = b"refused"
        try:
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(5)
                sock.connect(where)
                sock.sendall(line)
                result = sock.recv(4096) or b"refused"
        except OSError:
            pass
        os.write(write_end, result)
        os._exit(0)
    os.close(write_end)
    qtbot.waitUntil(lambda: os.waitpid(child, os.WNOHANG) != (0, 0), timeout=20_000)
    heard = os.read(read_end, 4096)
    os.close(read_end)
    return heard


@pytest.fixture
def reachable():
    """A data folder another user could reach but for its own 0700 (pytest's folders are
    closed to them above it), removed after the test."""
    import shutil
    import tempfile

    top = Path(tempfile.mkdtemp(prefix="ccm-channel-"))
    top.chmod(0o755)
    ctx = real_clinic(top / "data")
    yield ctx
    ctx.close()
    shutil.rmtree(top, ignore_errors=True)


@pytest.mark.skipif(not hasattr(os, "getuid") or os.getuid() != 0,
                    reason="needs root, to run a client as another user (CI runs as root)")
@pytest.mark.parametrize("open_folder", [False, True], ids=["as-made", "folder-opened"])
def test_another_users_process_is_refused(reachable, make_tray, serve, qtbot, open_folder):
    tray = make_tray(reachable, begin=False)
    instance = serve(tray, reachable.paths.data)
    where = instance.addresses[0]
    assert Path(where).is_socket() and Path(where).parent == reachable.paths.data
    if open_folder:  # only the peer's uid keeps them out now
        reachable.paths.data.chmod(0o777)
        os.chmod(where, 0o777)
    line = tray_channel.request_line(
        "start", {"patient": "T1001", "category": "phone-call"}, wait=30)
    try:
        assert _as_nobody(qtbot, where, line) == b"refused"
    finally:
        reachable.paths.data.chmod(0o700)
    assert timers.status(reachable).entry is None  # nothing changed
    assert tray.status.state is TrayState.IDLE


# --- the transport ---------------------------------------------------------------------------

def test_a_late_request_is_handed_back_undone(clinic, make_tray, serve, qtbot):
    tray = make_tray(clinic, begin=False)
    instance = serve(tray, clinic.paths.data)
    line = tray_channel.request_line("start", {"patient": "T1001", "category": "phone-call"},
                                     wait=-1)  # its `until` is already past
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(instance.addresses[0])
        sock.sendall(line)
        sock.settimeout(0.05)
        got = b""
        while not got.endswith(b"\n"):
            qtbot.wait(20)
            try:
                got += sock.recv(4096)
            except TimeoutError:
                pass
    assert json.loads(got) == {"ok": False, "fallback": True}
    assert timers.status(clinic).entry is None


def test_the_command_line_finds_the_trays_socket_where_qt_put_it(tmp_path, monkeypatch):
    from PySide6.QtCore import QDir

    long = tmp_path / ("x" * 120)
    long.mkdir()
    assert tray_channel.socket_path(long) is None  # too long for a socket: Qt's folder
    name = tray_channel.server_name(long)
    assert tray_channel.addresses(long) == [os.path.join(QDir.tempPath(), name)]
    short = tray_channel.addresses(tmp_path)
    assert short[0] == str(tmp_path.resolve() / "ccm-timer.sock")
