"""The tray's settings are an administrator's once the clinic has one (issue 16): a nurse
sees them read-only with one quiet line saying so, and keeps only her login item; an
administrator signed in changes them, audited under their name; while the clinic is being
set up they stay open. Real widgets, the real controller and services."""

from __future__ import annotations

import json

import pytest
from sqlmodel import col, select

from ccm_timer.platform import autostart
from ccm_timer.services import settings_changes
from ccm_timer.services.delivery import targets
from ccm_timer.services.people.access import Refused
from ccm_timer.store.models import AuditEvent
from ccm_timer.ui.settings_dialog import SettingsDialog
from ccm_timer.ui.targets_panel import TargetsPanel
from tests.fixtures.clinic import ADMIN

pytestmark = pytest.mark.usefixtures("token_keyring")


@pytest.fixture(autouse=True)
def login_items(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))  # the login item


def _events(ctx, prefix: str) -> list[AuditEvent]:
    with ctx.read() as s:
        return [e for e in s.exec(select(AuditEvent).order_by(col(AuditEvent.seq)))
                if e.action.startswith(prefix)]


def test_a_nurse_s_settings_are_read_only_and_say_why(admin_clinic, make_tray) -> None:
    ctx = admin_clinic
    tray = make_tray(ctx)  # the nurse signed in
    tray.show_settings()
    dialog = tray.dialogs["settings"]
    assert dialog.read_only.isVisibleTo(dialog)
    assert dialog.read_only.text() == settings_changes.READ_ONLY
    assert dialog.read_only.styleSheet() == "color: palette(placeholder-text);"  # quiet
    assert not dialog.error.isVisibleTo(dialog)
    for field in (dialog.clinician, dialog.full_names, dialog.reminder):
        assert not field.isEnabled()
    assert dialog.login.isEnabled()
    panel = dialog.targets
    assert not panel.add_button.isVisibleTo(panel) and not panel.remove_button.isVisibleTo(
        panel)
    assert panel.about.text() == "Where billing files are sent. An administrator changes them."
    before = {k: getattr(ctx.settings, k) for k in settings_changes.CLINIC}
    dialog.reminder.setValue(5)  # were it reached: the values shown are what is saved
    dialog.login.setChecked(True)  # her own login item
    dialog.submit()
    assert not dialog.isVisible()
    assert {k: getattr(ctx.settings, k) for k in settings_changes.CLINIC} == before
    assert ctx.settings.start_at_login and autostart.is_enabled()
    assert _events(ctx, "settings.") == []


def test_the_controller_refuses_a_nurse_s_change_before_writing(admin_clinic, make_tray):
    ctx = admin_clinic
    controller = make_tray(ctx).controller
    before = ctx.paths.settings_file.read_bytes()
    with pytest.raises(Refused, match="may not change targets and settings: only administrators"):
        controller.save_settings(default_clinician=ctx.settings.default_clinician,
                                 mask_patients=False, reminder_minutes=60,
                                 start_at_login=True)
    assert ctx.paths.settings_file.read_bytes() == before
    assert not autostart.is_enabled()  # not even the login item of a refused save


def test_an_administrator_s_dialog_saves_and_is_audited(admin_clinic, make_tray, qtbot,
                                                        token_keyring, tmp_path) -> None:
    ctx = admin_clinic
    controller = make_tray(ctx, signed_in=ADMIN).controller
    dialog = SettingsDialog(TargetsPanel(ctx, signer=lambda: controller.signer))
    qtbot.addWidget(dialog)
    dialog.saved.connect(lambda values: controller.save_settings(**values))
    dialog.prepare(ctx.settings, controller.status.clinicians)
    assert not dialog.read_only.isVisibleTo(dialog) and dialog.reminder.isEnabled()
    panel = dialog.targets
    assert panel.add_button.isVisibleTo(panel)
    dialog.reminder.setValue(30)
    dialog.full_names.setChecked(True)
    dialog.submit()
    assert (ctx.settings.reminder_minutes, ctx.settings.mask_patients) == (30, False)
    [event] = _events(ctx, "settings.")
    assert event.actor == ADMIN
    assert json.loads(event.after or "{}") == {"mask_patients": False, "reminder_minutes": 30}
    add = panel.show_add()
    add.kind.setCurrentIndex(add.kind.findData("folder"))
    add.name.setText("shared")
    add.address.setText(str(tmp_path))
    add.submit()
    assert not add.isVisible() and [t.name for t in targets.list_targets(ctx)] == ["shared"]
    assert [(e.action, e.actor) for e in _events(ctx, "target.")] == [("target.add", ADMIN)]


def test_the_tray_s_own_settings_entry_lets_a_signed_in_administrator_change_them(
        admin_clinic, make_tray) -> None:
    ctx = admin_clinic
    tray = make_tray(ctx, signed_in=ADMIN)
    tray.show_settings()  # as the tray's menu entry does: the dialog asks who is signed in
    dialog = tray.dialogs["settings"]
    assert not dialog.read_only.isVisibleTo(dialog) and dialog.reminder.isEnabled()
    dialog.reminder.setValue(45)
    dialog.submit()
    assert not dialog.isVisible() and ctx.settings.reminder_minutes == 45
    assert [e.actor for e in _events(ctx, "settings.")] == [ADMIN]


def test_a_panel_without_an_administrator_signed_in_changes_nothing(admin_clinic, qtbot,
                                                                    tmp_path) -> None:
    ctx = admin_clinic
    panel = TargetsPanel(ctx)  # nobody signed in
    qtbot.addWidget(panel)
    panel.reload()
    assert not panel.editable()
    panel.show_add()
    panel._add("folder", "shared", str(tmp_path), "")  # as the form would submit it
    assert panel.dialog is not None
    assert "Only an administrator may change targets and settings" in (
        panel.dialog.error.text())
    assert targets.list_targets(ctx) == [] and _events(ctx, "target.") == []


def test_while_the_clinic_is_set_up_the_nurse_changes_them(clinic, make_tray) -> None:
    tray = make_tray(clinic)
    tray.show_settings()
    dialog = tray.dialogs["settings"]
    assert not dialog.read_only.isVisibleTo(dialog) and dialog.reminder.isEnabled()
    dialog.reminder.setValue(45)
    dialog.submit()
    assert clinic.settings.reminder_minutes == 45
    assert [e.actor for e in _events(clinic, "settings.")] == ["Avery Nurse"]
