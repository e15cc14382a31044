"""`ccm-timer report --month` done by the running tray from its open database (issue 18,
points 1 and 2; ui/cli_channel.py): the same words, CSV, JSON and errors as the command
line alone, without the command line importing the ORM; handed back when the month
rollup is not built, so the tray's event loop never counts a month from its entries."""

from __future__ import annotations

import subprocess
import sys
import time

from ccm_timer.ui import cli_channel
from tests.fixtures.clinic import NURSE, PHYSICIAN, log
from tests.fixtures.tray_channel import channel_env, real_clinic, run_many

REPORTS = [
    ["report", "--month", "2026-11"],
    ["report", "--month", "2026-11", "--json"],
    ["report", "--month=2026-11", "--csv"],
    ["report", "--month", "2026-11", "--patient", "T1001"],
    ["report", "--month", "2026-11", "--patient", "T9999"],  # the service's own refusal
    ["report", "--month", "2026-13"],  # the parser's
    ["report", "--month", "2026-10"],  # nothing recorded
    ["report", "--month", "2026-11", "--csv=yes"],
]
NO_ORM = (
    "import sys; import ccm_timer.cli.main as m;"
    "rc = m.main(sys.argv[1:]);"
    "bad = sorted({n.split('.')[0] for n in sys.modules} & {'PySide6', 'sqlalchemy', "
    "'sqlmodel', 'sqlcipher3', 'keyring'});"
    "print(bad, file=sys.stderr); sys.exit(rc)"
)


def _november(ctx) -> None:
    """A few minutes for each role and patient, the same in every clinic made here."""
    log(ctx, "T1001", 12, day=3, clinician=NURSE)
    log(ctx, "T1001", 9.5, day=4, clinician=NURSE, category="med-rec")
    log(ctx, "T1001", 31, day=5, clinician=PHYSICIAN, category="care-plan")
    log(ctx, "T1002", 21, day=6, clinician=NURSE)
    log(ctx, "T1003", 11, day=7, clinician=NURSE, program="RPM")


def _ask(qtbot, home, *argv: str) -> tuple[int, str, list[str]]:
    """(exit code, stdout, the heavy packages the command line imported)."""
    proc = subprocess.Popen([sys.executable, "-c", NO_ORM, *argv], env=channel_env(home),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    qtbot.waitUntil(lambda: proc.poll() is not None, timeout=60_000)
    out, err = proc.communicate()
    return proc.returncode, out, eval(err.strip().splitlines()[-1])  # noqa: S307 (ours)


def test_a_month_report_is_the_same_through_the_tray_and_without_it(
        tmp_path, make_tray, serve, qtbot):
    served, alone = real_clinic(tmp_path / "served"), real_clinic(tmp_path / "alone")
    try:
        for ctx in (served, alone):
            _november(ctx)
        alone.close()
        tray = make_tray(served, begin=False)
        serve(tray, served.paths.data)
        code, out, heavy = _ask(qtbot, served.paths.data, "report", "--month", "2026-11")
        assert (code, heavy) == (0, [])  # the tray did it: nothing heavy was imported here
        assert "T1001" in out and "99490" in out
        through = run_many(qtbot, served.paths.data, REPORTS)
        without = run_many(qtbot, alone.paths.data, REPORTS)
        for argv, mine, theirs in zip(REPORTS, through, without, strict=True):
            assert mine == theirs, argv
        codes = [code for code, _, _ in through]
        assert codes.count(0) >= 5 and codes.count(1) == 1 and codes.count(2) == 2
    finally:
        served.close()


def test_a_report_while_the_rollup_is_not_built_is_done_by_the_command_line(
        tmp_path, make_tray, serve, qtbot):
    clinic = real_clinic(tmp_path / "clinic")
    try:
        _november(clinic)
        tray = make_tray(clinic, begin=False)
        serve(tray, clinic.paths.data)
        with clinic.write() as session:  # as an import sets it aside (entry_import_rollup)
            session.connection().exec_driver_sql("DELETE FROM month_rollup_state")
        request = {"v": 1, "command": "report", "until": time.time() + 30, "args": {
            "month": "2026-11", "patient": None, "csv": False, "json": False}}
        assert cli_channel.answer(tray.controller, request) == cli_channel.BACK
        code, out, heavy = _ask(qtbot, clinic.paths.data, "report", "--month", "2026-11")
        assert code == 0 and "sqlalchemy" in heavy  # counted in its own process
        assert "T1001" in out
    finally:
        clinic.close()


def test_a_request_the_parser_would_not_make_is_handed_back(clinic, make_tray, qtbot):
    tray = make_tray(clinic, begin=False)
    for args in ({"month": "2026-13", "patient": None, "csv": False},
                 {"month": "Nov", "patient": None, "csv": False},
                 {"month": "2026-11", "patient": 7, "csv": False},
                 {"month": "2026-11", "patient": None, "csv": "yes"},
                 {"month": "2026-11", "patient": None, "csv": False, "hub": "clinic"}):
        request = {"v": 1, "command": "report", "until": time.time() + 30, "args": args}
        assert cli_channel.answer(tray.controller, request) == cli_channel.BACK, args
