"""The Patients and Clinicians windows of the tray's month-end menu (office_flow.WINDOWS):
each built once, on first open, from the flow (the context, the signed-in person, the tray's
message and its way to start a timer or open a patient's month)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the windows (and the database) load on first open
    from PySide6.QtWidgets import QWidget

    from ccm_timer.ui.office_flow import OfficeFlow


def open_patients(flow: OfficeFlow) -> QWidget:
    """Find, add, edit and deactivate patients, with each one's record."""
    from ccm_timer.ui.records.patients_window import PatientsWindow

    return PatientsWindow(flow)


def open_clinicians(flow: OfficeFlow) -> QWidget:
    """The clinic's people: an administrator's to change, anyone else's to read."""
    from ccm_timer.ui.records.clinicians_window import CliniciansWindow

    return CliniciansWindow(flow)
