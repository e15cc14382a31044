"""start/pause/resume/switch/stop with no tray, on plain statements (quick_timers): the same
answers as the full path, a database the audit and the rollup checks accept, no ORM loaded,
and a fall back to the full path whenever its open has work to do."""

import json
import subprocess
import sys

from tests.fixtures.cli import ok, run_cli
from tests.fixtures.keyring import KEYRING_ENV

SCRIPT = [["start", "--patient", "T1001", "--category", "phone-call", "--note", "BP"],
          ["pause"], ["resume"], ["switch", "--patient", "T1002", "--category", "med-rec"],
          ["stop", "--note", "done"], ["stop"], ["pause"]]

_IN_PROCESS = (
    "import sys, json; import ccm_timer.cli.main as m; out = [];"
    "[out.append(m.main(a)) for a in json.loads(sys.argv[1])];"
    "bad = [n for n in sys.modules if n.split('.')[0] in ('sqlalchemy', 'sqlmodel', "
    "'alembic', 'PySide6')]; print(json.dumps([out, bad]), file=sys.stderr)")


def _plain(home, commands):
    """The commands in one process; (exit codes, ORM modules loaded)."""
    done = subprocess.run([sys.executable, "-c", _IN_PROCESS, json.dumps(commands)],
                          capture_output=True, text=True, timeout=120,
                          env={"CCM_TIMER_HOME": str(home), "PATH": "/usr/bin:/bin",
                               **KEYRING_ENV})
    return json.loads(done.stderr.strip().splitlines()[-1]), done.stdout


def _shape(text):
    """An answer without its instants, ids and seconds (two runs differ only there)."""
    import re
    text = re.sub(r"\[[0-9a-f-]{13}\]", "[id]", text)
    text = re.sub(r"\(\d+:\d\d\)", "(t)", text)
    return re.sub(r"Started at [0-9:]+", "Started at T", text)


def test_plain_path_answers_as_the_full_path_and_loads_no_orm(cli_clinic):
    _build_rollup(cli_clinic)  # a full open: backup taken, files checked, rollup built
    (codes, loaded), plain_out = _plain(cli_clinic, [["start", "--patient", "T1001",
                                                      "--category", "phone-call"]])
    assert codes == [0] and loaded == []  # the plain path did it
    ok(cli_clinic, "stop")
    plain = [run_cli(cli_clinic, *c) for c in SCRIPT]
    # The same script on the full path: a tray-less open forced by a missing marker.
    full = []
    for c in SCRIPT:
        (cli_clinic / "ccm-timer.checked").unlink(missing_ok=True)
        full.append(run_cli(cli_clinic, *c))
    assert [(p.returncode, _shape(p.stdout), p.stderr) for p in plain] == [
        (f.returncode, _shape(f.stdout), f.stderr) for f in full]
    _check_database(cli_clinic)


def _check_database(home):
    """The chain verifies, each entry's last event records what entries.snapshot gives for
    its rows, and the rollup (with patients noted for a recount) matches a full count."""
    import uuid

    from sqlmodel import col, select

    from ccm_timer.services.context import open_app
    from ccm_timer.services.security import audit
    from ccm_timer.services.timing import entries
    from ccm_timer.store import month_rollup
    from ccm_timer.store.models import AuditEvent, TimeEntry

    ctx = open_app(str(home))
    try:
        report = audit.check(ctx)
        assert report.ok, report.problem
        with ctx.read() as session:
            last: dict[str, dict] = {}
            for event in session.exec(select(AuditEvent).order_by(col(AuditEvent.seq))):
                if event.entity == "time_entry" and event.action.startswith("timer."):
                    last[event.entity_id] = json.loads(event.after)
            assert len(last) >= 4
            for after in last.values():
                entry = session.get_one(TimeEntry, uuid.UUID(after["id"]))
                spans = entries.intervals_of(session, [entry.id])[entry.id]
                assert entries.snapshot(entry, spans) == after
        with ctx.write() as session:  # the next ORM commit drains the noted patients
            conn = session.connection()
            month_rollup.drain(conn)
            assert not month_rollup.differences(conn, ctx.zone)
    finally:
        ctx.close()


def _build_rollup(home):
    from ccm_timer.services.context import open_app
    from ccm_timer.store import month_rollup

    ctx = open_app(str(home))
    try:
        with ctx.write() as session:
            month_rollup.ensure(session.connection(), ctx.zone, ctx.now())
    finally:
        ctx.close()


def test_missing_backup_falls_back_and_gets_taken(cli_clinic):
    ok(cli_clinic, "status")
    for backup in (cli_clinic / "backups").glob("daily-*.db"):
        backup.unlink()
    (codes, loaded), _ = _plain(cli_clinic, [["start", "--patient", "T1001",
                                              "--category", "phone-call"]])
    assert codes == [0] and "sqlalchemy" in loaded  # the full path ran
    assert list((cli_clinic / "backups").glob("daily-*.db"))


def test_unchecked_files_fall_back_and_get_checked(cli_clinic):
    ok(cli_clinic, "status")
    (cli_clinic / "ccm-timer.checked").unlink()
    (codes, loaded), _ = _plain(cli_clinic, [["start", "--patient", "T1001",
                                              "--category", "phone-call"]])
    assert codes == [0] and "sqlalchemy" in loaded
    assert (cli_clinic / "ccm-timer.checked").exists()


def test_errors_are_the_full_paths(cli_clinic):
    ok(cli_clinic, "status")
    (codes, loaded), _ = _plain(cli_clinic, [["stop"]])
    assert codes == [1] and "sqlalchemy" in loaded
