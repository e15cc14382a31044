"""The words of the Patients and Clinicians windows: table rows, a patient's details, the
people offered as billing practitioner or care manager, and the audit detail of a list read.
Pure functions of the services' views (no Qt), so what a clerk reads is tested without a
screen."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from importlib.util import find_spec
from typing import Any

from ccm_timer.core.access import DUTY_NAMES, GRANTED, Duty, duties
from ccm_timer.services.people.clinicians import ClinicianView
from ccm_timer.services.people.patients import CLEAR, PatientView
from ccm_timer.services.people.record_status import active

NOBODY = "— none —"
# The birth date, the second identifier, is on the Details page beside the list.
PATIENT_COLUMNS = ("Name", "MRN", "Programs", "Care manager")
PEOPLE_COLUMNS = ("Name", "Credential", "Role", "Duties", "NPI", "Incident-to", "Sign-in",
                  "Status")
# The roles by their stored values (the ui reads no store model): how people say them.
ROLE_WORDS = {"clinical_staff": "clinical staff", "practitioner": "practitioner",
              "office": "office (no clinical role)"}
PRACTITIONER, OFFICE = "practitioner", "office"
DEACTIVATED = "deactivated"


def names_by_id(people: Iterable[ClinicianView]) -> dict[uuid.UUID, str]:
    """Each person's name (a deactivated one says so: their patients still name them)."""
    return {p.id: p.name if p.active else f"{p.name} ({DEACTIVATED})" for p in people}


def person(names: Mapping[uuid.UUID, str], who: uuid.UUID | None) -> str:
    return names.get(who, "") if who else ""


def program_words(p: PatientView, today: date) -> str:
    """"CCM, RPM (no consent)": the programs enrolled in today, with what holds them."""
    out = []
    for e in p.enrollments:
        if not active(e, today):
            continue
        held = " (no consent)" if e.consent_date is None else (
            " (consent incomplete)" if e.consent_missing else "")
        out.append(e.program.value + held)
    return ", ".join(out)


def patient_row(p: PatientView, names: Mapping[uuid.UUID, str], today: date) -> tuple[str, ...]:
    name = p.display_name if p.active else f"{p.display_name} ({DEACTIVATED})"
    return (name, p.mrn, program_words(p, today), person(names, p.care_manager_id))


def patient_details(p: PatientView, names: Mapping[uuid.UUID, str],
                    today: date) -> list[tuple[str, str]]:
    """(label, value) lines of the Details page."""
    qmb = {True: "yes", False: "no", None: "not recorded"}[p.qmb]
    lines = [("MRN", p.mrn), ("Born", p.birth_date.isoformat() if p.birth_date else
                              "not recorded"),
             ("QMB", qmb),
             ("Billing practitioner", person(names, p.billing_practitioner_id) or "not named"),
             ("Care manager", person(names, p.care_manager_id) or "not named"),
             ("Programs", program_words(p, today) or "none yet: enrol in the Consent tab")]
    ended = [e for e in p.enrollments if not active(e, today)]
    if ended:
        lines.append(("Ended", ", ".join(
            f"{e.program.value} (withdrawn {e.withdrawn_on.isoformat()})" if e.withdrawn_on
            else f"{e.program.value} (ended {e.end_date.isoformat() if e.end_date else ''})"
            for e in ended)))
    lines.append(("Status", "active" if p.active else
                  "deactivated: not offered for timing or on the worklist; their history "
                  "is kept"))
    return lines


def count_words(shown: int, total: int, query: str) -> str:
    if not total:
        return "No patients yet: add one, or import a roster."
    if query.strip():
        return f"{shown} of {total} patients match" if shown else (
            "No patient matches; check the spelling or the MRN.")
    return f"{total} patients"


def read_detail(shown: int, query: str) -> str:
    """The audit event's detail of a list shown: how many, never who or what was typed."""
    return (f"patient search ({shown} found)" if query.strip()
            else f"patient list ({shown} patients)")


def practitioners(people: Sequence[ClinicianView]) -> list[tuple[str, str]]:
    """(name, id) of who may bill: chosen by id, as two people may share a name."""
    return [(p.name, str(p.id)) for p in people if p.active and p.role == PRACTITIONER]


def care_managers(people: Sequence[ClinicianView]) -> list[tuple[str, str]]:
    return [(p.name, str(p.id)) for p in people if p.active and p.role != OFFICE]


def ref(who: uuid.UUID | None) -> str:
    """A person on file as the dialogs hold them: their id, or "" for nobody."""
    return str(who) if who else ""


def edit_changes(p: PatientView, name: str, birth_date: date | None, qmb: bool | None,
                 practitioner: str, care_manager: str) -> dict[str, Any]:
    """What an Edit changed, as patients.update's arguments: only what differs from the
    record (nothing when nothing did), and CLEAR for what was taken away."""
    out: dict[str, Any] = {}
    if name != p.display_name:
        out["name"] = name
    if birth_date != p.birth_date:
        out["birth_date"] = birth_date or CLEAR
    if qmb is not p.qmb:
        out["qmb"] = CLEAR if qmb is None else qmb
    if practitioner != ref(p.billing_practitioner_id):
        out["billing_practitioner"] = practitioner
    if care_manager != ref(p.care_manager_id):
        out["care_manager"] = care_manager
    return out


def duty_words(c: ClinicianView) -> str:
    """The duties granted beside the role (the role's own are in its column)."""
    held = duties(c.role.value, c.duties)
    return ", ".join(DUTY_NAMES[d] for d in GRANTED if d in held)


def person_row(c: ClinicianView, sign_in: str) -> tuple[str, ...]:
    name = f"{c.name} (default)" if c.is_default else c.name
    incident = ("yes" if c.incident_to else "no") if c.role == PRACTITIONER else ""
    return (name, c.credential, ROLE_WORDS[c.role.value], duty_words(c), c.npi or "", incident,
            sign_in if c.active else "", "active" if c.active else DEACTIVATED)


def has_duty(c: ClinicianView, duty: Duty) -> bool:
    return duty.value in c.duties


def roster_import_available() -> bool:
    """Whether the setup package (its roster import) is there; without it, no button."""
    try:
        spec = find_spec("ccm_timer.ui.setup")
    except (ImportError, ValueError):
        return False
    return spec is not None and spec.origin is not None
