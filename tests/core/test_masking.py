"""Masked labels (issue 17): whole letters, never a letter split from its accent."""

from __future__ import annotations

import unicodedata

import pytest

from ccm_timer.core.masking import FSI, PDI, first_grapheme, masked_label
from ccm_timer.services.timing.entry_values import mask


@pytest.mark.parametrize(("text", "initial"), [
    ("Alma", "A"),
    ("E\u0301clair", "É"),  # decomposed: composed into one letter
    ("Q\u0301\u0323uinn", "Q\u0323\u0301"),  # no composed form: the marks stay with it (NFC)
    ("  'Ñúñez", "Ñ"),  # spaces and punctuation before the name skipped
    ("王小明", "王"),
    ("\u0915\u093f\u0930\u0923", "\u0915\u093f"),  # Devanagari: the vowel sign stays on
    ("", ""),
])
def test_the_first_letter_is_a_whole_grapheme(text, initial):
    assert first_grapheme(text) == initial


def test_latin_labels_are_as_before():
    assert mask("Testpatient", "Alma", "T1001") == "A.T. …001"
    assert mask("Ñúñez", "Óscar", "T3001") == "Ó.Ñ. …001"


@pytest.mark.parametrize(("family", "given"), [("محمد", "علي"), ("כהן", "דוד")])
def test_right_to_left_initials_are_isolated(family, given):
    label = masked_label(family, given, "T1001")
    assert label == f"{FSI}{given[0]}{PDI}.{FSI}{family[0]}{PDI}. …001"


def test_chinese_and_accented_names_have_no_stray_marks():
    for family, given in (("王", "小明"), ("Nguye\u0302\u0303n", "A\u0300nh")):
        label = mask(family, given, "T2002")
        assert not any(unicodedata.combining(c) for c in (label[0], label[2]))
        assert label.endswith(". …002")
