"""The month-end windows show patient data: with nobody signed in the tray asks who is
working first, and opens the window once someone is."""

import pytest

from tests.fixtures.clinic import NURSE, PASSWORD


@pytest.mark.parametrize("name", ["worklist", "patients", "export", "dashboard"])
def test_nobody_signed_in_is_asked_first(clinic, make_tray, qtbot, name) -> None:
    tray = make_tray(clinic, signed_in=None)
    tray.show_office(name)
    assert name not in tray.office.windows
    dialog = tray.dialogs["signin"]
    assert dialog.isVisible()
    dialog.list.setCurrentRow(next(i for i, p in enumerate(dialog.people) if p.name == NURSE))
    dialog.password.setText(PASSWORD)
    dialog.ok.click()
    qtbot.waitUntil(lambda: name in tray.office.windows, timeout=5000)
    assert tray.office.windows[name].isVisible()
