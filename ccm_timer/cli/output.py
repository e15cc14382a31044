"""How the command line prints: plain tables for people, JSON for programs, and never a
stored note's or name's control characters raw (they could recolour or clear the terminal,
or reorder what it shows)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from ccm_timer.core.parse import UNSAFE


def neutralise(text: str) -> str:
    """Each unsafe character as its escape (`\\u001b`), which is also what it is in JSON."""
    return UNSAFE.sub(lambda found: f"\\u{ord(found.group()):04x}", text)


class _Neutralised:
    """A text stream that writes through neutralise(); anything else is the stream's."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(neutralise(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextmanager
def terminal_safe() -> Iterator[None]:
    """Standard output and error neutralised for the length of a command; bytes written to
    `sys.stdout.buffer` (an export to `-`) pass as they are."""
    saved = sys.stdout, sys.stderr
    if sys.stdout is not None:
        sys.stdout = _Neutralised(sys.stdout)
    if sys.stderr is not None:
        sys.stderr = _Neutralised(sys.stderr)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


def emit_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    if not rows:
        return
    cells = [[("" if c is None else neutralise(str(c))) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    for row in cells:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def local(instant: datetime | None, zone: ZoneInfo) -> str:
    if instant is None:
        return ""
    return instant.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def duration(seconds: int) -> str:
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
