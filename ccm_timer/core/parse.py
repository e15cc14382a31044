"""Strict parsers for what people type: dates, instants, MRNs and names.

Each raises ValueError with a sentence that says what was expected; callers turn it into a
user message. Nothing here guesses: "2026-2-3" or "03/02/2026" are refused, not reinterpreted.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_INSTANT = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[T ]([0-9]{2}):([0-9]{2})"
    r"(?::([0-9]{2})(?:\.([0-9]{1,6}))?)?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})?"
)
_MRN = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-]{0,29}")
# Characters that reorder or hide text (Trojan Source) or break a CSV/EHR paste.
_FORBIDDEN = {"\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068",
              "\u2069", "\u200e", "\u200f", "\u061c", "\ufeff"}
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# What must not reach a terminal raw: C0 and C1 controls but tab and newline (escape
# sequences), the characters above, line and paragraph separators, and lone surrogates
# (bytes of an argument that were not UTF-8).
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff"
                    + "".join(sorted(_FORBIDDEN)) + "]")
MAX_NOTE = 4000


def parse_date(text: str) -> date:
    match = _DATE.fullmatch(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a date; write it as YYYY-MM-DD")
    try:
        return date(*(int(g) for g in match.groups()))
    except ValueError:
        raise ValueError(f"{text!r} is not a real calendar date") from None


def parse_instant(text: str, zone: ZoneInfo) -> datetime:
    """An ISO 8601 time; without an offset it is a wall time in `zone`, and a wall time that
    does not exist (DST gap) or happens twice (DST fold) is refused, not guessed."""
    match = _INSTANT.fullmatch(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a time; write it as YYYY-MM-DDTHH:MM")
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    try:
        wall = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second or 0),
            int((fraction or "0").ljust(6, "0")),
        )
    except ValueError:
        raise ValueError(f"{text!r} is not a real date and time") from None
    try:
        return _to_utc(text, wall, offset, zone)
    except OverflowError:  # 9999-12-31T23:59 in New York is in the year 10000 in UTC
        raise ValueError(f"{text!r} is too far from today to be a time") from None


def _to_utc(text: str, wall: datetime, offset: str | None, zone: ZoneInfo) -> datetime:
    if offset:
        if offset == "Z":
            return wall.replace(tzinfo=UTC)
        sign = 1 if offset[0] == "+" else -1
        hours, minutes = int(offset[1:3]), int(offset[4:6])
        if hours > 23 or minutes > 59:
            raise ValueError(f"{text!r} has an impossible UTC offset")
        delta = sign * timedelta(hours=hours, minutes=minutes)
        from datetime import timezone

        return wall.replace(tzinfo=timezone(delta)).astimezone(UTC)
    first = wall.replace(tzinfo=zone, fold=0)
    second_ = wall.replace(tzinfo=zone, fold=1)
    if first.utcoffset() != second_.utcoffset():
        # Either a gap (the wall time never happened) or a fold (it happened twice).
        round_trip = first.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
        if round_trip != wall:
            raise ValueError(f"{text} does not exist in {zone.key} (the clocks jumped forward)")
        raise ValueError(
            f"{text} happens twice in {zone.key} (the clocks went back); add the UTC offset, "
            "for example -05:00"
        )
    return first.astimezone(UTC)


def check_mrn(text: str) -> str:
    mrn = text.strip()
    if not _MRN.fullmatch(mrn):
        raise ValueError(
            "an MRN is 1 to 30 letters, digits or dashes, starting with a letter or digit"
        )
    return mrn


def check_text(text: str, what: str, max_len: int = 200) -> str:
    """A name or label: printable, no bidi overrides, no spreadsheet formula start."""
    value = unicodedata.normalize("NFC", text.strip())
    if not value:
        raise ValueError(f"the {what} is empty")
    if len(value) > max_len:
        raise ValueError(f"the {what} is longer than {max_len} characters")
    for ch in value:
        if ch in _FORBIDDEN:
            raise ValueError(f"the {what} contains an invisible text-direction character")
        if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn"):
            raise ValueError(f"the {what} contains a control or invalid character")
    if value.startswith(FORMULA_PREFIXES):
        raise ValueError(f"the {what} starts with {value[0]!r} like a spreadsheet formula")
    return value


def check_note(text: str, what: str = "note", max_len: int = MAX_NOTE) -> str:
    """Free text (a note, a reason): any printable text, tabs and line breaks, but nothing
    that moves a terminal's cursor, recolours it or reorders what a reader sees."""
    value = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    bad = UNSAFE.search(value)
    if bad:
        ch = bad.group()
        if "\ud800" <= ch <= "\udfff":
            raise ValueError(f"the {what} holds bytes that are not UTF-8 text; type it again")
        kind = "an invisible text-direction" if ch in _FORBIDDEN else "a control"
        raise ValueError(f"the {what} contains {kind} character (U+{ord(ch):04X}); remove it")
    value = unicodedata.normalize("NFC", value)
    if len(value) > max_len:
        raise ValueError(f"the {what} is longer than {max_len:,} characters; shorten it")
    return value


def parse_person_name(text: str) -> tuple[str, str]:
    """'Family, Given' -> (family, given)."""
    if text.count(",") != 1:
        raise ValueError(f"write the name as 'Family, Given' (got {text!r})")
    family, given = (part.strip() for part in text.split(","))
    return check_text(family, "family name", 100), check_text(given, "given name", 100)


def fold(text: str) -> str:
    """Case- and accent-insensitive form for search ('José' matches 'jose')."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
