"""Masked labels as Qt lays them out (issue 17): Arabic and Hebrew initials keep the label's
order "given. family. …digits" left to right, and every initial is whole graphemes by Qt's
own boundaries (what the tray's menu and tooltip draw)."""

from __future__ import annotations

import unicodedata

import pytest
from PySide6.QtCore import QTextBoundaryFinder
from PySide6.QtGui import QFont, QTextLayout

from ccm_timer.services.timing.entry_values import mask

NAMES = [("محمد", "علي"), ("כהן", "דוד"), ("王", "小明"), ("E\u0301clair", "Zoe\u0301"),
         ("Testpatient", "Alma")]


def _x(text: str, index: int) -> float:
    layout = QTextLayout(text, QFont())
    layout.beginLayout()
    line = layout.createLine()
    layout.endLayout()
    return line.cursorToX(index)[0]


def _graphemes(text: str) -> list[str]:
    finder = QTextBoundaryFinder(QTextBoundaryFinder.BoundaryType.Grapheme, text)
    cuts = [0]
    while (at := finder.toNextBoundary()) != -1:
        cuts.append(at)
    return [text[a:b] for a, b in zip(cuts, cuts[1:], strict=False)]


@pytest.mark.parametrize(("family", "given"), NAMES)
def test_the_label_reads_left_to_right_given_family_digits(qtbot, family, given):
    label = mask(family, given, "T1001")
    first = [_graphemes(unicodedata.normalize("NFC", n))[0] for n in (given, family)]
    parts = [label.index(first[0]), label.index(first[1]), label.index("…")]
    xs = [_x(label, i) for i in parts]
    assert xs == sorted(xs), (label, xs)


@pytest.mark.parametrize(("family", "given"), NAMES)
def test_each_initial_is_whole_graphemes_of_the_name(qtbot, family, given):
    label = mask(family, given, "T1001")
    first_given = _graphemes(unicodedata.normalize("NFC", given))[0]
    first_family = _graphemes(unicodedata.normalize("NFC", family))[0]
    assert first_given in _graphemes(label) and first_family in _graphemes(label)
