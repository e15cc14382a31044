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


def test_what_begin_starts_later_never_fires_after_shutdown(clinic, make_tray) -> None:
    """The deliveries (1.5 s) and the month-end reminder (a minute) start after the icon:
    a tray shut down before then starts neither (a bare singleShot would still fire, into
    a closed database and a deleted window)."""
    tray = make_tray(clinic)
    assert len(tray.pending) == 2 and all(t.isActive() for t in tray.pending)
    tray.shutdown()
    assert not any(t.isActive() for t in tray.pending)
    assert tray.office.reminder is None
