"""The keyboard shortcut's path (cli/tray_quick.py): argv read by hand must give the tray the
very request the full parser would (else it takes the full path), the answer is printed as
the full path prints it, and a tray that did not take the command is not asked twice."""

from __future__ import annotations

import argparse
import json
import os
import socket
import threading
from pathlib import Path

import pytest

from ccm_timer import paths
from ccm_timer.cli import main, tray_channel, tray_quick

# Argument lists the full parser takes, in the forms people type them.
TAKEN = [
    ["start", "--patient", "T1001", "--category", "phone-call"],
    ["start", "--category=med-rec", "--note", "", "--program", "CCM", "--json"],
    ["--json", "switch", "--patient", "T1002", "--category", "x", "--patient", "T1003"],
    ["--data-dir", "/tmp/a", "start", "--category", "c", "--data-dir=/tmp/b", "--clinician",
     "Avery Nurse"],
    ["pause"], ["resume", "--clinician", "Dr Synth"], ["stop"], ["stop", "--note=done"],
    ["stop", "--note", "BP ok", "--json"], ["status"], ["status", "--json", "--clinician", "x"],
    ["report", "--month", "2026-11"], ["report", "--month=0001-01", "--csv", "--json"],
    ["--json", "report", "--patient", "T1001", "--month", "2026-12", "--csv"],
]
# What it must leave to the full path (an error, help, or a reading it is not sure of).
LEFT = [
    [], ["--help"], ["start", "-h"], ["--version"], ["start", "--pat", "T1001", "--category",
                                                      "c"],
    ["start", "--patient", "T1001"], ["stop", "--note"], ["stop", "--note", "-x"],
    ["stop", "extra"], ["status", "--json=1"], ["--clinician", "x", "status"],
    ["pause", "--note", "n"], ["recover"], ["entry", "list"], ["stop", "--"],
    ["--data-dir"], ["status", "-"],
    ["report"], ["report", "--month", "2026-13"], ["report", "--month", "2026-1"],
    ["report", "--month", "0000-01"], ["report", "--month", "２０２６-11"],
    ["report", "--month", "2026-11", "--hub", "clinic"], ["report", "--month", "2026-11",
                                                           "--csv=1"],
    ["--csv", "report", "--month", "2026-11"], ["stop", "--csv"],
]


def _what_the_parser_sends(argv: list[str]) -> tuple[str, dict, str | None]:
    """The request the full path sends (main.run, then tray_channel.through_tray)."""
    args = main.build_parser(argv).parse_args(argv)
    args.data_dir = getattr(args, "data_dir", None)
    args.json = getattr(args, "json", False)
    given = {n: getattr(args, n) for n in tray_channel.FIELDS if hasattr(args, n)}
    return args.command, given, args.data_dir


@pytest.mark.parametrize("argv", TAKEN, ids=" ".join)
def test_the_hand_reading_is_the_parsers(argv):
    assert tray_quick.request(argv) == _what_the_parser_sends(argv)


@pytest.mark.parametrize("argv", LEFT, ids=lambda a: " ".join(a) or "nothing")
def test_anything_else_takes_the_full_path(argv):
    assert tray_quick.request(argv) is None


def test_the_options_are_what_timing_registers():
    for command, options in tray_quick.OPTIONS.items():
        parser = main.build_parser([command])
        sub = parser._subparsers._group_actions[0].choices[command]
        mine = {a.dest for a in sub._actions if a.option_strings and a.dest not in (
            "help", "data_dir", "json")}
        # A hub's report is the command line's own (cli/report._via_tray): never sent.
        assert mine - ({"hub"} if command == "report" else set()) == set(options), command
        flags = {a.dest for a in sub._actions if a.option_strings and a.nargs == 0} - {
            "help", "json"}
        assert flags == set(tray_quick.FLAGS.get(command, ())), command


def test_the_data_folder_is_the_one_paths_resolves(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for named in ("rel/folder", "~/x", str(tmp_path / "a" / ".." / "b")):
        assert tray_quick.data_folder(named) == str(paths.resolve(named).data)
    monkeypatch.setenv("CCM_TIMER_HOME", "from-env")
    assert tray_quick.data_folder(None) == str(tmp_path / "from-env")
    monkeypatch.delenv("CCM_TIMER_HOME")
    assert tray_quick.data_folder(None) == str(paths.resolve(None).data)


@pytest.fixture
def tray_says(home: Path, monkeypatch):
    """`tray_says(*replies)`: a server at the tray's socket that answers each connection with
    the next reply (bytes); returns the list of request lines heard."""
    monkeypatch.setenv("CCM_TIMER_HOME", str(home))
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(tray_channel.addresses(home)[0])
    server.listen(4)

    def serve(*replies: bytes) -> list[bytes]:
        heard: list[bytes] = []

        def run() -> None:
            for reply in replies:
                try:
                    conn, _ = server.accept()
                except OSError:
                    return
                with conn:
                    heard.append(conn.makefile("rb").readline())
                    conn.sendall(reply)

        threading.Thread(target=run, daemon=True).start()
        return heard

    yield serve
    server.close()


def _answer(**fields) -> bytes:
    return b'{"accepted": true}\n' + json.dumps(fields).encode() + b"\n"


def test_the_answer_is_printed_as_the_full_path_prints_it(tray_says, capsys):
    tray_says(_answer(ok=True, out="Stopped: \x1b[2JPhone call (0:05)\n", err="w\n"),
              _answer(ok=False, error="No timer is running.", code=1, out="", err=""))
    assert main.main(["stop"]) == 0
    seen = capsys.readouterr()
    # A stored note's escape sequence reaches the terminal as text, as terminal_safe does.
    assert (seen.out, seen.err) == ("Stopped: \\u001b[2JPhone call (0:05)\n", "w\n")
    assert main.main(["stop", "--json"]) == 1
    assert capsys.readouterr().err == "ccm-timer: No timer is running.\n"


def test_a_tray_that_hands_the_command_back_is_asked_once(tray_says, home):
    heard = tray_says(b'{"ok": false, "fallback": true}\n', b'{"ok": false, "fallback": true}\n')
    assert tray_quick.run(["stop", "--note", "n"]) is None
    args = argparse.Namespace(command="stop", data_dir=None, note="n", clinician=None,
                              json=False)
    assert tray_channel.through_tray(args) is False  # the full path, not asking again
    assert len(heard) == 1 and json.loads(heard[0])["args"] == {
        "note": "n", "clinician": None, "json": False}
    # The next command asks afresh.
    assert tray_channel.through_tray(args) is False
    assert len(heard) == 2


def test_nothing_listening_is_no_answer(home, monkeypatch):
    monkeypatch.setenv("CCM_TIMER_HOME", str(home))
    assert not os.path.exists(tray_channel.addresses(home)[0])
    assert tray_quick.run(["status"]) is None
    assert tray_channel.unanswered == str(home.resolve())
