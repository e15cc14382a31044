"""Names in the order people read them (issue 17): "Ñúñez" before "Testpatient", in the
patient finder, the month report (and so the overview and the billing files)."""

from __future__ import annotations

from ccm_timer.services.month.report import month_report
from ccm_timer.services.people import patients
from ccm_timer.services.people.patient_search import PatientIndex
from tests.fixtures.clinic import MONTH, log

EXTRA = {"T3001": "Ñúñez, Óscar", "T3002": "de la Cruz, Ana", "T3003": "Zhou, Mei",
         "T3004": "Éclair, Zoé"}


def _add(ctx) -> None:
    for mrn, name in EXTRA.items():
        patients.add(ctx, mrn=mrn, name=name, program="CCM")


def test_the_patient_finder_lists_names_as_people_read_them(nov):
    _add(nov)
    found = [p.family_name for p in PatientIndex.load(nov).search("")]
    assert found.index("Ñúñez") < found.index("Testpatient")
    assert found.index("Éclair") < found.index("Example") < found.index("Ñúñez")
    assert found.index("de la Cruz") < found.index("Éclair")
    shuffled = PatientIndex(list(reversed(patients.list_patients(nov))))
    assert [p.mrn for p in shuffled.search("")] == [p.mrn for p in PatientIndex.load(nov)
                                                    .search("")]


def test_the_month_report_orders_patients_as_people_read_names(nov):
    _add(nov)
    for hour, mrn in enumerate(("T1001", "T3001", "T3004")):
        log(nov, mrn, 5, day=5, hour=14 + hour)
    names = [p.family_name for p in month_report(nov, MONTH).patients]
    assert names.index("Éclair") < names.index("Ñúñez") < names.index("Testpatient")
