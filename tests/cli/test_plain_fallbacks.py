"""Each reason the plain timer path (services/timing/quick_timers.py, its guards in
quick_open.py and cli/timing._quick) leaves a command to the full path, shown by what only
the full path does: its sentence, its backup, an import it takes back, the person it times.
Each test changes one thing in a copy of an ordinary folder (tests/fixtures/plain_timers.py),
where the plain path otherwise starts (the first test)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.fixtures.cli import ok, run_cli
from tests.fixtures.clinic import NURSE, PHYSICIAN
from tests.fixtures.plain_timers import (
    START,
    copy,
    edit,
    head_file,
    in_app,
    kept_head,
    make,
    newest,
    plain,
)


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    return make(tmp_path_factory)


@pytest.fixture
def home(made, tmp_path) -> Path:
    return copy(made, tmp_path)


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
    # The database as 0014 left it: 0015's change log, its triggers and cursors gone, 0016's
    # month overlaps and 0017's index gone, its revision back.
    from ccm_timer.store.local_tables import LOGGED
    from ccm_timer.store.migrate import SCHEMA_HEAD

    assert SCHEMA_HEAD == "0017"  # else name the newer revision's objects here
    edit(home, *(f"DROP TRIGGER sync_change_{name}_{event}" for name in LOGGED
                 for event in ("insert", "update")),
         "DROP TABLE sync_change", "DROP TABLE hub_cursor", "DROP TABLE hub_live_timer",
         "DROP TABLE month_overlap", "DROP INDEX ix_time_entry_supersedes",
         "UPDATE alembic_version SET version_num = '0014'")
    code, full, out, err = plain(home, *START)
    assert (code, full, err) == (0, True, "")
    assert list((home / "backups").glob("pre-migration-0014-*.db"))
    assert edit(home, "SELECT version_num FROM alembic_version") == [("0017",)]


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


def test_a_month_rollup_not_yet_built_is_built_first(home):
    # A database upgraded to 0013 has the rollup's tables but no rollup until an open builds
    # it; the plain path's writes would leave it unbuilt, and the report slow, for good.
    edit(home, "DELETE FROM month_rollup", "DELETE FROM month_rollup_state")
    code, full, _, _ = plain(home, *START)
    assert code == 0 and full
    (zone,), = edit(home, "SELECT zone FROM month_rollup_state")
    settings = (home / "settings.toml").read_text(encoding="utf-8")
    assert f'clinic_timezone = "{zone}"' in settings


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
