"""Errors a person can act on: one root, so every caller catches one type.

Their message is one sentence saying what to do; the command line prints it and exits
non-zero, the tray shows it in a dialog. Anything else that escapes is a bug.
"""


class UserError(Exception):
    """Bad input or a refused action; nothing was changed."""


class NotFound(UserError):
    """A patient, clinician, category or entry that does not exist."""


class DatabaseError(UserError):
    """A database problem a person can act on; the message says what to do."""


class UnreadableError(DatabaseError):
    """The first read failed: the key is wrong or missing, or the file is not a database."""


class DamagedError(DatabaseError):
    """The right key, but a page fails its check (bit rot, a stray write, a torn copy):
    the database may only be read from here on. `detail` names what failed."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail or message


class TruncatedError(DamagedError):
    """The file is shorter than the database it holds: pages at its end are missing."""


class DiskFullError(DatabaseError):
    """The disk has no room for the write; it was rolled back, nothing was changed."""


def sentence(exc: BaseException | str) -> str:
    """A library's lower-case message ("month must be YYYY-MM") as a sentence."""
    text = str(exc).strip().rstrip(".")
    return f"{text[:1].upper()}{text[1:]}." if text else "Something went wrong."
