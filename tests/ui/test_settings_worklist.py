"""The Settings dialog's month-end worklist message: shown as the setting stands, read-only
for a nurse once the clinic has an administrator, and saved through the tray's own save
path (TrayApp._save_settings) as one more clinic setting, audited."""

from __future__ import annotations

import pytest

from tests.fixtures.clinic import ADMIN

pytestmark = pytest.mark.usefixtures("token_keyring")


@pytest.fixture(autouse=True)
def login_items(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))  # the login item


def test_shown_as_set_and_read_only_for_a_nurse(admin_clinic, make_tray) -> None:
    admin_clinic.update_settings(worklist_reminder=False)
    tray = make_tray(admin_clinic)  # the nurse
    tray.show_settings()
    dialog = tray.dialogs["settings"]
    assert not dialog.worklist.isChecked() and not dialog.worklist.isEnabled()
    sent: list[dict] = []
    dialog.saved.connect(sent.append)
    dialog.submit()
    assert "worklist_reminder" not in sent[0]  # read-only: only her login item


def test_given_to_the_save_path_only_when_changed(admin_clinic, make_tray) -> None:
    tray = make_tray(admin_clinic, signed_in=ADMIN)
    tray.show_settings()
    dialog = tray.dialogs["settings"]
    assert dialog.worklist.isChecked() and dialog.worklist.isEnabled()  # on by default
    sent: list[dict] = []
    dialog.saved.disconnect()
    dialog.saved.connect(sent.append)
    dialog.submit()
    dialog.worklist.setChecked(False)
    dialog.submit()
    assert "worklist_reminder" not in sent[0] and sent[1]["worklist_reminder"] is False


def test_an_administrator_turns_it_off(admin_clinic, make_tray, audit_trail) -> None:
    tray = make_tray(admin_clinic, signed_in=ADMIN)
    tray.show_settings()
    dialog = tray.dialogs["settings"]
    dialog.worklist.setChecked(False)
    dialog.submit()
    assert not dialog.isVisible()
    assert admin_clinic.settings.worklist_reminder is False
    changes = [e for e in audit_trail(admin_clinic) if e[0] == "settings.change"]
    assert changes[-1][1] == ADMIN and changes[-1][3] == {"worklist_reminder": False}
