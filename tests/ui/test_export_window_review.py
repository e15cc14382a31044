"""The export window after review (issue 17): reopened it checks again, a file already there
is replaced only when the user says so, and a one-patient
check is audited with its patient."""

from __future__ import annotations

from sqlmodel import select

from ccm_timer.store.models import AuditEvent, Export, Patient
from tests.fixtures.clinic import NURSE, PHYSICIAN
from tests.fixtures.export_window import checked, done


def test_closed_mid_check_it_checks_again_when_reopened(export_window, qtbot) -> None:
    shown = export_window(NURSE)
    shown.draft.setChecked(True)
    shown.check()  # at once, not after the pause for typing
    assert shown.check_job is not None
    shown.close()  # the check is cancelled
    qtbot.waitUntil(lambda: shown.check_job is None, timeout=10_000)
    assert shown.preview is None
    shown.show()
    checked(qtbot, shown)
    assert not shown.summary.text().startswith("Checking")
    assert shown.export_button.isEnabled()


def test_another_person_signing_in_checks_again(export_window, month_clinic, signed_in,
                                                qtbot) -> None:
    ctx, _ = month_clinic
    shown = export_window(NURSE)
    shown.set_signer(signed_in(ctx, PHYSICIAN))
    assert shown.preview is None  # the notices are checked again for them
    checked(qtbot, shown)


def test_a_file_already_there_is_replaced_only_when_asked(export_window, month_clinic, qtbot,
                                                          tmp_path) -> None:
    ctx, _ = month_clinic
    existing = tmp_path / "ccm-2026-11-draft.csv"
    existing.write_text("the clerk's earlier file")
    shown = export_window(NURSE)
    shown.draft.setChecked(True)
    checked(qtbot, shown)
    assert shown.path.text() == str(existing)
    shown.export_button.click()
    assert shown.replace_box is not None and shown.export_job is None
    assert "ccm-2026-11-draft.csv is already there" in shown.replace_box.text()
    shown.replace_box.button(shown.replace_box.StandardButton.Cancel).click()
    assert existing.read_text() == "the clerk's earlier file"
    with ctx.read() as s:
        assert list(s.exec(select(Export))) == []
    shown.export_button.click()
    shown.replace_box.button(shown.replace_box.StandardButton.Yes).click()
    done(qtbot, shown)
    assert b"clerk" not in existing.read_bytes()


def test_a_one_patient_check_is_audited_with_the_patient(export_window, month_clinic,
                                                        qtbot) -> None:
    ctx, _ = month_clinic
    shown = export_window(NURSE)
    shown.format_box.setCurrentIndex(0)  # notes
    shown.scope_box.setCurrentIndex(1)
    shown.picker.choose("T1003")
    checked(qtbot, shown)
    shown.picker.choose("T1001")
    checked(qtbot, shown)
    with ctx.read() as s:
        ids = {p.mrn: str(p.id) for p in s.exec(select(Patient))}
        reads = [e.entity_id for e in s.exec(select(AuditEvent))
                 if e.action == "read.report" and "export check" in (e.after or "")]
    assert ids["T1003"] in reads and ids["T1001"] in reads
