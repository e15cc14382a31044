"""Telling commits from other connections apart from mere reads."""

from __future__ import annotations

import os

from ccm_timer.services.change_watch import DataVersion
from ccm_timer.services.people import clinicians, patients
from ccm_timer.services.timing import timers


def test_changes_show_once_and_reads_do_not_count(clinic, cli) -> None:
    watch = DataVersion(clinic)
    try:
        assert not watch.changed()
        timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
        assert watch.changed()
        assert not watch.changed()
        patients.list_patients(clinic)
        clinicians.list_clinicians(clinic)
        assert not watch.changed()
        assert cli("stop").returncode == 0  # another process
        assert watch.changed()
    finally:
        watch.close()


def test_holding_the_connection_keeps_the_wal_file(clinic) -> None:
    watch = DataVersion(clinic)
    try:
        wal = DataVersion.wal_path(clinic.paths.database)
        for _ in range(3):
            clinicians.list_clinicians(clinic)  # each session opens and closes a connection
            assert os.path.exists(wal)
    finally:
        watch.close()
