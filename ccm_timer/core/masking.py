"""A patient's masked label, "A.T. …001": initials and the MRN's last characters, enough to
tell calls apart on a shared screen and not enough to identify anyone.

Initials are whole graphemes (a letter with its accents, "É" not "E" plus a stray mark; a
Devanagari syllable's vowel sign stays on it), composed (NFC) so every font shows them as one
letter. A right-to-left initial (Arabic, Hebrew) is wrapped in a first-strong isolate, so the
label keeps its left-to-right order "initial. initial. …digits" in a left-to-right tooltip or
menu instead of the bidi algorithm swapping the initials and the digits around them.
"""

from __future__ import annotations

import unicodedata

FSI, PDI = "\u2068", "\u2069"  # first strong isolate ... pop directional isolate
_JOINERS = {"\u200d", "\u200c"}  # zero-width (non-)joiner: part of the cluster


def _extends(char: str) -> bool:
    """Part of the grapheme before it: combining marks, variation selectors, joiners."""
    return (unicodedata.category(char) in ("Mn", "Mc", "Me")
            or 0xFE00 <= ord(char) <= 0xFE0F or char in _JOINERS)


def first_grapheme(text: str) -> str:
    """The first user-perceived letter of `text` (spaces and punctuation before it skipped)."""
    text = unicodedata.normalize("NFC", text.strip())
    start = next((i for i, c in enumerate(text) if c.isalnum()), None)
    if start is None:
        return ""
    end = start + 1
    while end < len(text) and (_extends(text[end]) or text[end - 1] in _JOINERS):
        end += 1
    return text[start:end]


def isolated(part: str) -> str:
    """`part` isolated when it holds right-to-left letters (so an Arabic name leading a line,
    like the PDF's running head, does not turn the whole line right to left); other text as
    it is."""
    rtl = any(unicodedata.bidirectional(c) in ("R", "AL") for c in part)
    return f"{FSI}{part}{PDI}" if rtl else part


def masked_label(family: str, given: str, mrn: str) -> str:
    given_initial, family_initial = first_grapheme(given), first_grapheme(family)
    tail = unicodedata.normalize("NFC", mrn.strip())[-3:]
    return (f"{isolated(given_initial)}.{isolated(family_initial)}. "
            f"…{isolated(tail)}")
