"""Reading a roster file: only a regular file, never more than the limit, decoded strictly in
the encoding the user chose.

Guessing cost a clinic its accents: a UTF-8 file with one Windows-1252 byte was decoded as
cp1252 whole, and "Renée" became "RenÃ©e". Now the encoding is the user's choice (UTF-8
unless told), and a byte it does not have is refused with its line and what to pass
instead. A byte-order mark is the file saying what it is, and is followed.

A FIFO blocks an ordinary open until someone writes, and /dev/zero never ends: the file is
opened without blocking, checked with fstat before a byte is read, and read only up to the
limit, whatever size it claims.
"""

from __future__ import annotations

import codecs
import os
import stat
from pathlib import Path

from ccm_timer.errors import UserError

MAX_BYTES = 50 * 1024 * 1024
LIMIT_TEXT = "50 MB"
DEFAULT_ENCODING = "utf-8"
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig", "UTF-8 (byte-order mark)"),
         (codecs.BOM_UTF16_LE, "utf-16", "UTF-16 (byte-order mark)"),
         (codecs.BOM_UTF16_BE, "utf-16", "UTF-16 (byte-order mark)"))
_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
               | getattr(os, "O_BINARY", 0))


class DecodeError(ValueError):
    """The bytes are not text in the encoding; the message is one problem, for RosterError."""


def _too_big(path: Path) -> UserError:
    return UserError(f"The roster {path} is larger than {LIMIT_TEXT} (the limit for one "
                     "import); split it and import the parts.")


def read(path: Path) -> bytes:
    """The file's bytes, or a UserError saying why it is not read."""
    try:
        fd = os.open(path, _OPEN_FLAGS)  # O_NONBLOCK: a FIFO with no writer opens at once
    except FileNotFoundError:
        raise UserError(f"There is no file {path}; check the path.") from None
    except IsADirectoryError:
        raise UserError(f"{path} is a folder; give the roster CSV file.") from None
    except OSError as exc:
        raise UserError(f"Cannot read {path} ({exc.strerror}).") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise UserError(f"{path} is a folder; give the roster CSV file.")
        if not stat.S_ISREG(info.st_mode):
            raise UserError(f"{path} is not a regular file (a pipe, device or socket); save "
                            "the roster as a CSV file and import that.")
        if info.st_size > MAX_BYTES:
            raise _too_big(path)
        chunks, size = [], 0
        while size <= MAX_BYTES:  # the file may grow while it is read
            chunk = os.read(fd, min(1 << 20, MAX_BYTES + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > MAX_BYTES:
            raise _too_big(path)
        return b"".join(chunks)
    except OSError as exc:
        raise UserError(f"Cannot read {path} ({exc.strerror}).") from None
    finally:
        os.close(fd)


def _line_of(raw: bytes, offset: int, codec: str) -> int:
    return raw[:offset].decode(codec, errors="replace").count("\n") + 1


def decode(raw: bytes, encoding: str = DEFAULT_ENCODING) -> tuple[str, str]:
    """(text, how it was decoded, for people), or DecodeError naming the line."""
    marked = [(codec, label) for bom, codec, label in _BOMS if raw.startswith(bom)]
    if marked:
        codec, label = marked[0]
    else:
        try:
            codec = codecs.lookup(encoding).name
        except LookupError:
            raise DecodeError(f"{encoding} is not an encoding Python knows; use utf-8, or "
                              "cp1252 for a file saved by Excel") from None
        label = "UTF-8" if codec == "utf-8" else encoding
    try:
        return raw.decode(codec), label
    except UnicodeDecodeError as exc:
        if codec == "utf-16":
            raise DecodeError("the file says UTF-16 but has invalid bytes") from None
        line, byte = _line_of(raw, exc.start, codec), raw[exc.start]
        if codec.startswith("utf-8"):
            raise DecodeError(
                f"line {line}: invalid UTF-8 (byte 0x{byte:02x}), so the file is not UTF-8; "
                "if it came from Excel, import it with --encoding cp1252") from None
        raise DecodeError(f"line {line}: byte 0x{byte:02x} is not {encoding}; check the "
                          "encoding the file was saved in") from None
