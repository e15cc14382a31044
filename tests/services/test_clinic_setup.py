"""A new clinic set up without a terminal (issue 17): its name and zone, its first
administrator (signed in), its people; each step refused whole, in one sentence."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from ccm_timer.core.access import Duty
from ccm_timer.errors import UserError
from ccm_timer.services import clinic_setup
from ccm_timer.services.clinic_setup import Person
from ccm_timer.services.people import clinicians
from ccm_timer.services.people.access import Refused
from ccm_timer.services.security import credentials
from ccm_timer.store.models import AuditEvent, Role

PASS = "Synthetic-pass-17"
ADMIN = Person("Morgan Admin", Role.CLINICAL_STAFF, "RN", password=PASS, again=PASS)


def _names(ctx) -> list[str]:
    return [c.name for c in clinicians.list_clinicians(ctx)]


def test_the_clinic_name_and_zone_are_saved_and_audited(ctx) -> None:
    clinic_setup.save_clinic(ctx, None, name="Riverside Family Practice", zone="America/Denver")
    assert (ctx.settings.clinic_name, ctx.zone.key) == ("Riverside Family Practice",
                                                        "America/Denver")
    assert ctx.zone_chosen
    with ctx.read() as session:
        (event,) = session.exec(select(AuditEvent).where(
            AuditEvent.action == "settings.change")).all()
    assert event.actor == "setup" and json.loads(event.after)["clinic_timezone"] == (
        "America/Denver")
    with pytest.raises(UserError, match="from the list"):
        clinic_setup.save_clinic(ctx, None, name="Other", zone="Mars/Olympus")
    assert ctx.settings.clinic_name == "Riverside Family Practice"


def test_the_first_administrator_is_signed_in(ctx) -> None:
    assert clinic_setup.needed(ctx)
    signer = clinic_setup.create_admin(ctx, ADMIN)
    assert signer.name == "Morgan Admin" and signer.signed_in
    assert Duty.ADMIN in signer.duties and not clinic_setup.needed(ctx)
    assert ctx.settings.default_clinician == str(signer.id)  # a nurse: she times here
    with pytest.raises(Refused, match="already has an administrator"):
        clinic_setup.create_admin(ctx, Person("Second Admin", Role.OFFICE, "Office",
                                              password=PASS, again=PASS))


@pytest.mark.parametrize(("person", "why"), [
    (Person("Morgan Admin", Role.CLINICAL_STAFF, "RN", password=PASS, again=PASS + "x"),
     "The two passwords differ"),
    (Person("Morgan Admin", Role.CLINICAL_STAFF, "RN", password="short", again="short"),
     "at least 8 characters"),
    (Person("Morgan Admin", Role.CLINICAL_STAFF, "RN"), "needs a password now"),
    (Person("Dr Pat Test", Role.PRACTITIONER, "MD", password=PASS, again=PASS),
     "needs their NPI"),
    (Person("Dr Pat Test", Role.PRACTITIONER, "MD", "12345", PASS, PASS), "exactly 10 digits"),
    (Person("  ", Role.OFFICE, "Office", password=PASS, again=PASS), "name"),
])
def test_a_refused_administrator_leaves_nobody(ctx, person, why) -> None:
    with pytest.raises(UserError, match=why):
        clinic_setup.create_admin(ctx, person)
    assert _names(ctx) == []


def test_people_are_added_by_the_administrator(ctx) -> None:
    admin = clinic_setup.create_admin(ctx, ADMIN)
    clinic_setup.add_person(ctx, admin, Person("Dr Pat Test", Role.PRACTITIONER, "MD",
                                                "1234567893", PASS, PASS))
    clinic_setup.add_person(ctx, admin, Person("Sam Office", Role.OFFICE, "CPC"))
    assert credentials.verify(ctx, "Dr Pat Test", PASS).name == "Dr Pat Test"
    assert not credentials.has_secret(ctx, "Sam Office")  # chooses one at first sign-in
    assert [(p.name, p.what) for p in clinic_setup.people(ctx)] == [
        ("Dr Pat Test", "MD, practitioner · password set"),
        ("Morgan Admin", "RN, clinical staff, administrator · password set"),
        ("Sam Office", "CPC, office · chooses a password at first sign-in")]
    with pytest.raises(Refused):
        clinic_setup.add_person(ctx, None, Person("Nobody Asked", Role.OFFICE, "CPC"))
    with pytest.raises(UserError, match="two passwords differ"):
        clinic_setup.add_person(ctx, admin, Person("Lee Nurse", Role.CLINICAL_STAFF, "RN",
                                                    password=PASS, again="other-pass-17"))
    assert "Lee Nurse" not in _names(ctx) and "Nobody Asked" not in _names(ctx)


def test_policy_and_zones(ctx) -> None:
    assert clinic_setup.policy(ctx).startswith("At least 8 characters")
    zones = clinic_setup.zones()
    assert "America/Chicago" in zones and "Asia/Kolkata" in zones
    assert not any(z.startswith(("posix/", "Etc/")) for z in zones)


def test_utc_as_computers_name_it_is_in_the_list(ctx) -> None:
    assert clinic_setup.listed("Etc/UTC") == "UTC" and clinic_setup.listed("Nowhere/X") == ""
    clinic_setup.save_clinic(ctx, None, name="", zone="Etc/UTC")
    assert ctx.settings.clinic_timezone == "UTC"
