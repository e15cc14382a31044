"""Each reason the plain timer path (services/timing/quick_timers.py, its guards in
quick_open.py and cli/timing._quick) leaves a command to the full path, shown by what only
the full path does: its sentence, its backup, an import it takes back, a head it keeps.

One data folder is made for the module and copied for each test (the copy keeps the file
times, so the clean-close marker still vouches for it; the chain head kept in the test
keyring is shared by the copies, so each test puts the module's head back first)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.fixtures.cli import ok, run_cli, run_cli_many
from tests.fixtures.clinic import NURSE, PHYSICIAN, cli_commands
from tests.fixtures.keyring import KEYRING_ENV

START = ["start", "--patient", "T1001", "--category", "phone-call"]

_IN_PROCESS = (
    "import sys, json; import ccm_timer.cli.main as m; out = [];"
    "[out.append(m.main(a)) for a in json.loads(sys.argv[1])];"
    "bad = [n for n in sys.modules if n.split('.')[0] in ('sqlalchemy', 'sqlmodel')];"
    "print(json.dumps([out, bad]), file=sys.stderr)")


def plain(home: Path, *argv: str) -> tuple[int, bool, str, str]:
    """`ccm-timer ARGV` in a process that says afterwards whether it loaded the ORM:
    (exit code, the full path ran, stdout, stderr without that last line)."""
    done = subprocess.run([sys.executable, "-c", _IN_PROCESS, json.dumps([list(argv)])],
                          capture_output=True, text=True, timeout=120, input="",
                          env={"CCM_TIMER_HOME": str(home), "PATH": "/usr/bin:/bin",
                               **KEYRING_ENV})
    *said, last = done.stderr.strip().splitlines() or [""]
    (code,), loaded = json.loads(last)
    return code, bool(loaded), done.stdout, "\n".join(said)


def head_file(home: Path) -> Path:
    """The test keyring's file for this database's chain head (chain_anchor._keyring_user)."""
    import base64

    record = json.loads((home / "ccm-timer.keyinfo.json").read_text(encoding="utf-8"))
    name = f"ccm-timer\0chain-head-{record['database_id']}"
    return Path(KEYRING_ENV["CCM_TEST_KEYRING_DIR"]) / base64.urlsafe_b64encode(
        name.encode()).decode()


def kept_head(home: Path) -> dict | None:
    path = head_file(home)
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def newest(home: Path) -> dict:
    (seq, digest), = edit(home, "SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1")
    return {"seq": seq, "hash": digest}


def edit(home: Path, *statements: str) -> list[tuple]:
    """Statements on the database by hand, as another program would; the clean-close
    marker is then renewed, so only what the statements changed can send a command to the
    full path. Returns the last statement's rows."""
    from ccm_timer import paths
    from ccm_timer.services import settings
    from ccm_timer.services.security import clean_close, keys
    from ccm_timer.store.connection import raw_connect

    where = paths.resolve(str(home))
    key = keys.unlock(where, settings.load(where.settings_file), create=False).key
    conn = raw_connect(where.database, key)
    try:
        rows: list[tuple] = []
        for sql in statements:
            rows = conn.execute(sql).fetchall()
        conn.commit()
    finally:
        conn.close()
    clean_close.remember_clean_close(where.database, datetime.now(UTC))
    return rows


def in_app(home: Path, code: str) -> None:
    """`code` in a process of its own with `ctx` = open_app(home), which then ends without
    finishing anything `code` began (as a kill would leave it)."""
    script = ("import sys; from ccm_timer.services.context import open_app;"
              f"ctx = open_app({str(home)!r});\n{code}\nctx.close()")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120, env={**os.environ, **KEYRING_ENV})
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> tuple[Path, bytes]:
    home = tmp_path_factory.mktemp("plain") / "data"
    home.mkdir()
    (home / "settings.toml").write_text(
        'clinic_timezone = "America/New_York"\nworkstation = "ws-test-1"\n', encoding="utf-8")
    run_cli_many(home, cli_commands(mrns=("T1001", "T1002"), born=("T1001",)))
    ok(home, "status")  # a full open: the day's backup, the files checked
    return home, head_file(home).read_bytes()


@pytest.fixture
def home(made, tmp_path) -> Path:
    source, head = made
    folder = tmp_path / "data"
    shutil.copytree(source, folder)
    head_file(folder).write_bytes(head)
    return folder


def test_the_copy_is_ordinary_so_the_plain_path_starts(home):
    # The control for every test below: what they change is the only reason to fall back.
    code, full, out, _ = plain(home, *START)
    assert (code, full) == (0, False) and out.startswith("Started")
    assert kept_head(home) == newest(home)


def test_a_lost_commit_notice_is_said_again(home):
    (home / "ccm-timer.lost-commits").write_text("2026-11-03 15:00 UTC\n2\n", encoding="utf-8")
    code, full, _, err = plain(home, *START)
    assert code == 0 and full and "Committed work may be missing: 2 commit(s)" in err


def test_commits_missing_are_noticed(home):
    from ccm_timer.store import commit_ledger

    (number,), = edit(home, "PRAGMA user_version")
    commit_ledger.write(home / "ccm-timer.db", number + 3)
    code, full, _, err = plain(home, *START)
    assert code == 0 and full and "Committed work may be missing: 3 commit(s)" in err
    assert (home / "ccm-timer.lost-commits").exists()


def test_an_older_schema_is_migrated_first(home):
    # The database as 0012 left it: 0013's triggers and tables gone, its revision back.
    from ccm_timer.store.migrate import SCHEMA_HEAD

    assert SCHEMA_HEAD == "0013"  # else name the newer revision's objects here
    edit(home, *(f"DROP TRIGGER {name}" for name in (
        "month_rollup_interval_insert", "month_rollup_interval_update",
        "month_rollup_entry_insert", "month_rollup_entry_update")),
        "DROP TABLE month_rollup_dirty", "DROP TABLE month_rollup_state",
        "DROP TABLE month_rollup", "UPDATE alembic_version SET version_num = '0012'")
    code, full, out, err = plain(home, *START)
    assert (code, full, err) == (0, True, "")
    assert list((home / "backups").glob("pre-migration-0012-*.db"))
    assert edit(home, "SELECT version_num FROM alembic_version") == [("0013",)]


def test_an_interrupted_roster_import_is_taken_back(home):
    in_app(home, "from ccm_timer.services.people import roster_batches;"
                 f"roster_batches._begin(ctx, 1, {NURSE!r})")
    code, full, _, _ = plain(home, *START)
    assert code == 0 and full
    assert edit(home, "SELECT state FROM roster_import") == [("taken back",)]


def test_an_interrupted_entry_import_is_taken_back(home):
    in_app(home, "from ccm_timer.services.timing import entry_import_batches as b;"
                 f"b._begin(ctx, 1, {NURSE!r})")
    code, full, _, _ = plain(home, *START)
    assert code == 0 and full
    actions = [a for a, in edit(home, "SELECT action FROM audit_event ORDER BY seq")]
    assert actions[-3:-1] == ["entry.import.begin", "entry.import.rollback"]


def _default(home: Path, ref: str) -> None:
    """The default clinician's line of settings.toml, edited in place (it is top-level)."""
    import re

    settings = home / "settings.toml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(re.sub(r'(?m)^default_clinician = ".*"$',
                               f'default_clinician = "{ref}"', text), encoding="utf-8")
    assert f'default_clinician = "{ref}"' in settings.read_text(encoding="utf-8")


def test_an_unknown_default_clinician_gets_the_full_paths_sentence(home):
    import uuid

    _default(home, str(uuid.uuid4()))
    code, full, out, err = plain(home, *START)
    assert (code, full, out) == (1, True, "") and err.startswith("ccm-timer: ")
    assert edit(home, "SELECT count(*) FROM time_entry") == [(0,)]


def test_an_inactive_clinician_is_refused(home):
    edit(home, f"UPDATE clinician SET active = 0 WHERE name = '{NURSE}'")
    code, full, _, err = plain(home, *START)
    assert code == 1 and full and err.strip()
    assert edit(home, "SELECT count(*) FROM time_entry") == [(0,)]


def test_someone_not_allowed_to_time_is_refused(home):
    ok(home, "clinician", "add", "--name", "Pat Office", "--credential", "Office", "--role",
       "office")
    (office,), = edit(home, "SELECT id FROM clinician WHERE name = 'Pat Office'")
    _default(home, str(__import__("uuid").UUID(office)))
    code, full, _, err = plain(home, *START)
    assert code == 1 and full and err.strip()
    assert edit(home, "SELECT count(*) FROM time_entry") == [(0,)]


@pytest.mark.parametrize("argv", [
    ["start", "--patient", "T9999", "--category", "phone-call"],
    ["start", "--patient", "T1001", "--category", "no-such-thing"],
])
def test_an_unknown_patient_or_category_is_refused(home, argv):
    code, full, _, err = plain(home, *argv)
    assert code == 1 and full and err.strip()


@pytest.mark.parametrize("statement", [
    "UPDATE patient SET active = 0 WHERE mrn = 'T1001'",
    "UPDATE category SET active = 0 WHERE slug = 'phone-call'",
])
def test_an_inactive_patient_or_category_is_refused(home, statement):
    edit(home, statement)
    code, full, _, err = plain(home, *START)
    assert code == 1 and full and err.strip()
    assert edit(home, "SELECT count(*) FROM time_entry") == [(0,)]


def test_a_patient_not_enrolled_gets_the_full_paths_warning(home):
    code, full, out, err = plain(home, "start", "--patient", "T1001", "--category",
                                 "rpm-treatment")
    # The entry starts, with the full path's word on why its time counts toward no bill.
    assert (code, full) == (0, True) and out.startswith("Started") and "enroll" in err


def test_another_clinician_named_times_as_them(home):
    # Their password is asked for (run_cli types it); the plain path would time the nurse.
    assert run_cli(home, *START, "--clinician", PHYSICIAN).returncode == 0
    assert edit(home, "SELECT c.name FROM time_entry e JOIN clinician c "
                      "ON c.id = e.clinician_id") == [(PHYSICIAN,)]


def test_another_program_named_counts_there(home):
    code, full, out, err = plain(home, *START, "--program", "RPM")
    assert (code, full) == (0, True) and out.startswith("Started") and "enroll" in err
    assert edit(home, "SELECT program FROM time_entry") == [("RPM",)]


def test_a_second_start_and_a_stop_of_nothing_say_the_full_paths_sentence(home):
    ok(home, *START)
    code, full, _, err = plain(home, *START)
    assert code == 1 and full and err.strip()
    ok(home, "stop")
    code, full, _, err = plain(home, "stop")
    assert code == 1 and full and err.strip()


def test_the_person_signed_in_at_the_tray_times(home):
    (physician,), = edit(home, f"SELECT id FROM clinician WHERE name = '{PHYSICIAN}'")
    (home / "signed-in.json").write_text(json.dumps(
        {"id": str(__import__("uuid").UUID(physician)), "pid": os.getpid()}), encoding="utf-8")
    code, full, _, _ = plain(home, *START)
    assert code == 0 and full
    assert edit(home, "SELECT c.name FROM time_entry e JOIN clinician c "
                      "ON c.id = e.clinician_id") == [(PHYSICIAN,)]


def test_a_chain_with_no_head_kept_outside_stays_without_one(home):
    # audit._may_advance: a chain with a past but no head kept is not given one by a
    # write (only a migration's anchor_if_missing keeps one); the full path agrees.
    head_file(home).unlink()
    code, full, _, _ = plain(home, *START)
    assert (code, full) == (0, True) and kept_head(home) is None
    assert run_cli(home, "stop").returncode == 0 and kept_head(home) is None
