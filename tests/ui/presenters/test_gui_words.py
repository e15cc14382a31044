"""The command line's instructions never reach a window (issue 17): each refusal the tray can
meet, raised by the real service, shown with what to do in the app instead."""

from __future__ import annotations

import re

import pytest

from ccm_timer.core.access import Action
from ccm_timer.errors import UserError
from ccm_timer.services.month import month_flags
from ccm_timer.services.people import access
from ccm_timer.services.security import keys
from ccm_timer.ui.presenters.gui_words import error_text, in_app
from tests.fixtures.clinic import MONTH, NURSE, PHYSICIAN, admin_clinic  # noqa: F401

DEVELOPER = re.compile(r"--[a-z]|`|ccm-timer |CCM_TIMER_|\d{4}-\d\d-\d\dT|[0-9a-f]{8}-[0-9a-f]{4}")


def _said(call) -> str:
    with pytest.raises(UserError) as caught:
        call()
    assert DEVELOPER.search(str(caught.value)), "the service's own text changed: update this"
    return error_text(caught.value)


def test_a_nurse_setting_complex_decision_making_is_told_who_signs_in(nov):
    said = _said(lambda: month_flags.set_flags(nov, "T1001", MONTH, complex_mdm=True,
                                               by=access.named(nov, NURSE)))
    assert not DEVELOPER.search(said), said
    assert said.endswith("the practitioner signs in at the tray (Switch person) to set it.")


def test_an_attested_action_without_the_password_says_it_is_asked(nov):
    said = _said(lambda: access.require(access.named(nov, PHYSICIAN), Action.APPROVE))
    assert not DEVELOPER.search(said), said
    assert said.endswith("must give their password at that moment; they are asked for it "
                         "when they do it.")


def test_managing_people_without_an_administrator_signed_in(admin_clinic):  # noqa: F811
    said = _said(lambda: access.require_admin(admin_clinic, None, Action.PEOPLE))
    assert not DEVELOPER.search(said), said
    assert "an administrator signs in at the tray (Switch person)" in said


def test_a_wrong_passphrase_says_type_it_again():
    said = error_text(keys.unreadable(keys.Protection(kept_in="passphrase")))
    assert said == "The passphrase does not open this database; type it again. Nothing was " \
                   "changed."


@pytest.mark.parametrize("text", [
    "No usable keyring can keep the new key: no backend. Nothing was changed; set "
    "CCM_TIMER_PASSPHRASE to use a passphrase instead.",
    "The database key is missing from the keyring. Nothing was changed; run "
    "`ccm-timer unlock --recovery-key` and type the recovery key you wrote down.",
    "Cannot create the data folder /x (Permission denied); choose another with --data-dir "
    "or CCM_TIMER_HOME.",
    "A reason is required: say why with --reason.",
])
def test_key_and_folder_messages_lose_their_commands(text):
    assert not DEVELOPER.search(in_app(text)), in_app(text)


def test_a_message_with_nothing_of_the_command_line_is_left_as_it_is():
    text = "The end is not after the start; check the times."
    assert in_app(text) == text


def test_the_setup_hint_names_the_menu_entry_not_a_command():
    from ccm_timer.ui.presenters import tray_text

    assert not DEVELOPER.search(tray_text.setup_hint())
    assert "Set up CCM Timer…" in tray_text.setup_hint()


def test_an_unknown_clinician_or_patient_is_told_in_window_words(clinic):  # noqa: F811
    from ccm_timer.services.people import clinicians, patients

    with clinic.read() as session:
        said = _said(lambda: clinicians.find(session, clinic, "Nobody Here"))
        assert not DEVELOPER.search(said), said
        assert said == "There is no clinician 'Nobody Here'; see the Clinicians and staff window."
        said = _said(lambda: patients.find(session, "T9999"))
        assert not DEVELOPER.search(said), said
        assert said.endswith("check the number or add the patient in the Patients window.")


def test_a_person_sent_by_id_is_never_shown_by_id(clinic):  # noqa: F811
    from ccm_timer.services.people import clinicians

    with clinic.read() as session:
        said = _said(lambda: clinicians.find(session, clinic,
                                             "01a2338a-b14d-718f-8536-c36ffd42fa8f"))
    assert said == "That person is no longer active; choose someone else."
