"""The clinical record in the patient view: conditions, consent and the care plan, each
edited through its widgets and checked through the services; a refusal says its sentence
in the panel and writes nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import QDate, Qt

from ccm_timer.services.people import care_plan, conditions, patients
from ccm_timer.ui.overview.code_set import loader
from ccm_timer.ui.overview.patient_window import PatientMonthView
from tests.fixtures.clinic import log

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64  # what the scan check recognises as a PNG


def _view(qtbot, ctx, mrn: str) -> PatientMonthView:
    view = PatientMonthView(ctx, mrn, "2026-11")
    qtbot.addWidget(view)
    qtbot.waitUntil(lambda: loader().loaded, timeout=20_000)  # the code set, off the UI thread
    return view


def _table(panel) -> list[list[str]]:
    t = panel.table
    return [[t.item(r, c).text() for c in range(t.columnCount())] for r in range(t.rowCount())]


def _click(qtbot, button) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


# -- conditions -------------------------------------------------------------------------


def test_adding_a_condition_through_the_widget_writes_it(qtbot, nov) -> None:
    view = _view(qtbot, nov, "T1002")
    panel = view.conditions
    assert _table(panel) == []
    assert panel.summary.text() == ("0 chronic conditions on file: CCM needs 2 (add 2 more "
                                    "to bill)")
    assert "no chronic condition (CCM needs 2)" in view.record.banner.text()
    qtbot.keyClicks(panel.code, "j44")
    assert panel.found.text().startswith("J44 is a category, not a billable code; use one")
    qtbot.keyClicks(panel.code, "9")
    assert panel.found.text() == "J44.9: Chronic obstructive pulmonary disease, unspecified"
    panel.has_since.setChecked(True)
    panel.since.setDate(QDate(2021, 3, 1))
    _click(qtbot, panel.add_button)
    assert [c.to_dict() for c in conditions.list_for(nov, "T1002")] == [{
        "code": "J44.9", "description": "Chronic obstructive pulmonary disease, unspecified",
        "since": "2021-03-01", "chronic": True,
        "chronic_category": "Chronic obstructive pulmonary disease and bronchiectasis"}]
    assert conditions.list_for(nov, "T1002")[0].added_by == "Avery Nurse"
    assert _table(panel) == [["J44.9", "Chronic obstructive pulmonary disease, unspecified",
                              "2021-03-01", "Yes — Chronic obstructive pulmonary disease "
                              "and bronchiectasis"]]
    assert panel.code.text() == "" and not panel.error.isVisibleTo(panel)
    assert panel.summary.text().startswith("1 chronic condition on file")
    assert "1 chronic condition (CCM needs 2)" in view.record.banner.text()
    qtbot.keyClicks(panel.code, "I10")  # Enter in the field adds, without a since-date
    qtbot.keyClick(panel.code, Qt.Key.Key_Return)
    assert [(c.code, c.since) for c in conditions.list_for(nov, "T1002")] == [
        ("I10", None), ("J44.9", date(2021, 3, 1))]
    assert "chronic condition" not in view.record.banner.text()


@pytest.mark.parametrize(("typed", "said"), [
    ("E99.999X", "E99.999X is not in the ICD-10-CM code set; check the code (nothing was "
                 "written)."),
    ("diabetes", "'diabetes' is not an ICD-10-CM code"),
    ("E11", "E11 is a category, not a billable code"),
])
def test_a_bad_code_shows_the_sentence_and_writes_nothing(qtbot, nov, typed, said) -> None:
    view = _view(qtbot, nov, "T1001")
    panel = view.conditions
    before = [c.to_dict() for c in conditions.list_for(nov, "T1001", history=True)]
    qtbot.keyClicks(panel.code, typed)
    assert "nothing was written" not in panel.found.text()  # a hint while typing
    _click(qtbot, panel.add_button)
    assert panel.error.isVisibleTo(panel) and panel.error.text().startswith(said)
    assert "nothing was written" in panel.error.text()
    assert [c.to_dict() for c in conditions.list_for(nov, "T1001", history=True)] == before
    assert panel.code.text() == typed  # kept, to correct
    qtbot.keyClick(panel.code, Qt.Key.Key_Backspace)  # typing again clears the sentence
    assert not panel.error.isVisibleTo(panel)


def test_a_future_since_date_is_refused_in_the_panel(qtbot, nov) -> None:
    panel = _view(qtbot, nov, "T1002").conditions
    panel.since.setMaximumDate(QDate(2030, 1, 1))  # the widget would not offer it
    panel.has_since.setChecked(True)
    panel.since.setDate(QDate(2027, 1, 1))
    qtbot.keyClicks(panel.code, "I10")
    _click(qtbot, panel.add_button)
    assert "in the future" in panel.error.text()
    assert conditions.list_for(nov, "T1002") == []


def test_removing_needs_a_reason_and_keeps_the_history(qtbot, nov, clock, signed_in,
                                                       attest) -> None:
    view = _view(qtbot, nov, "T1001")
    view.set_signer(signed_in(nov))
    panel = view.conditions
    assert not panel.remove_button.isEnabled()  # nothing selected
    panel.table.selectRow(1)  # I10
    dialog = panel.remove_selected()
    dialog.submit()
    assert dialog.isVisible() and dialog.error.text().startswith("Say why")
    assert len(conditions.list_for(nov, "T1001")) == 2
    qtbot.keyClicks(dialog.reason, "Entered for the wrong patient")
    _click(qtbot, dialog.ok)
    attest(panel, "not-the-password")  # a wrong one removes nothing
    assert dialog.isVisible() and len(conditions.list_for(nov, "T1001")) == 2
    assert panel.attest.error.text().startswith("That is not Avery Nurse's password")
    clock.advance(2)  # past the wait after a wrong password
    attest(panel)
    assert not dialog.isVisible()
    assert [c.code for c in conditions.list_for(nov, "T1001")] == ["E11.9"]
    assert [r[0] for r in _table(panel)] == ["E11.9"]
    assert "1 chronic condition (CCM needs 2)" in view.record.banner.text()
    panel.history.setChecked(True)
    rows = _table(panel)
    assert [r[0] for r in rows] == ["E11.9", "I10"]
    assert rows[1][4].startswith("removed 2026-11-20 by Avery Nurse: Entered for the wrong")
    panel.table.selectRow(1)
    assert not panel.remove_button.isEnabled()  # a removed one is history


def test_a_second_chronic_condition_releases_the_months_ccm_line(qtbot, nov) -> None:
    patients.set_consent(nov, "T1002", "CCM", date(2026, 11, 2), "verbal", by="Avery Nurse",
                         disclosures="cost-sharing,one-practitioner,right-to-stop")
    conditions.add(nov, "T1002", "J44.9")
    log(nov, "T1002", 25)
    view = _view(qtbot, nov, "T1002")
    assert view.figures.held.text().startswith("Held: 99490 (fewer than 2 chronic")
    changed = []
    view.changed.connect(lambda: changed.append(1))
    qtbot.keyClicks(view.conditions.code, "E78.5")
    qtbot.keyClick(view.conditions.code, Qt.Key.Key_Return)
    assert [c.code for c in conditions.list_for(nov, "T1002")] == ["E78.5", "J44.9"]
    assert view.figures.billable.text() == "Billable: 99490"
    assert changed  # the overview's row follows


# -- consent ----------------------------------------------------------------------------


def _consent(nov, mrn="T1002", program="CCM"):
    return next(e for e in patients.get(nov, mrn).enrollments if e.program.value == program)


def test_consent_checkboxes_save_the_disclosures(qtbot, nov) -> None:
    view = _view(qtbot, nov, "T1002")
    panel = view.consent
    assert "no consent on file" in panel.listing.text()
    assert "Lines are held until the consent is recorded." in panel.listing.text()
    assert not any(box.isEnabled() for box in panel.told.values())
    panel.has_consent.setChecked(True)
    assert all(box.isEnabled() for box in panel.told.values())
    panel.day.setDate(QDate(2026, 11, 2))
    assert panel.by.currentText() == "Avery Nurse"  # whoever records it, to change
    panel.by.setCurrentText("Dr Blake Test")
    panel.told["cost-sharing"].setChecked(True)
    panel.told["one-practitioner"].setChecked(True)
    _click(qtbot, panel.save)
    saved = _consent(nov)
    assert (saved.consent_date, saved.consent_method, saved.consent_by) == (
        date(2026, 11, 2), "verbal", "Dr Blake Test")
    assert saved.disclosures == ("cost-sharing", "one-practitioner")
    assert "Lines are held until the right-to-stop disclosure is recorded." in (
        panel.listing.text())
    assert "CCM consent missing the right-to-stop disclosure" in view.record.banner.text()
    assert panel.told["one-practitioner"].isChecked()  # shown as stored
    panel.told["right-to-stop"].setChecked(True)
    panel.told["one-practitioner"].setChecked(False)
    _click(qtbot, panel.save)
    assert _consent(nov).disclosures == ("cost-sharing", "right-to-stop")
    panel.told["one-practitioner"].setChecked(True)
    _click(qtbot, panel.save)
    assert _consent(nov).disclosures == ("cost-sharing", "one-practitioner", "right-to-stop")
    assert "held" not in panel.listing.text()
    assert "consent" not in view.record.banner.text()


def test_a_written_consent_keeps_its_scan_and_a_bad_file_writes_nothing(qtbot, nov,
                                                                        tmp_path: Path) -> None:
    view = _view(qtbot, nov, "T1002")
    panel = view.consent
    panel.has_consent.setChecked(True)
    assert not panel.scan_button.isEnabled()  # a scan belongs to a written consent
    panel.method.setCurrentText("written")
    assert panel.scan_button.isEnabled()
    text = tmp_path / "notes.txt"
    text.write_text("not a scan")
    panel.set_scan(text)
    _click(qtbot, panel.save)
    assert "not a PDF, PNG, JPEG or TIFF" in panel.error.text()
    assert _consent(nov).consent_date is None  # nothing written
    scan = tmp_path / "consent.png"
    scan.write_bytes(PNG)
    panel.set_scan(scan)
    assert panel.scan_label.text() == "To attach at save: consent.png"
    _click(qtbot, panel.save)
    assert _consent(nov).has_document and _consent(nov).consent_method == "written"
    assert panel.scan_label.text() == "A scan of the written consent is on file."
    assert "scan on file" in panel.listing.text()


def test_an_incomplete_consent_says_what_is_missing_and_withdrawal_ends_it(qtbot, nov
                                                                          ) -> None:
    patients.set_consent(nov, "T1001", "CCM", date(2026, 1, 6), "verbal",
                         disclosures="cost-sharing,one-practitioner,right-to-stop")
    view = _view(qtbot, nov, "T1001")
    panel = view.consent
    assert panel.by.currentText() == "— choose who obtained it —"
    assert "Lines are held until who obtained it is recorded." in panel.listing.text()
    assert "CCM consent missing who obtained it" in view.record.banner.text()
    dialog = panel.withdraw()
    dialog.submit()
    assert dialog.isVisible() and dialog.error.text().startswith("Say why")
    assert _consent(nov, "T1001").withdrawn_on is None
    dialog.day.setDate(QDate(2026, 11, 18))
    dialog.reason.setText("Moved to another practice")
    dialog.submit()
    assert not dialog.isVisible()
    gone = _consent(nov, "T1001")
    assert (gone.withdrawn_on, gone.withdrawal_reason, gone.end_date) == (
        date(2026, 11, 18), "Moved to another practice", date(2026, 11, 18))
    assert "CCM: consent withdrawn 2026-11-18 (Moved to another practice)" in (
        panel.listing.text())
    assert not panel.withdraw_button.isEnabled()
    assert not view.record.banner.isVisibleTo(view)  # no program today, nothing to bill


def test_a_refused_consent_shows_the_sentence_in_the_panel(qtbot, nov) -> None:
    panel = _view(qtbot, nov, "T1002").consent
    panel.has_consent.setChecked(True)
    panel.day.setMaximumDate(QDate(2030, 1, 1))
    panel.day.setDate(QDate(2027, 1, 1))
    _click(qtbot, panel.save)
    assert panel.error.text().startswith("The consent date 2027-01-01 is in the future")
    assert _consent(nov).consent_date is None


# -- the care plan ----------------------------------------------------------------------


def test_the_care_plan_added_reviewed_and_ended_through_the_panel(qtbot, nov, attest) -> None:
    view = _view(qtbot, nov, "T1001")
    panel = view.care_plan
    assert panel.review_line.text().startswith("⚠ Never reviewed")
    assert not panel.review_button.isEnabled()  # nothing to review yet
    assert "no care plan" in view.record.banner.text()
    panel.kind.setCurrentText("problem")
    assert [panel.condition.itemText(i) for i in range(panel.condition.count())] == [
        "(no condition)", "E11.9 — Type 2 diabetes mellitus without complications",
        "I10 — Essential (primary) hypertension"]
    panel.condition.setCurrentIndex(1)
    panel.by.setCurrentText("Dr Blake Test")  # recorded under his name: his password
    qtbot.keyClicks(panel.text, "Type 2 diabetes, A1c 8.4")
    _click(qtbot, panel.add_button)
    assert care_plan.show(nov, "T1001").items == ()  # nothing until he gives it
    attest(panel, "not-his-password")
    assert panel.attest.error.text().startswith("That is not Dr Blake Test's password")
    assert care_plan.show(nov, "T1001").items == ()
    nov.clock.advance(2)  # past the wait after a wrong password
    attest(panel)
    panel.kind.setCurrentText("goal")
    panel.condition.setCurrentIndex(0)  # none
    qtbot.keyClicks(panel.text, "A1c below 7.5 by May")
    qtbot.keyClick(panel.text, Qt.Key.Key_Return)
    attest(panel)
    plan = care_plan.show(nov, "T1001")
    assert [(i.kind, i.text, i.condition_code, i.created_by) for i in plan.items] == [
        ("problem", "Type 2 diabetes, A1c 8.4", "E11.9", "Dr Blake Test"),
        ("goal", "A1c below 7.5 by May", None, "Dr Blake Test")]
    assert not panel.notice.isVisibleTo(panel)  # a practitioner established it
    groups = [panel.tree.topLevelItem(i) for i in range(panel.tree.topLevelItemCount())]
    assert [g.text(0) for g in groups] == ["Problems (1)", "Goals (1)", "Interventions (0)"]
    assert [groups[0].child(0).text(c) for c in range(4)] == [
        "Type 2 diabetes, A1c 8.4", "E11.9", "2026-11-20", "Dr Blake Test"]
    assert "care plan never reviewed" in view.record.banner.text()
    panel.substantial.setChecked(True)
    _click(qtbot, panel.review_button)
    attest(panel)
    plan = care_plan.show(nov, "T1001")
    assert (plan.reviewed_by, plan.substantial) == ("Dr Blake Test", True)
    assert panel.review_line.text() == "Last reviewed 2026-11-20 by Dr Blake Test."
    assert not view.record.banner.isVisibleTo(view)  # the record is complete
    panel.tree.setCurrentItem(panel.tree.topLevelItem(1).child(0))
    dialog = panel.end_selected()
    dialog.submit()
    assert dialog.isVisible() and len(care_plan.show(nov, "T1001").items) == 2
    dialog.reason.setText("Goal met")
    dialog.submit()
    attest(panel)
    assert [i.kind for i in care_plan.show(nov, "T1001").items] == ["problem"]
    panel.show_ended.setChecked(True)
    goals = panel.tree.topLevelItem(1)
    assert goals.child(0).text(0).startswith("A1c below 7.5 by May — ended 2026-11-20 by "
                                             "Dr Blake Test: Goal met")


def test_staff_establishing_the_plan_see_the_notice_and_an_empty_text_is_refused(
        qtbot, nov) -> None:
    panel = _view(qtbot, nov, "T1001").care_plan
    assert panel.by.currentText() == "Avery Nurse"
    _click(qtbot, panel.add_button)
    assert panel.error.text().startswith("The problem text is empty")
    assert care_plan.show(nov, "T1001").items == ()
    qtbot.keyClicks(panel.text, "Lives alone, no transport")
    _click(qtbot, panel.add_button)
    assert panel.notice.isVisibleTo(panel)
    assert panel.notice.text().startswith("Avery Nurse is clinical staff")
    assert "--as" not in panel.notice.text()


# -- the patient's details --------------------------------------------------------------


def test_patient_details_set_qmb_and_the_birth_date(qtbot, nov) -> None:
    view = _view(qtbot, nov, "T1003")
    assert "QMB" not in view.details.text()
    dialog = view.edit_details()
    dialog.submit()
    assert dialog.isVisible() and dialog.error.text().startswith("Nothing was changed")
    assert not dialog.born.isEnabled()  # no birth date on file
    dialog.qmb.setCurrentIndex(dialog.qmb.findData(True))
    dialog.has_born.setChecked(True)
    dialog.born.setDate(QDate(1944, 5, 6))
    dialog.submit()
    assert not dialog.isVisible()
    person = patients.get(nov, "T1003")
    assert (person.qmb, person.birth_date) == (True, date(1944, 5, 6))
    assert view.details.text().startswith("MRN T1003 · born 1944-05-06 · QMB ·")
    dialog = view.edit_details()
    dialog.name.setText("Nocomma")
    dialog.submit()
    assert dialog.isVisible() and dialog.error.text().startswith("Cannot change the name")
    assert patients.get(nov, "T1003").display_name == "Example, Chloé"
