"""The keyboard shortcut's path: `ccm-timer start|switch|pause|resume|stop|status ...` and
`ccm-timer report --month YYYY-MM ...` read from the command line by hand and sent to the
running tray before argparse, typing, pathlib or any command module is imported (issue 18,
point 1: a call through the tray no slower than Watson's; point 2: a month report in a
fraction of Timewarrior's time, read from the tray's open database).

Only what is certainly what the command's parser (cli/timing.register, cli/report.register)
would make is sent:
the options by their full names, each value a word of its own or after `=`, the data folder
from --data-dir or CCM_TIMER_HOME. Anything else (an abbreviated option, --help, a missing
--category, a value starting with "-", text that is not UTF-8) returns None and takes the
full path, which asks the tray itself and says what is wrong in the parser's words. The
tray's answer is printed as the full path prints it: the same streams, the same
`ccm-timer: ` sentence and exit code, control characters neutralised.
"""

from __future__ import annotations

import os
import sys

from ccm_timer.cli import tray_channel

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

_REQUIRED = object()
_ASKS = {"patient": None, "category": _REQUIRED, "note": "", "program": None,
         "clinician": None}
# Each command's options with their defaults, as cli/timing.register and cli/report.register
# declare them (tests/cli/test_tray_quick.py holds them together); `report --hub` is not
# among them: a hub is read by the command line itself, never by the tray's event loop.
OPTIONS: dict[str, dict[str, object]] = {
    "start": _ASKS, "switch": _ASKS,
    "pause": {"clinician": None}, "resume": {"clinician": None},
    "stop": {"note": None, "clinician": None}, "status": {"clinician": None},
    "report": {"month": _REQUIRED, "patient": None, "csv": False},
}
FLAGS = {"report": ("csv",)}  # options that take no value


def request(argv: Sequence[str]) -> tuple[str, dict[str, Any], str | None] | None:
    """(command, the request's args, --data-dir) as the full parser leaves them, or None
    when this argv is not certainly one of those."""
    command: str | None = None
    values: dict[str, Any] = {}
    data_dir: str | None = None
    words = list(argv)
    at = 0
    while at < len(words):
        word = words[at]
        at += 1
        if not word.startswith("--"):
            if command is not None or word not in OPTIONS:
                return None
            command = word
            continue
        name, equals, value = word[2:].partition("=")
        if name == "json" or name in FLAGS.get(command or "", ()):
            if equals:
                return None  # the parser's own error: the flag takes no value
            values[name] = True
            continue
        if name != "data-dir" and (command is None or name not in OPTIONS[command]):
            return None  # --help, --version, an abbreviation, an option before the command
        if not equals:
            if at == len(words) or words[at].startswith("-"):
                return None  # the parser's own error (or a value it reads otherwise)
            value = words[at]
            at += 1
        if name == "data-dir":
            data_dir = value
        else:
            values[name] = value
    if command is None or (command == "report" and not _month(values.get("month"))):
        return None
    args: dict[str, Any] = {}
    for name, default in OPTIONS[command].items():
        args[name] = values.get(name, default)
        if args[name] is _REQUIRED:
            return None
    args["json"] = values.get("json", False)
    return command, args, data_dir


def _month(text: object) -> bool:
    """`text` is a month as cli/args.month_arg leaves it (core/month.parse_month: exactly
    YYYY-MM, ASCII digits, a year from 1, a month 01 to 12), so the tray is sent what the
    parser would send; anything else takes the full path, which says what is wrong."""
    if not isinstance(text, str) or len(text) != 7 or text[4] != "-" or not text.isascii():
        return False
    year, month = text[:4], text[5:]
    return year.isdigit() and month.isdigit() and int(year) >= 1 and 1 <= int(month) <= 12


def data_folder(data_dir: str | None) -> str:
    """paths.resolve(data_dir).data as the socket's path resolves it, without pathlib when
    a folder is named."""
    root = data_dir or os.environ.get("CCM_TIMER_HOME")
    if root:
        return os.path.realpath(os.path.expanduser(root))
    from ccm_timer import paths  # the per-user folder: platformdirs knows where it is

    return str(paths.resolve(None).data)


def _plain(text: str) -> bool:
    """Nothing in `text` that output.neutralise would change (without importing it)."""
    return text.isascii() and text.replace("\n", "").replace("\t", "").isprintable()


def _write(stream: Any, text: str) -> None:
    if not text:
        return
    if not _plain(text):
        from ccm_timer.cli.output import neutralise

        text = neutralise(text)
    stream.write(text)


def run(argv: Sequence[str]) -> int | None:
    """The exit code of a command the running tray did, its answer printed; None: no tray
    took it (or the command is not one for this path), and nothing was done."""
    tray_channel.unanswered = None
    try:
        "".join(argv).encode("utf-8")
    except UnicodeEncodeError:
        return None  # the full path says which argument
    found = request(argv)
    if found is None:
        return None
    command, args, data_dir = found
    folder = data_folder(data_dir)
    answer = tray_channel.ask(folder, command, args)
    if answer is None:
        tray_channel.unanswered = folder  # the full path does not ask again
        return None
    _write(sys.stdout, str(answer.get("out") or ""))
    sys.stdout.flush()
    _write(sys.stderr, str(answer.get("err") or ""))
    if answer.get("ok"):
        return 0
    _write(sys.stderr, f"ccm-timer: {answer.get('error')}\n")
    return int(answer.get("code") or 1)
