from ccm_timer.core.collation import name_key, sorted_names


def test_accents_and_case_sort_with_their_letter_not_after_z():
    names = ["Testpatient, Zoe", "Ñúñez, Ana", "nunez, Bo", "Álvarez, Luz", "Zeta, Al"]
    assert sorted(names, key=name_key) == [
        "Álvarez, Luz", "Ñúñez, Ana", "nunez, Bo", "Testpatient, Zoe", "Zeta, Al"]


def test_the_order_is_total_and_stable():
    same = ["Nunez", "Núñez", "NUNEZ", "nunez"]
    once = sorted(same, key=name_key)
    assert sorted(reversed(same), key=name_key) == once
    assert len({name_key(n) for n in same}) == 4


def test_sorted_names_takes_a_getter():
    rows = [("2", "Émile"), ("1", "Eve"), ("3", "Adam")]
    assert [r[0] for r in sorted_names(rows, lambda r: r[1])] == ["3", "2", "1"]
