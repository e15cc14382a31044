"""The `ccm-timer` command. With no arguments it starts the tray app; otherwise it runs one
command against the database and exits. Never imports Qt on the command path: a CLI call
must stay fast enough to bind to a keyboard shortcut."""

from __future__ import annotations

import os
import sys

# Nothing more at module level: with the tray running, `ccm-timer start ...` goes to it
# (cli/tray_quick.py) before argparse or typing is imported (issue 18, point 1).
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Sequence

# Every module of this package that defines `register(sub, common)` adds its commands;
# a new command group is a new module, with no edit here.
_NOT_COMMANDS = {"main", "output", "args", "lazy", "secret", "tray_channel", "tray_quick",
                 "hub_pull", "hub_workstation"}  # under `hub`: registered by cli/sync.py
# The timing commands, bound to keyboard shortcuts, build only their own module's parser:
# importing every command module is most of a call's time on a slow machine.
_TIMING = {"start", "switch", "pause", "resume", "stop", "status", "recover"}
_PARSER: list[type[argparse.ArgumentParser]] = []  # _Parser, made on first use


def _parser_type() -> type[argparse.ArgumentParser]:
    if not _PARSER:
        import argparse
        from typing import NoReturn

        class _Parser(argparse.ArgumentParser):
            """Bad usage is one sentence that says where to look, not a usage dump."""

            def error(self, message: str) -> NoReturn:
                self.exit(2, f"{self.prog}: {message}; see `{self.prog} --help`.\n")

        _PARSER.append(_Parser)
    return _PARSER[0]


def _common() -> argparse.ArgumentParser:
    import argparse

    common = _parser_type()(add_help=False)
    # SUPPRESS: the options may come before or after the command; a subcommand's default
    # must not overwrite a value given before it.
    common.add_argument("--data-dir", default=argparse.SUPPRESS, help="keep every file "
                        "under this folder (default: CCM_TIMER_HOME or the per-user data folder)")
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                        help="print JSON")
    return common


def _command_word(argv: Sequence[str]) -> str | None:
    """The command named in `argv` (options may come before it), or None."""
    skip = False
    for word in argv:
        if skip:
            skip = False
        elif word == "--data-dir":
            skip = True
        elif not word.startswith("-"):
            return word
    return None


def build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    import importlib
    import pkgutil

    import ccm_timer.cli as package
    from ccm_timer import __version__

    common = _common()
    parser = _parser_type()(
        prog="ccm-timer", parents=[common],
        description="Time care-management work per patient; with no command, start the tray.",
    )
    parser.add_argument("--version", action="version", version=f"ccm-timer {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    if _command_word(argv) in _TIMING:
        names = ["timing"]
    else:
        names = [m.name for m in sorted(pkgutil.iter_modules(package.__path__),
                                        key=lambda m: m.name) if m.name not in _NOT_COMMANDS]
    for name in names:
        importlib.import_module(f"ccm_timer.cli.{name}").register(sub, common)
    return parser


def _fail(message: str, code: int = 1) -> int:
    print(f"ccm-timer: {message}", file=sys.stderr)
    return code


def _not_utf8(argv: Sequence[str]) -> int | None:
    """The position of an argument with bytes that were not UTF-8 (Python keeps them as
    lone surrogates, which no file, database or terminal can take)."""
    for position, arg in enumerate(argv, start=1):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            return position
    return None


def run(argv: Sequence[str]) -> int:
    if (position := _not_utf8(argv)) is not None:
        return _fail(f"Argument {position} is not UTF-8 text; type it again, or set the "
                     "terminal's character set to UTF-8.", 2)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    args.data_dir = getattr(args, "data_dir", None)
    args.json = getattr(args, "json", False)
    handler: Callable | None = getattr(args, "handler", None)
    if args.command is None:
        from ccm_timer.ui.launch import launch  # the only path that imports Qt

        return launch(args.data_dir)
    if handler is None:
        parser.parse_args([*argv, "--help"])
        return 2

    from ccm_timer.errors import UserError

    quick = getattr(args, "quick", None)
    try:
        if quick is not None and quick(args):
            return 0
    except UserError as exc:
        return _fail(str(exc))

    from ccm_timer.services.context import open_app

    try:
        ctx = open_app(args.data_dir)
    except UserError as exc:
        return _fail(str(exc))
    from ccm_timer.cli.security import notices

    notices(ctx)  # read-only mode; a new database's recovery key, once, on a terminal
    try:
        handler(ctx, args)
    except UserError as exc:
        return _fail(str(exc))
    except BrokenPipeError:
        raise
    except OSError as exc:
        # A full disk or a vanished folder is the user's to fix, not a crash.
        from pathlib import Path

        from ccm_timer.store import faults

        if faults.is_disk_full(exc, ctx.paths.data):
            where = Path(exc.filename).parent if exc.filename else ctx.paths.data
            return _fail(str(faults.disk_full(where)))
        return _fail(f"{exc.strerror or exc}: {getattr(exc, 'filename', '') or ''}; "
                     "free space or fix the folder and try again.")
    except Exception as exc:
        if ctx.read_only is None or type(exc).__module__.split(".")[0] not in (
                "sqlalchemy", "sqlcipher3"):
            raise
        # A damaged database open read-only: the part this command needs is unreadable.
        from ccm_timer.services.security import integrity

        return _fail(integrity.part_unreadable(ctx.paths.backups))
    finally:
        ctx.close()
    return 0


def _utf8_streams(platform: str = sys.platform) -> None:
    """Names like "Ngọc" must print through a pipe or into a file on Windows too, where a
    pip or pipx launcher runs without UTF-8 mode and the streams use the ANSI code page
    (the PyInstaller programs turn UTF-8 mode on themselves)."""
    if platform != "win32":
        return
    for stream in (sys.stdout, sys.stderr):
        if stream is not None and hasattr(stream, "reconfigure") and (
                (stream.encoding or "").lower().replace("-", "") != "utf8"):
            stream.reconfigure(encoding="utf-8", errors="replace")


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    _utf8_streams()
    try:
        from ccm_timer.cli import tray_quick

        code = tray_quick.run(words)  # done by the running tray, or None
        if code is not None:
            return code
        from ccm_timer.cli.output import terminal_safe

        with terminal_safe():
            return run(words)
    except BrokenPipeError:
        # The reader went away (`ccm-timer entry list | head`): not an error of ours.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
