"""Settings, delivery targets: listed, added (the token goes to the keyring, never to the
settings file) and removed, through the real targets service."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from ccm_timer.services import exports
from ccm_timer.services.delivery import outbox, targets
from tests.fixtures.clinic import MONTH, NOV_20, log
from tests.fixtures.tray import trigger

pytestmark = pytest.mark.usefixtures("token_keyring")  # target tokens of its own


def _panel(tray):
    trigger(tray, "Setti&ngs…")
    return tray.dialogs["settings"].targets


def _rows(panel) -> list[tuple[str, ...]]:
    table = panel.table
    return [tuple(table.item(r, c).text() for c in range(table.columnCount()))
            for r in range(table.rowCount())]


def test_targets_are_listed_with_kind_address_and_waiting(clinic, make_tray, tmp_path) -> None:
    targets.add(clinic, "billing", kind="https", url="https://billing.example.org/ccm")
    targets.add(clinic, "shared", kind="folder", url=str(tmp_path))
    panel = _panel(make_tray(clinic))
    assert panel.title() == "&Delivery targets"
    assert _rows(panel) == [
        ("billing", "Billing server (HTTPS)", "https://billing.example.org/ccm", ""),
        ("shared", "Folder", str(tmp_path), "")]
    assert not panel.empty.isVisibleTo(panel)
    assert not panel.remove_button.isEnabled()  # nothing selected yet


def test_no_target_yet_says_where_the_files_stay(clinic, make_tray) -> None:
    panel = _panel(make_tray(clinic))
    assert panel.empty.isVisibleTo(panel) and not panel.table.isVisibleTo(panel)
    assert "stay on this computer" in panel.empty.text()


def test_add_an_https_target_keeps_the_token_in_the_keyring(
        clinic, make_tray, token_keyring, qtbot) -> None:
    panel = _panel(make_tray(clinic))
    dialog = panel.show_add()
    assert dialog.secret.echoMode() == dialog.secret.EchoMode.Password
    dialog.kind.setCurrentIndex(dialog.kind.findData("https"))
    qtbot.keyClicks(dialog.name, "billing")
    qtbot.keyClicks(dialog.address, "https://billing.example.org/ccm")
    qtbot.keyClicks(dialog.secret, "s3cret-token")
    qtbot.keyClick(dialog.secret, Qt.Key.Key_Return)
    assert not dialog.isVisible()
    assert targets.list_targets(clinic) == [
        targets.Target("billing", "https", "https://billing.example.org/ccm")]
    assert token_keyring.get_password(targets.KEYRING_SERVICE, "billing") == "s3cret-token"
    assert "s3cret" not in clinic.paths.settings_file.read_text()
    assert _rows(panel)[0][0] == "billing" and panel.selected().name == "billing"


def test_the_form_follows_the_kind(clinic, make_tray, tmp_path) -> None:
    dialog = _panel(make_tray(clinic)).show_add()
    dialog.kind.setCurrentIndex(dialog.kind.findData("folder"))
    assert not dialog.secret.isVisibleTo(dialog) and dialog.browse.isVisibleTo(dialog)
    dialog.kind.setCurrentIndex(dialog.kind.findData("hub"))
    assert dialog.secret.isVisibleTo(dialog) and dialog.secret_label.text() == "&Password"
    assert dialog.address.placeholderText().startswith("postgresql://")


def test_a_bad_address_is_explained_in_the_dialog(clinic, make_tray, qtbot) -> None:
    panel = _panel(make_tray(clinic))
    dialog = panel.show_add()
    dialog.kind.setCurrentIndex(dialog.kind.findData("https"))
    dialog.submit()
    assert dialog.error.text() == "Give the target a name and an address."
    qtbot.keyClicks(dialog.name, "billing")
    qtbot.keyClicks(dialog.address, "http://billing.example.org/ccm")
    dialog.submit()
    assert dialog.isVisible()
    assert dialog.error.text() == ("Exports go only over https:// (plain http only to "
                                   "127.0.0.1).")
    assert targets.list_targets(clinic) == []


def test_a_second_target_of_the_same_name_is_refused(clinic, make_tray, tmp_path) -> None:
    targets.add(clinic, "shared", kind="folder", url=str(tmp_path))
    dialog = _panel(make_tray(clinic)).show_add()
    dialog.kind.setCurrentIndex(dialog.kind.findData("folder"))
    dialog.name.setText("shared")
    dialog.address.setText(str(tmp_path / "other"))
    dialog.submit()
    assert "already a target named shared" in dialog.error.text()
    assert targets.get(clinic, "shared").url == str(tmp_path)


def test_remove_asks_first_and_marks_waiting_files(
        clinic, clock, make_tray, token_keyring, tmp_path) -> None:
    clock.advance(NOV_20 - clock.now())
    targets.add(clinic, "billing", kind="https", url="https://billing.example.org/ccm",
                secret="tok")
    log(clinic, "T1001", 25)
    exports.export_month(clinic, MONTH, "csv", draft=True, send="billing")
    panel = _panel(make_tray(clinic))
    assert _rows(panel)[0][3] == "1"
    panel.table.selectRow(0)
    box = panel.ask_remove()
    assert "1 billing file still waits to be sent there" in box.text()
    assert box.defaultButton() == box.button(QMessageBox.StandardButton.Cancel)
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert [t.name for t in targets.list_targets(clinic)] == ["billing"]
    box = panel.ask_remove()
    next(b for b in box.buttons() if b.text() == "&Remove").click()
    assert targets.list_targets(clinic) == []
    assert outbox.waiting_count(clinic) == 0
    assert token_keyring.get_password(targets.KEYRING_SERVICE, "billing") is None
    assert panel.empty.isVisibleTo(panel)
