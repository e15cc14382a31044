"""The command line's way to a running tray: `start`, `stop`, `pause`, `resume`, `switch`,
`status` and a workstation's `report` are done by the app, which holds the open database
and its key, instead of a second process opening them (issue 18, points 1 and 2).

Standard library only (no Qt, no ORM): this module is also the one statement of the
protocol the tray's server (ui/single_instance.py, ui/cli_channel.py) speaks. One JSON line
per request, `{"v": 1, "command": ..., "args": {...}, "until": EPOCH}`; the server first
answers `{"accepted": true}` when it takes the request (never after `until`: a client that
gave up meanwhile does the command itself, so it must not be done twice), then one line
`{"ok": true, "out": ..., "err": ..., "json": ...}` or `{"ok": false, "error": SENTENCE,
"code": N, "err": ...}`. `{"ok": false, "fallback": true}` hands the command back: an older
tray, someone else's password needed, a tray still opening its database. Nobody answering
within WAIT seconds is the same: the command line then does the work itself, silently.

Only the same OS user talks to it: the socket lies in the data folder (0700) when its path
fits, the server checks the client's uid before reading (peer_uid) and the client checks
the server's before writing, so a socket another user planted hears nothing.
"""

from __future__ import annotations

import json
import os
import socket
import struct
import sys
import time

# Only what a request needs is imported here, on the path of a keyboard shortcut (issue 18:
# no typing, pathlib, hashlib or threading before the socket is written); the rest is
# imported where it is used.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path
    from typing import Any

VERSION = 1
COMMANDS = ("start", "switch", "pause", "resume", "stop", "status", "report")
FIELDS = ("patient", "category", "note", "program", "clinician", "month", "csv", "json")
SOCKET_NAME = "ccm-timer.sock"  # in the data folder, beside the lock
WAIT = 0.5  # seconds for a tray to take a request before the command line does it itself
WORK = 60.0  # seconds a taken request may take (a busy database waits for its lock)
_SUN_PATH = 100  # AF_UNIX paths: 108 bytes on Linux, 104 on macOS, with room to spare


def server_name(data_folder: Path | str, *, platform: str = sys.platform) -> str:
    """One name per data folder: a named pipe's on Windows, the socket's in Qt's temporary
    folder elsewhere when the data folder's path is too long for a socket. Two spellings of
    one folder give one name: Windows paths are case-insensitive and take either slash."""
    import hashlib
    import ntpath

    folder = os.path.realpath(data_folder)  # as Path.resolve() spells it
    if platform == "win32":
        folder = ntpath.normcase(folder)
    digest = hashlib.sha256(folder.encode("utf-8")).hexdigest()
    return f"ccm-timer-{digest[:16]}"


def socket_path(data_folder: Path | str) -> str | None:
    """The socket in the data folder, or None when its path is too long for one."""
    path = os.path.join(os.path.realpath(data_folder), SOCKET_NAME)
    return path if len(path.encode("utf-8")) <= _SUN_PATH else None


def qt_temp_path(name: str) -> str:
    """Where QLocalServer puts a socket with a bare name on Unix: QDir::tempPath()/NAME
    ($TMPDIR, else /tmp, symbolic links resolved)."""
    return os.path.join(os.path.realpath(os.environ.get("TMPDIR") or "/tmp"), name)


def addresses(data_folder: Path | str, *, platform: str = sys.platform) -> list[str]:
    """Where a tray of this data folder listens, in the order the server tries them."""
    return list(_addresses(data_folder, platform))


def _addresses(data_folder: Path | str, platform: str) -> Iterator[str]:
    """addresses(), the socket in the folder first: the name that needs a hash (hashlib
    loads OpenSSL) is made only when the command line gets that far."""
    inside = socket_path(data_folder) if platform != "win32" else None
    if inside:
        yield inside
    name = server_name(data_folder, platform=platform)
    yield rf"\\.\pipe\{name}" if platform == "win32" else qt_temp_path(name)


def peer_uid(sock: socket.socket) -> int | None:
    """The user id of the process at the other end of a connected Unix socket; None when
    this system does not tell (the caller then refuses)."""
    try:
        if hasattr(socket, "SO_PEERCRED"):  # Linux: struct ucred {pid, uid, gid}
            raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
            return int(struct.unpack("3i", raw)[1])
        if sys.platform == "darwin" or "bsd" in sys.platform:
            # getpeereid() is LOCAL_PEERCRED (1) at level SOL_LOCAL (0): struct xucred
            # {u_int cr_version; uid_t cr_uid; ...}.
            raw = sock.getsockopt(0, 1, 76)
            return int(struct.unpack("2I", raw[:8])[1])
    except OSError:
        return None
    return None


def fd_peer_uid(fd: int) -> int | None:
    """peer_uid for a descriptor another library owns (Qt's): it is left open."""
    try:
        sock = socket.socket(fileno=fd)
    except OSError:
        return None
    try:
        return peer_uid(sock)
    finally:
        sock.detach()


def request_line(command: str, args: dict[str, Any], *, wait: float = WAIT) -> bytes:
    until = time.time() + wait * 0.8  # the server's last moment to take it, before ours
    return (json.dumps({"v": VERSION, "command": command, "args": args, "until": until})
            + "\n").encode("utf-8")


def ask(data_folder: Path | str, command: str, args: dict[str, Any], *,
        wait: float = WAIT) -> dict[str, Any] | None:
    """The running tray's answer to `command`, or None: no tray took it (none runs, an
    older one, one of another user, or it hands the command back), and nothing was done."""
    line = request_line(command, args, wait=wait)
    for where in _addresses(data_folder, sys.platform):
        try:
            replies = (_posix if sys.platform != "win32" else _pipe)(where, line, wait)
            answer = _answer(replies)
        except (OSError, ValueError):
            continue
        if answer is not None and not answer.get("fallback"):
            return answer
        if answer is not None:
            return None  # a tray took the request and handed it back
    return None


def _answer(replies: Iterator[bytes]) -> dict[str, Any] | None:
    """The answer after the server's `accepted`; None when it never came."""
    first = json.loads(next(replies, b"null") or b"null")
    if not isinstance(first, dict):
        return None
    if not first.get("accepted"):
        return first if first.get("fallback") else None
    final = json.loads(next(replies, b"null") or b"null")
    return final if isinstance(final, dict) and "ok" in final else None


def _posix(where: str, line: bytes, wait: float) -> Iterator[bytes]:
    began = time.monotonic()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(wait)
        sock.connect(where)
        if peer_uid(sock) != os.geteuid():
            return  # a socket of another user's: tell it nothing
        sock.sendall(line)
        stream = sock.makefile("rb")
        sock.settimeout(max(0.01, wait - (time.monotonic() - began)))
        yield stream.readline()  # `accepted`, or nothing from an older tray
        sock.settimeout(WORK)
        yield stream.readline()


def _pipe(where: str, line: bytes, wait: float) -> Iterator[bytes]:
    """A named pipe (Windows): only its owner may open it (QLocalServer's UserAccessOption
    sets its ACL). Its reads block, so a thread reads and the lines are waited for here."""
    import queue
    import threading

    pipe = open(where, "r+b", buffering=0)  # noqa: SIM115 (closed below)
    lines: queue.Queue[bytes] = queue.Queue()

    def read() -> None:
        data = b""
        try:
            while chunk := pipe.read(4096):
                data += chunk
                while b"\n" in data:
                    first, data = data.split(b"\n", 1)
                    lines.put(first)
        except OSError:
            pass
        lines.put(b"")

    try:
        pipe.write(line)
        threading.Thread(target=read, daemon=True).start()
        yield lines.get(timeout=wait)  # queue.Empty: an older tray, or a stuck one
        yield lines.get(timeout=WORK)
    except queue.Empty:
        return
    finally:
        pipe.close()


def show(answer: dict[str, Any]) -> None:
    """Print the tray's answer as the command itself would have; an error is raised as the
    command's own error (UserError: exit code 1), another exit code leaves with it."""
    from ccm_timer.errors import UserError

    sys.stdout.write(str(answer.get("out") or ""))
    sys.stdout.flush()
    sys.stderr.write(str(answer.get("err") or ""))
    if answer.get("ok"):
        return
    code = int(answer.get("code") or 1)
    if code == 1:
        raise UserError(str(answer.get("error") or ""))
    print(f"ccm-timer: {answer.get('error')}", file=sys.stderr)
    raise SystemExit(code)


def parsed_json(text: str) -> Any:
    """A `--json` answer's document, for programs reading the tray's answer itself."""
    try:
        return json.loads(text)
    except ValueError:
        return None


# The data folder cli/tray_quick.py just asked, for this same command, and no tray took
# it: the full path then does not ask again (an older tray would cost a second WAIT).
unanswered: str | None = None


def through_tray(args: Any) -> bool:
    """Do a command of COMMANDS through the running tray and print its answer; False when
    no tray took it (the command then runs on its own, as without a tray)."""
    global unanswered
    from ccm_timer import paths

    folder = paths.resolve(args.data_dir).data
    asked, unanswered = unanswered, None
    if asked is not None and asked == os.path.realpath(folder):
        return False
    given = {name: getattr(args, name) for name in FIELDS if hasattr(args, name)}
    answer = ask(folder, args.command, given)
    if answer is None:
        return False
    show(answer)
    return True


def register(sub: Any, common: Any) -> None:
    """No command of its own (cli/main.py adds every module's; this one serves timing.py's)."""
