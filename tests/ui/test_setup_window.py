"""A clinic set up from nothing in the tray, without a terminal (issue 17): the tray opens
the setup window instead of a sign-in; its pages save through the services; the first
administrator is signed in at once and the tray leaves its setup state."""

from __future__ import annotations

from PySide6.QtWidgets import QWizard

from ccm_timer.services.people import clinicians, patients
from ccm_timer.services.security import credentials
from ccm_timer.ui.setup import RosterImportDialog
from tests.fixtures.tray import open_menu

PASS = "Synthetic-pass-17"


def _next(wizard) -> None:
    wizard.button(QWizard.WizardButton.NextButton).click()


def test_a_new_clinic_is_set_up_in_the_window(ctx, make_tray, tmp_path) -> None:
    tray = make_tray(ctx)
    wizard = tray.office.windows["setup"]
    assert wizard.isVisible() and tray.dialogs.get("signin") is None
    clinic_page = wizard.currentPage()
    clinic_page.name.setText("Riverside Family Practice")
    clinic_page.zone.setCurrentText("Mars/Olympus")
    _next(wizard)
    assert wizard.currentPage() is clinic_page and "from the list" in clinic_page.error.text()
    clinic_page.zone.setCurrentText("America/Denver")
    _next(wizard)
    assert ctx.settings.clinic_name == "Riverside Family Practice"
    assert ctx.zone.key == "America/Denver"

    admin_page = wizard.currentPage()
    form = admin_page.form
    assert "At least 8 characters" in form.policy.text()
    form.name.setText("Morgan Admin")
    form.password.setText(PASS)
    form.again.setText(PASS + "!")
    _next(wizard)
    assert wizard.currentPage() is admin_page and "differ" in admin_page.error.text()
    assert clinicians.list_clinicians(ctx) == []  # nothing half-made
    form.again.setText(PASS)
    _next(wizard)
    assert tray.controller.signer.name == "Morgan Admin"  # signed in at the tray
    menu = open_menu(tray)
    assert "&Set up CCM Timer…" not in menu and any(t.startswith("S&witch") or "Sign o" in t
                                                    for t in menu)

    people_page = wizard.currentPage()
    people = people_page.form
    people.name.setText("Dr Pat Test")
    people.role.setCurrentIndex(people.role.findText("Practitioner (bills)"))
    assert people.npi.isVisibleTo(people)
    people.credential.setCurrentText("MD")
    people.later.setChecked(True)
    assert not people.password.isVisibleTo(people)
    assert not people_page.add_person()  # a practitioner needs their NPI
    assert "NPI" in people_page.error.text()
    people.npi.setText("1234567893")
    assert people_page.add_person()
    assert [people_page.listed.item(i).text() for i in range(people_page.listed.count())] == [
        "Dr Pat Test — MD, practitioner · chooses a password at first sign-in",
        "Morgan Admin — RN, clinical staff, administrator · password set"]
    assert not credentials.has_secret(ctx, "Dr Pat Test")
    _next(wizard)

    roster_page = wizard.currentPage()
    dialog = roster_page.show_import()
    roster = tmp_path / "roster.csv"
    roster.write_text("mrn,name,program\nR1,\"Testperson, Ana\",CCM\nR2,Nocomma,CCM\n",
                      encoding="utf-8")
    dialog.open_file(roster)
    assert dialog.problems.rowCount() == 1 and dialog.problems.item(0, 0).text() == "3"
    assert not dialog.import_button.isEnabled()
    roster.write_text("mrn,name,program\nR1,\"Testperson, Ana\",CCM\nR2,\"Sample, Bo\",CCM\n",
                      encoding="utf-8")
    dialog.again.click()
    assert dialog.import_button.isEnabled() and not dialog.problems.isVisible()
    dialog.import_button.click()
    assert sorted(p.mrn for p in patients.list_patients(ctx)) == ["R1", "R2"]
    assert roster_page.said.text() == "Imported 2 patient(s)."
    dialog.close()
    _next(wizard)

    delivery = wizard.currentPage()
    assert delivery.panel.add_button.isVisible()  # the administrator may add a target
    wizard.button(QWizard.WizardButton.FinishButton).click()
    assert not wizard.isVisible()


def test_the_roster_dialog_shows_the_encoding_columns_and_refuses_bad_rows(
        clinic, signed_in, tmp_path, qtbot) -> None:
    nurse = signed_in(clinic)
    dialog = RosterImportDialog(clinic, signer=lambda: nurse)
    qtbot.addWidget(dialog)
    roster = tmp_path / "roster.csv"
    roster.write_bytes("MRN,Name,Ward\nR1,\"Testperson, Zoë\",3\nT1001,\"Twice, Bo\",4\n"
                       .encode("cp1252"))
    dialog.open_file(roster)
    assert dialog.encoding.currentData() == "cp1252"
    assert "Not used: Ward" in dialog.columns.text()
    assert dialog.problems.item(0, 1).text() == "MRN T1001 is already in the database"
    assert "1 good, 1 with a problem" in dialog.summary.text()
    assert dialog.confirm() == 0 and not dialog.import_button.isEnabled()
    dialog.encoding.setCurrentIndex(dialog.encoding.findData("utf-8"))
    dialog.check()
    assert "This file cannot be imported" in dialog.summary.text()
    assert "choose the encoding Windows" in dialog.summary.text()
    assert "R1" not in [p.mrn for p in patients.list_patients(clinic)]
