"""Who changes the patient's record in the patient view (issue 16, the README's table): the
billing office signed in at the tray sees every change of the record disabled, with one quiet
line saying who may, and what is on file still shows; a nurse (and an administrator) may;
switching person at the tray follows at once."""

from __future__ import annotations

import pytest

from ccm_timer.services.people import care_plan, clinicians, patients
from ccm_timer.services.security import credentials
from ccm_timer.ui.overview.code_set import loader
from ccm_timer.ui.overview.month_close import NOTE_STYLE
from ccm_timer.ui.overview.patient_window import PatientMonthView
from tests.fixtures.clinic import NURSE, PASSWORD, give_passwords

OFFICE, ADMIN = "Morgan Billing", "Robin Admin"
SAID = (f"{OFFICE} cannot change the patient's record: only clinical staff, practitioners or "
        "administrators do.")


@pytest.fixture
def record(nov):
    """`nov` with the billing office and an administrator (no clinical role), signed in with
    their passwords, and a care plan on T1001."""
    clinicians.add(nov, name=OFFICE, credential="CPC", role="office", duties=("billing",))
    clinicians.add(nov, name=ADMIN, credential="Office", role="office", duties=("admin",))
    give_passwords(nov, (OFFICE, ADMIN))
    care_plan.add(nov, "T1001", "goal", "A1c below 7.5", actor=NURSE)
    return nov


def _view(qtbot, ctx, who: str) -> PatientMonthView:
    view = PatientMonthView(ctx, "T1001", "2026-11",
                            signer=credentials.verify(ctx, who, PASSWORD))
    qtbot.addWidget(view)
    view.show()
    qtbot.waitUntil(lambda: loader().loaded, timeout=20_000)
    _select(view)
    return view


def _items(view: PatientMonthView) -> list:
    tree = view.care_plan.tree
    return [tree.topLevelItem(g).child(i) for g in range(tree.topLevelItemCount())
            for i in range(tree.topLevelItem(g).childCount())]


def _select(view: PatientMonthView) -> None:
    """The plan's goal and the first condition, selected: the end and remove buttons."""
    view.care_plan.tree.setCurrentItem(_items(view)[0])
    view.conditions.table.selectRow(0)


def _changes(view: PatientMonthView) -> dict[str, bool]:
    """Every button or field that changes the record, and whether it is enabled."""
    c, p, k = view.conditions, view.care_plan, view.consent
    return {"details": view.details_button.isEnabled(),
            "condition code": c.code.isEnabled(), "add condition": c.add_button.isEnabled(),
            "remove condition": c.remove_button.isEnabled(),
            "care-plan text": p.text.isEnabled(), "add to plan": p.add_button.isEnabled(),
            "end item": p.end_button.isEnabled(), "review": p.review_button.isEnabled(),
            "consent given": k.has_consent.isEnabled(), "save consent": k.save.isEnabled(),
            "withdraw": k.withdraw_button.isEnabled()}


def _notes(view: PatientMonthView) -> list[str]:
    return [panel.note.text() for panel in (view.conditions, view.care_plan, view.consent)
            if panel.note.isVisibleTo(panel)]


def test_the_billing_office_sees_the_record_but_changes_nothing(qtbot, record) -> None:
    view = _view(qtbot, record, OFFICE)
    assert not any(_changes(view).values()), _changes(view)
    assert _notes(view) == [SAID] * 3
    assert view.conditions.note.styleSheet() == NOTE_STYLE  # quiet, not an error
    assert not view.conditions.error.isVisibleTo(view.conditions)
    assert view.details_button.toolTip() == SAID
    # What is on file still shows: the conditions, the plan, the consent listing.
    assert view.conditions.table.rowCount() == 2
    assert [i.text(0) for i in _items(view)] == ["A1c below 7.5"]
    assert "CCM" in view.consent.listing.text()
    # A change reached some other way (Enter in a field) is refused and writes nothing.
    before = (patients.get(record, "T1001"), care_plan.show(record, "T1001"))
    view.care_plan.text.setText("Walk daily")
    view.care_plan.add()
    view.consent.submit()
    assert view.edit_details() is None and view.consent.withdraw() is None
    assert view.care_plan.error.text() == SAID and view.consent.error.text() == SAID
    assert (patients.get(record, "T1001"), care_plan.show(record, "T1001")) == before


@pytest.mark.parametrize("who", [NURSE, ADMIN])
def test_a_nurse_or_an_administrator_may_change_it(qtbot, record, who) -> None:
    view = _view(qtbot, record, who)
    assert all(_changes(view).values()), _changes(view)
    assert _notes(view) == []


def test_switching_person_at_the_tray_follows(qtbot, record) -> None:
    view = _view(qtbot, record, NURSE)
    view.set_signer(credentials.verify(record, OFFICE, PASSWORD))
    assert not any(_changes(view).values())
    assert _notes(view) == [SAID] * 3
    view.set_signer(credentials.verify(record, NURSE, PASSWORD))
    assert all(_changes(view).values()), _changes(view)
    assert _notes(view) == []
