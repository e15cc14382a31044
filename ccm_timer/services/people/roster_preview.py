"""The roster import as a window shows it (issue 17): the file read once, its encoding
guessed (and changeable), the columns matched, every bad row with its line and reason in
the user's words, the counts; then, only when the user confirms, the rows they saw written
by the same calls as `ccm-timer patient import` (roster.check, roster_batches.write).

Guessing is only a first choice shown to the user: a file that decodes as UTF-8 is UTF-8,
otherwise it is most likely Excel's Windows-1252; the user sees the names and may change it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ccm_timer.core.access import Action
from ccm_timer.errors import UserError
from ccm_timer.services.context import AppContext
from ccm_timer.services.people import access, roster, roster_batches, roster_file
from ccm_timer.services.people.access import Signer

# codec -> how people know it; the first that fits a file is the guess.
ENCODINGS = {
    "utf-8": "UTF-8",
    "cp1252": "Windows (most files saved by Excel)",
    "latin-1": "Latin-1 (ISO 8859-1)",
    "utf-16": "UTF-16",
}
COLUMN_WORDS = {
    "mrn": "MRN", "name": "Name", "family": "Family name", "given": "Given name",
    "dob": "Date of birth", "program": "Program", "consent": "Consent date",
    "conditions": "Conditions", "method": "Consent method", "consent_by": "Consent obtained by",
    "disclosures": "Disclosures",
}
# The command line's words in the reasons roster.py gives, as the window says them.
_PLAIN = (
    (re.compile(r"; add them first with `ccm-timer clinician add`"),
     "; add them first under Clinicians and staff"),
    (re.compile(r"import it with --encoding cp1252"), "choose the encoding Windows"),
)
_LINE = re.compile(r"line (\d+): (.*)", re.DOTALL)


def plain(reason: str) -> str:
    for pattern, words in _PLAIN:
        reason = pattern.sub(words, reason)
    return reason


def guess_encoding(raw: bytes) -> str:
    """The encoding to offer first (a byte-order mark is followed whatever is chosen)."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    try:
        raw.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        raw.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


@dataclass(frozen=True)
class Problem:
    line: int  # 0: the whole file
    reason: str


@dataclass(frozen=True)
class Preview:
    path: Path
    encoding: str  # the codec used (a key of ENCODINGS)
    decoded_as: str  # as people read it ("UTF-8 (byte-order mark)")
    columns: list[tuple[str, str]] = field(default_factory=list)  # (meaning, header)
    unused: list[str] = field(default_factory=list)  # headers matched to nothing
    rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    checked: roster.Checked | None = None  # None: the file itself was refused

    @property
    def bad(self) -> int:
        return len({p.line for p in self.problems if p.line})

    @property
    def good(self) -> int:
        return self.rows - self.bad if self.checked is not None else 0

    @property
    def ready(self) -> bool:
        """Every row passes: an import of all of them may be confirmed."""
        return self.checked is not None and not self.problems and self.rows > 0

    def summary(self) -> str:
        if self.checked is None:
            return "This file cannot be imported: " + (
                self.problems[0].reason if self.problems else "it could not be read.")
        counts = f"{self.rows} patient row(s): {self.good} good, {self.bad} with a problem."
        if self.ready:
            return f"{counts} Nothing is written until you choose Import."
        return (f"{counts} Nothing will be imported until every row is right: fix the "
                "rows listed in the file, then check it again.")


def _problems(lines: list[str]) -> list[Problem]:
    out = []
    for text in lines:
        found = _LINE.match(text)
        out.append(Problem(int(found[1]), plain(found[2])) if found else Problem(0, plain(text)))
    return out


def _header(raw: bytes, encoding: str) -> list[str]:
    text, _ = roster_file.decode(raw, encoding)
    return next(csv.reader(io.StringIO(text, newline="")), [])


def preview(ctx: AppContext, path: Path, encoding: str | None = None) -> Preview:
    """What importing `path` would do, read in `encoding` (None: the guess); nothing is
    written. A file that cannot be read at all is a UserError (one sentence)."""
    path = Path(path)
    raw = roster_file.read(path)
    chosen = encoding or guess_encoding(raw)
    try:
        checked = roster.check(ctx, path, chosen)
    except roster.RosterError as exc:
        return Preview(path, chosen, ENCODINGS.get(chosen, chosen), problems=_problems(
            exc.problems))
    header = [h.strip() for h in _header(raw, chosen)]
    matched = set(checked.parsed.columns.values())
    columns = [(COLUMN_WORDS.get(k, k), v) for k, v in checked.parsed.columns.items()]
    return Preview(path, chosen, checked.encoding, columns,
                   [h for h in header if h and h not in matched], checked.parsed.total,
                   _problems(checked.problems), checked)


def write(ctx: AppContext, shown: Preview, by: Signer | None, *,
          on_batch: Callable[[int], None] | None = None) -> roster_batches.ImportResult:
    """Import the rows `shown` was made of, as `by` (someone who may change records);
    refused, with nothing written, unless every row passed."""
    if by is None:
        raise access.Refused("Sign in first: a roster is imported by the person signed in.")
    access.require(by, Action.RECORD)
    if not shown.ready or shown.checked is None:
        raise UserError("Nothing was imported: fix the rows with a problem, check the file "
                        "again, then import.")
    checked = shown.checked
    try:
        return roster_batches.write(ctx, checked.parsed.rows, checked.mark, on_batch=on_batch,
                                    obtainers=checked.obtainers, actor=by.name)
    except roster_batches.Clash as exc:
        if exc.kept:
            raise UserError(f"The import was taken back, except {exc.kept} patient(s) who got "
                            f"time recorded meanwhile: {exc}.") from None
        raise UserError(f"Nothing was imported: {exc}. Check the file again, then "
                        "import.") from None
