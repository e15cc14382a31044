"""The export window (issue 17, point 3): the month close without a terminal. Real windows
over the November clinic's real database; the month is checked and exported on the
window's worker thread, so each test waits for it as a user would."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlmodel import select

import ccm_timer.ui.export.export_text as export_text
from ccm_timer.services.delivery import outbox, targets
from ccm_timer.services.month import approvals
from ccm_timer.store.models import AuditEvent, Export, OutboxState
from ccm_timer.ui.export.export_window import ExportWindow
from ccm_timer.ui.export.export_worker import Job, Stopped
from tests.fixtures import clinic
from tests.fixtures.clinic import NURSE, PHYSICIAN, approver, exporter
from tests.fixtures.export_window import checked, done
from tests.fixtures.tray import trigger


def exports_made(ctx) -> list[Export]:
    with ctx.read() as session:
        return list(session.exec(select(Export)))


def test_the_menu_opens_it_on_last_month_in_the_first_days(month_clinic, make_tray, qtbot):
    ctx, _ = month_clinic
    app = make_tray(ctx, signed_in=PHYSICIAN)
    trigger(app, "E&xport billing files")
    shown = app.office.windows["export"]
    assert isinstance(shown, ExportWindow) and shown.isVisible()
    assert shown.month == "2026-11"  # 1 December: November is being closed
    assert shown.windowTitle() == "CCM Timer: export billing files"  # no patient named
    assert [shown.format_box.itemData(i) for i in range(shown.format_box.count())] == [
        "ehr-text", "csv", "json", "fhir", "pdf"]


def test_money_is_never_silent_before_the_export(export_window, month_clinic, qtbot):
    ctx, _ = month_clinic
    shown = export_window()
    assert shown.preview.nothing and not shown.export_button.isEnabled()
    said = [shown.notices.item(i).text() for i in range(shown.notices.count())]
    assert said[0].startswith("Approvals: 3 patients will be left out: ")
    approvals.approve(ctx, clinic.MONTH, by=approver(ctx))
    shown.options_changed()
    checked(qtbot, shown)
    assert shown.summary.text() == "2 claim lines for 3 patients."
    said = [shown.notices.item(i).text() for i in range(shown.notices.count())]
    assert "Sample, José: 99490 is held, not billed: no CCM consent on file for this month; " \
        "fewer than 2 chronic condition(s) on file." in said
    assert shown.export_button.isEnabled()
    with ctx.read() as session:  # the check named patients: a read, by the physician
        reads = session.exec(select(AuditEvent).where(AuditEvent.action == "read.report")).all()
    assert [(r.actor, r.entity_id) for r in reads] == [(PHYSICIAN, "2026-11")]


def test_a_billing_file_asks_the_password_and_a_wrong_one_writes_nothing(
        export_window, month_clinic, qtbot, attest, tmp_path):
    ctx, _ = month_clinic
    approvals.approve(ctx, clinic.MONTH, by=approver(ctx))
    shown = export_window()
    shown.export_button.click()
    assert "Export the CSV billing file of November 2026: 2 claim lines" in (
        shown.attest.findChild(type(shown.summary), "what").text())
    attest(shown, "not-the-password")
    assert shown.attest.error.isVisible() and shown.export_job is None
    assert exports_made(ctx) == [] and list(tmp_path.glob("*.csv")) == []
    shown.attest.reject()  # Cancel: nothing either
    assert exports_made(ctx) == []
    ctx.clock.advance(timedelta(seconds=2))  # past the wait a wrong password earns
    shown.export_button.click()
    attest(shown)
    done(qtbot, shown)
    [made] = exports_made(ctx)
    assert (made.actor, made.format, made.scope) == (PHYSICIAN, "csv", "all")
    saved = tmp_path / "ccm-2026-11.csv"
    assert saved.read_bytes() == made.content
    assert shown.message.text() == (f"Exported the CSV file of November 2026 (3 patients), "
                                    f"saved as {saved}.")


def test_a_nurse_sees_why_not_and_may_still_make_a_draft(export_window, month_clinic, qtbot,
                                                         tmp_path):
    ctx, _ = month_clinic
    shown = export_window(NURSE)
    assert not shown.export_button.isEnabled()
    assert shown.message.text().startswith("Avery Nurse cannot export billing files: only "
                                           "the billing office or a practitioner does.")
    shown.draft.setChecked(True)
    checked(qtbot, shown)
    assert shown.path.text() == str(tmp_path / "ccm-2026-11-draft.csv")
    assert shown.export_button.isEnabled() and shown.message.text() == ""
    shown.export_button.click()
    assert shown.attest is None  # a draft asks no password
    done(qtbot, shown)
    [made] = exports_made(ctx)
    assert made.actor == NURSE and (tmp_path / "ccm-2026-11-draft.csv").exists()


def test_one_patient_needs_a_patient_and_only_approved_leaves_the_others_out(
        export_window, month_clinic, qtbot, tmp_path):
    ctx, _ = month_clinic
    approvals.approve(ctx, clinic.MONTH, "T1001", by=approver(ctx))
    shown = export_window(NURSE)
    shown.format_box.setCurrentIndex(0)  # EHR text notes
    shown.scope_box.setCurrentIndex(1)
    assert shown.picker.isVisible()
    qtbot.waitUntil(lambda: shown.summary.text().startswith("Choose the patient"))
    assert not shown.export_button.isEnabled()
    shown.picker.choose("T1003")
    checked(qtbot, shown)
    assert shown.summary.text() == "Notes for 1 patient."
    shown.scope_box.setCurrentIndex(2)  # only approved
    checked(qtbot, shown)
    assert shown.summary.text() == "Notes for 1 patient."
    shown.export_button.click()
    done(qtbot, shown)
    assert shown.last_result.left_out == 2
    assert b"Testpatient" in (tmp_path / "ccm-2026-11.txt").read_bytes()


def test_queued_to_a_target_and_a_failed_delivery_in_the_history(
        export_window, month_clinic, qtbot, attest):
    ctx, _ = month_clinic
    targets.add(ctx, "billing", kind="https", url="https://billing.example.org/ccm")
    approvals.approve(ctx, clinic.MONTH, by=approver(ctx))
    shown = export_window()
    shown.to_target.setChecked(True)
    shown.export_button.click()
    attest(shown)
    done(qtbot, shown)
    assert "queued for billing" in shown.message.text()
    assert not list((ctx.paths.data / "exports").glob("*"))  # no plaintext copy
    [parcel] = outbox.claim(ctx, "test", due_by=ctx.now(), lease=timedelta(minutes=1))
    outbox.finish(ctx, "test", parcel, state=OutboxState.FAILED,
                  error="the server refused the file (HTTP 422)")
    shown.tabs.setCurrentIndex(1)
    table = shown.history.table
    assert [table.item(0, c).text() for c in range(table.columnCount())] == [
        "Dec 1, 2026 10:00", PHYSICIAN, "November 2026", "all patients", "CSV billing file",
        exports_made(ctx)[0].sha256[:12] + "…",
        "not delivered to billing: the server refused the file (HTTP 422)"]
    assert shown.history.retry_button.isEnabled() and shown.history.message.text() == ""
    shown.history.retry_button.click()
    assert shown.history.message.text().startswith("1 delivery queued again")
    assert table.item(0, 6).text() == ("waiting for billing (tried 1×: the server refused "
                                       "the file (HTTP 422))")


def test_the_retry_is_refused_in_plain_words_to_a_nurse(qtbot, month_clinic, signed_in):
    ctx, _ = month_clinic
    targets.add(ctx, "billing", kind="https", url="https://billing.example.org/ccm")
    approvals.approve(ctx, clinic.MONTH, by=approver(ctx))
    from ccm_timer.services import exports

    exports.export_month(ctx, clinic.MONTH, "csv", by=exporter(ctx), send="billing")
    [parcel] = outbox.claim(ctx, "test", due_by=ctx.now(), lease=timedelta(minutes=1))
    outbox.finish(ctx, "test", parcel, state=OutboxState.FAILED, error="refused")
    shown = ExportWindow(ctx, signed_in(ctx, NURSE))
    qtbot.addWidget(shown)
    shown.tabs.setCurrentIndex(1)
    assert not shown.history.retry_button.isEnabled()
    assert shown.history.message.text() == ("Only the billing office or a practitioner "
                                            "sends failed deliveries again.")


def test_progress_is_shown_for_each_patient_of_a_large_month(qtbot, busy_clinic, signed_in,
                                                             tmp_path):
    shown = ExportWindow(busy_clinic, signed_in(busy_clinic, NURSE))
    qtbot.addWidget(shown)
    checked(qtbot, shown)
    shown.format_box.setCurrentIndex(0)
    checked(qtbot, shown)
    shown.path.setText(str(tmp_path / "notes.txt"))
    steps: list[str] = []
    shown.start_export(shown.signer)
    shown.export_job.progressed.connect(lambda *a: steps.append(export_text.step(*a).text))
    assert shown.busy.isVisibleTo(shown) and shown.cancel_button.isEnabled()
    done(qtbot, shown)
    assert steps[0] == "Reading the month…" and "Gathering patient 16 of 16…" in steps
    assert steps[-2:] == ["Making the file…", "Recording the export…"]
    assert shown.busy.isHidden() and (tmp_path / "notes.txt").exists()


def test_cancel_stops_the_job_at_its_next_step(qtbot):
    started, release = threading.Event(), threading.Event()
    steps: list[int] = []

    def work(progress):
        for n in range(1000):
            progress("gathering", n, 1000)
            steps.append(n)
            started.set()
            release.wait(5)
        return "finished"

    job = Job(work)
    failures: list[BaseException] = []
    job.failed.connect(failures.append)
    job.start()
    assert started.wait(5)
    job.cancel()
    release.set()
    qtbot.waitUntil(lambda: not job.running, timeout=5_000)
    assert len(failures) == 1 and isinstance(failures[0], Stopped) and steps == [0]


def test_defaults_and_words():
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    ny = ZoneInfo("America/New_York")
    assert export_text.default_month(datetime(2026, 12, 3, 15, tzinfo=UTC), ny) == "2026-11"
    assert export_text.default_month(datetime(2026, 12, 20, 15, tzinfo=UTC), ny) == "2026-12"
    assert export_text.default_month(datetime(2027, 1, 2, 15, tzinfo=UTC), ny) == "2026-12"
    assert export_text.default_file_name("2026-11", "fhir", False) == "ccm-2026-11.fhir.json"
    assert export_text.step("gathering", 3, 10) == export_text.Step(
        "Gathering patient 4 of 10…", 28)
