"""Who is working at the tray (issue 16): the sign-in asked at start, a wrong password and
the wait after it, a first sign-in that sets the password, an office-role person who cannot
time, the privacy lock that needs the signed-in person's password (or a switch), and what a
signed-in administrator sees: people with their sign-in state, a reset, the audit trail."""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import Qt

from ccm_timer.errors import UserError
from ccm_timer.services.people import access, clinicians
from ccm_timer.services.security import credentials
from ccm_timer.services.timing import timers
from ccm_timer.ui.privacy_lock import PrivacyCover, PrivacyLock
from ccm_timer.ui.signin_flow import AFTER_LOCK, AT_START
from tests.fixtures.clinic import NURSE, PASSWORD, PHYSICIAN, give_passwords
from tests.fixtures.tray import open_menu, trigger


def _asked(tray, qtbot):
    qtbot.waitUntil(lambda: "signin" in tray.dialogs and tray.dialogs["signin"].isVisible(),
                    timeout=3000)
    return tray.dialogs["signin"]


def _choose(dialog, name: str) -> None:
    dialog.list.setCurrentRow(next(i for i, p in enumerate(dialog.people) if p.name == name))


def test_the_tray_asks_who_is_working_and_a_wrong_password_changes_nothing(
        clinic, clock, make_tray, qtbot, audit_trail) -> None:
    tray = make_tray(clinic, signed_in=None)
    assert tray.surface.isVisible()  # the icon (here the window) first, then the question
    dialog = _asked(tray, qtbot)
    assert dialog.intro.text() == AT_START
    assert [p.name for p in dialog.people] == [NURSE, PHYSICIAN]
    assert dialog.list.item(0).text() == "Avery Nurse, RN   (clinical staff; password set)"
    assert dialog.person().name == NURSE  # the workstation's default clinician
    head = len(audit_trail(clinic))
    qtbot.keyClicks(dialog.password, "Not-her-password")
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    assert dialog.isVisible() and dialog.error.text() == (
        "That is not Avery Nurse's password; nothing was changed.")
    assert dialog.password.text() == "" and tray.controller.signer is None
    assert access.tray_person(clinic) is None
    qtbot.keyClicks(dialog.password, PASSWORD)  # at once: too soon after a wrong one
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    assert dialog.error.text() == "Wait 1 second before trying Avery Nurse's password again."
    assert not dialog.ok.isEnabled() and dialog.ok.text() == "Sign in (wait 1 s)"
    assert tray.controller.signer is None
    clock.advance(2)
    qtbot.waitUntil(dialog.ok.isEnabled, timeout=3000)
    dialog.password.setText(PASSWORD)
    dialog.ok.click()
    assert not dialog.isVisible()
    assert tray.controller.signer.name == NURSE and tray.controller.signer.signed_in
    assert access.tray_person(clinic) == str(tray.controller.signer.id)
    assert [e[0] for e in audit_trail(clinic, head)] == ["signin.fail", "signin"]
    assert all(PASSWORD not in str(e) for e in audit_trail(clinic))
    tray.finish(stop=False)  # quit: the CLI no longer times as her
    assert access.tray_person(clinic) is None


def test_a_first_sign_in_sets_the_password_twice_under_the_policy(
        clinic, make_tray, qtbot) -> None:
    clinicians.add(clinic, name="Casey Newhire", credential="LPN", role="clinical_staff")
    tray = make_tray(clinic, signed_in=None)
    dialog = _asked(tray, qtbot)
    _choose(dialog, "Casey Newhire")
    assert dialog.ok.text() == "&Set password and sign in"
    assert dialog.again.isVisibleTo(dialog) and dialog.policy.isVisibleTo(dialog)
    assert dialog.policy.text().startswith("Casey Newhire has no password yet. Choose one "
                                           "now, typed twice: at least 8 characters")
    dialog.password.setText("Casey-pass-1")
    dialog.again.setText("Casey-pass-2")
    dialog.ok.click()
    assert dialog.error.text() == "The two passwords differ; type the same one twice."
    dialog.password.setText("short")
    dialog.again.setText("short")
    dialog.ok.click()
    assert dialog.error.text().startswith("That password cannot be used: it must be at least")
    assert not credentials.has_secret(clinic, "Casey Newhire") and tray.controller.signer is None
    dialog.password.setText("Casey-pass-1")
    dialog.again.setText("Casey-pass-1")
    dialog.ok.click()
    assert not dialog.isVisible() and tray.controller.signer.name == "Casey Newhire"
    assert credentials.has_secret(clinic, "Casey Newhire")
    tray.controller.start("T1001", "phone-call")
    assert timers.status(clinic, "Casey Newhire").state == "running"


def test_once_there_is_an_administrator_a_first_password_is_set_with_one(
        clinic, clock, make_tray, qtbot, audit_trail) -> None:
    access.grant(clinic, PHYSICIAN, "admin", True, by=None)  # an administrator with a password
    clinicians.add(clinic, name="Casey Newhire", credential="LPN", role="clinical_staff",
                   by=credentials.verify(clinic, PHYSICIAN, PASSWORD))
    tray = make_tray(clinic, signed_in=None)
    dialog = _asked(tray, qtbot)
    _choose(dialog, "Casey Newhire")
    assert dialog.witness.isVisibleTo(dialog) and dialog.witness_password.isVisibleTo(dialog)
    assert [dialog.witness.itemText(i) for i in range(dialog.witness.count())] == [PHYSICIAN]
    assert "one of them chooses their name below" in dialog.policy.text()
    dialog.password.setText("Casey-pass-1")
    dialog.again.setText("Casey-pass-1")
    dialog.witness_password.setText("not-his-password")
    dialog.ok.click()  # a colleague alone cannot choose her first password
    assert dialog.error.text() == "That is not Dr Blake Test's password; nothing was changed."
    assert not credentials.has_secret(clinic, "Casey Newhire")
    _choose(dialog, NURSE)  # a person with a password: no administrator asked
    assert not dialog.witness.isVisibleTo(dialog)
    _choose(dialog, "Casey Newhire")
    dialog.password.setText("Casey-pass-1")
    dialog.again.setText("Casey-pass-1")
    dialog.witness_password.setText(PASSWORD)
    clock.advance(2)  # past the wait the wrong password asked for
    dialog.ok.click()
    assert not dialog.isVisible() and tray.controller.signer.name == "Casey Newhire"
    [event] = [e for e in audit_trail(clinic) if e[0] == "credential.set"]
    assert event[1] == "Casey Newhire" and event[3] == {"with_administrator": PHYSICIAN}


def test_an_office_person_signs_in_but_does_not_time(clinic, make_tray, qtbot) -> None:
    clinicians.add(clinic, name="Olive Office", credential="CPB", role="office")
    give_passwords(clinic, ("Olive Office",))
    tray = make_tray(clinic, signed_in="Olive Office")
    menu = open_menu(tray)
    assert "Olive Office does not time (no clinical role)" in menu
    start = next(a for a in tray.menu.actions() if a.text() == "&Start timer…")
    assert not start.isEnabled()
    assert not next(a for a in tray.menu.actions() if a.text().startswith("Add time")).isEnabled()
    tray.show_start()
    assert tray.dialogs.get("start") is None
    assert tray.messages[-1].text().startswith("Olive Office is signed in with no clinical "
                                               "role, so their sign-in does not time care")
    tray.messages[-1].close()  # left open, it blocks the keys of the next test's windows
    try:
        tray.controller.start("T1001", "phone-call")
    except UserError:
        pass
    else:
        raise AssertionError("an office sign-in started a timer")
    assert timers.status(clinic, "Olive Office").state == "idle"


def _tray_lock(tray, qapp) -> PrivacyLock:
    lock = PrivacyLock(qapp, 10, check_ms=60_000, who=tray.signin.lock_name,
                       verify=tray.signin.lock_verify)
    tray.attach_lock(lock)
    return lock


def test_the_lock_needs_the_signed_in_persons_password(clinic, clock, make_tray, qtbot,
                                                       qapp) -> None:
    tray = make_tray(clinic)
    tray.controller.start("T1001", "phone-call")
    lock = _tray_lock(tray, qapp)
    try:
        overview = tray.windows.show_overview()
        lock.lock_now()
        assert open_menu(tray) == ["Running 0:00:00", "-", "Signed in: Avery Nurse, RN",
                                   "&Unlock…", "Switch p&erson…", "-", "Setti&ngs…", "&Quit"]
        assert "T1001" not in tray.surface.toolTip() if hasattr(tray.surface, "toolTip") else True
        cover = overview.findChild(PrivacyCover)
        cover.password.setText("guess-guess")
        cover.unlock_button.click()
        assert lock.is_locked and "not Avery Nurse's password" in cover.error.text()
        clock.advance(timedelta(minutes=20))
        assert timers.status(clinic).state == "running"  # the timer kept running
        cover.password.setText(PASSWORD)
        cover.unlock_button.click()
        assert not lock.is_locked and open_menu(tray)[0] == "Running 0:20:00"
    finally:
        lock.stop()


def test_switch_person_from_the_lock(clinic, make_tray, qtbot, qapp, settled) -> None:
    tray = make_tray(clinic)
    lock = _tray_lock(tray, qapp)
    try:
        overview = tray.windows.show_overview()
        lock.lock_now()
        overview.findChild(PrivacyCover).switch_button.click()
        dialog = tray.dialogs["signin"]
        assert dialog.isVisible() and dialog.intro.text() == AFTER_LOCK
        _choose(dialog, PHYSICIAN)
        dialog.password.setText(PASSWORD)
        dialog.ok.click()
        assert not lock.is_locked and tray.controller.signer.name == PHYSICIAN
        assert overview.signer.name == PHYSICIAN  # the open window reads as him now
        settled(overview)
        assert overview.close_bar.approve_button.isEnabled()
    finally:
        lock.stop()


def test_an_administrator_sees_locked_people_and_resets_a_password(
        clinic, clock, make_tray, audit_trail) -> None:
    access.grant(clinic, NURSE, "admin", True, by=None)  # the clinic's first administrator
    tray = make_tray(clinic)
    for _ in range(5):  # the doctor's sign-in locks after five wrong passwords in a row
        try:
            credentials.verify(clinic, PHYSICIAN, "wrong-wrong")
        except UserError:
            pass
        clock.advance(60)
    menu = open_menu(tray)
    assert "&Manage people and passwords…" in menu and "&Audit trail…" in menu
    trigger(tray, "&Manage people and passwords…")
    people = tray.signin.people_dialog
    row = next(r for r, p in enumerate(people.people) if p.name == PHYSICIAN)
    state = people.table.item(row, 3)
    assert state.text().startswith("locked until ") and state.foreground().color().name() == (
        "#b91c1c")
    assert people.table.item(row, 2).text() == "practitioner"
    people.table.selectRow(row)
    box = people.ask_reset()
    next(b for b in box.buttons() if b.text() == "&Reset").click()
    assert people.message.text() == ("Dr Blake Test's password was cleared; they choose a new "
                                     "one at their next sign-in, with an administrator.")
    assert not credentials.has_secret(clinic, PHYSICIAN)
    assert people.table.item(row, 3).text() == "no password yet"
    reset = [e for e in audit_trail(clinic) if e[0] == "credential.reset"]
    assert [e[1] for e in reset] == [NURSE]


def test_the_admin_entries_are_not_shown_to_others(clinic, make_tray) -> None:
    tray = make_tray(clinic)
    menu = open_menu(tray)
    assert not any(m.startswith(("&Manage people", "&Audit")) for m in menu)
    assert tray.signin.show_people() is None and tray.signin.show_audit() is None
