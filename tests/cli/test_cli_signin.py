"""Sign-in from the command line (issue 16, points 1, 2, 5 and 7): `clinician set-password`
(one line from standard input, twice at a terminal), `reset-password` and `grant` with
`--as`, office people and duties, the sign-in column of `clinician list`; and the timing
commands, which run as the tray's signed-in person or the default clinician and never ask
for a password, except to time as somebody else. No password in any argument or output."""

from __future__ import annotations

import json
import os
import pty
import select as selectors
import subprocess
import sys
import time
from pathlib import Path

from ccm_timer.services.people.access import SIGNED_IN
from tests.fixtures.cli import _env, db_digest, fails, js, ok, run_cli
from tests.fixtures.clinic import ADMIN, NURSE, PASSWORD, PHYSICIAN
from tests.fixtures.keyring import FOLDER

BILLER = "Sam Biller"
NEW = "Brand-new-pass-9"


def _one_sentence(result: subprocess.CompletedProcess, words: str) -> None:
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert words in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def _no_secret(result: subprocess.CompletedProcess, *secrets: str) -> None:
    for secret in (PASSWORD, NEW, *secrets):
        assert secret not in result.stdout and secret not in result.stderr



def _people(home: Path) -> dict[str, dict]:
    return {p["name"]: p for p in js(home, "clinician", "list")}


# --- passwords ------------------------------------------------------------------------------

def test_set_password_reads_one_line_and_a_change_needs_the_current(cli_clinic) -> None:
    home = cli_clinic
    done = run_cli(home, "clinician", "add", "--name", "Casey Aide", "--credential", "MA",
                   "--role", "clinical_staff")
    assert done.returncode == 0, done.stderr
    assert _people(home)["Casey Aide"]["sign_in"] == {
        "password_set": False, "failures_in_a_row": 0, "locked_until": None}
    done = run_cli(home, "clinician", "set-password", "Casey Aide", input=NEW + "\n")
    assert done.returncode == 0, done.stderr
    assert "Casey Aide's password is set" in done.stdout
    _no_secret(done)
    assert _people(home)["Casey Aide"]["sign_in"]["password_set"] is True
    # A change: the current one first, then the new one, a line each.
    before = db_digest(home)
    _one_sentence(run_cli(home, "clinician", "set-password", "Casey Aide",
                          input="Not-the-current-1\nAnother-one-22\n"),
                  "That is not Casey Aide's password; nothing was changed.")
    assert _people(home)["Casey Aide"]["sign_in"]["failures_in_a_row"] == 1
    assert db_digest(home) != before  # the wrong try is counted (and audited), only that
    _one_sentence(run_cli(home, "clinician", "set-password", "Casey Aide", input=""),
                  "No password was given")
    _one_sentence(run_cli(home, "clinician", "set-password", "Casey Aide",
                          input=f"{NEW}\nshort\n"), "must be at least 8 characters")


def test_a_refused_first_password_changes_nothing(cli_clinic) -> None:
    ok(cli_clinic, "clinician", "add", "--name", "Casey Aide", "--credential", "MA",
       "--role", "clinical_staff")
    before = db_digest(cli_clinic)
    for typed, words in (("aaaaaaaaaaa\n", "one repeated character"),
                         ("Casey Aide\n", "part of the person's name"),
                         ("tiny\n", "at least 8 characters")):
        done = run_cli(cli_clinic, "clinician", "set-password", "Casey Aide", input=typed)
        _one_sentence(done, words)
        assert typed.strip() not in done.stderr
    assert db_digest(cli_clinic) == before


def _pty_run(home: Path, args: list[str], answers: list[str]) -> tuple[int, str]:
    """`ccm-timer ARGS` at a terminal of its own (its controlling one): each answer is typed
    when the next prompt ending in ': ' shows. Returns the exit code and everything shown."""
    master, slave = pty.openpty()

    def controlling() -> None:
        os.setsid()
        import fcntl
        import termios

        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    proc = subprocess.Popen([sys.executable, "-m", "ccm_timer", *args], stdin=slave,
                            stdout=slave, stderr=slave, env=_env(home, FOLDER, {}),
                            preexec_fn=controlling)
    os.close(slave)
    shown, pending, deadline = b"", list(answers), time.monotonic() + 60
    answered = 0  # how much of `shown` had been seen when the last answer was typed
    while time.monotonic() < deadline:
        ready, _, _ = selectors.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the terminal closed: the command is done
                break
            if not chunk:
                break
            shown += chunk
            if pending and shown.endswith(b": ") and len(shown) > answered:
                os.write(master, pending.pop(0).encode() + b"\n")
                answered = len(shown)
        elif proc.poll() is not None:
            break
    os.close(master)
    return proc.wait(timeout=30), shown.decode(errors="replace")


def test_at_a_terminal_the_new_password_is_asked_twice_and_never_shown(cli_clinic) -> None:
    ok(cli_clinic, "clinician", "add", "--name", "Casey Aide", "--credential", "MA",
       "--role", "clinical_staff")
    before = db_digest(cli_clinic)
    code, shown = _pty_run(cli_clinic, ["clinician", "set-password", "Casey Aide"],
                           [NEW, "Different-pass-3"])
    assert code == 1 and "The two passwords differ; nothing was changed." in shown, shown
    assert "Type it again: " in shown and NEW not in shown  # no echo
    assert db_digest(cli_clinic) == before
    code, shown = _pty_run(cli_clinic, ["clinician", "set-password", "Casey Aide"],
                           [NEW, NEW])
    assert code == 0 and "Casey Aide's password is set" in shown, shown
    assert shown.count("password for Casey Aide: ") == 1 and NEW not in shown
    assert _people(cli_clinic)["Casey Aide"]["sign_in"]["password_set"] is True


def test_a_password_is_never_an_argument(cli_clinic) -> None:
    done = run_cli(cli_clinic, "clinician", "set-password", NURSE, "--password", NEW)
    assert done.returncode == 2 and "--password" in done.stderr
    # While a command waits for the password, `ps` shows its arguments: never the secret.
    proc = subprocess.Popen([sys.executable, "-m", "ccm_timer", "clinician", "set-password",
                             NURSE], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            env=_env(cli_clinic, FOLDER, {}))
    try:
        time.sleep(1.5)
        listed = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True,
                                check=True).stdout
        assert "set-password" in listed
        out, err = proc.communicate(f"{PASSWORD}\n{NEW}\n", timeout=60)
    finally:
        proc.kill() if proc.poll() is None else None
    assert proc.returncode == 0, err
    assert PASSWORD not in listed and NEW not in listed
    assert PASSWORD not in out + err and NEW not in out + err
    assert js(cli_clinic, "clinician", "list")  # still readable, the new password set


# --- administrators -------------------------------------------------------------------------

def test_reset_password_needs_an_administrator_once_there_is_one(cli_admin_clinic) -> None:
    home = cli_admin_clinic
    fails(home, "clinician", "reset-password", NURSE,
          match="Only an administrator may manage people and credentials: pass --as")
    # The nurse's own right password does not make her an administrator.
    _one_sentence(run_cli(home, "clinician", "reset-password", PHYSICIAN, "--as", NURSE),
                  "Avery Nurse (clinical staff) may not manage people and credentials")
    wrong = run_cli(home, "clinician", "reset-password", NURSE, "--as", ADMIN,
                    input="Wrong-admin-pass\n")
    _one_sentence(wrong, "That is not Robin Admin's password; nothing was changed.")
    assert _people(home)[NURSE]["sign_in"]["password_set"] is True
    time.sleep(1.05)  # the wait after one wrong password
    done = run_cli(home, "clinician", "reset-password", NURSE, "--as", ADMIN)
    assert done.returncode == 0, done.stderr
    assert "Avery Nurse's password and sign-in lock are cleared" in done.stdout
    _no_secret(done)
    assert _people(home)[NURSE]["sign_in"]["password_set"] is False
    # The nurse still times (no password asked, none given), but signs nothing.
    ok(home, "start", "--patient", "T1001", "--category", "phone-call")
    done = run_cli(home, "stop", input="")
    assert done.returncode == 0, done.stderr


def test_grant_and_revoke_duties_with_the_administrator_s_password(cli_admin_clinic) -> None:
    home = cli_admin_clinic
    assert _people(home)[ADMIN]["duties"] == ["admin"]
    fails(home, "clinician", "grant", NURSE, "--duty", "billing",
          match="Only an administrator may")
    done = run_cli(home, "clinician", "grant", PHYSICIAN, "--duty", "billing", "--as", ADMIN,
                   "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"name": PHYSICIAN, "duties": ["billing",
                                                                     "practitioner"]}
    assert _people(home)[PHYSICIAN]["duties"] == ["billing"]
    done = run_cli(home, "clinician", "grant", PHYSICIAN, "--duty", "billing", "--revoke",
                   "--as", ADMIN)
    assert done.returncode == 0 and "now holds: practitioner" in done.stdout, done.stderr
    _one_sentence(run_cli(home, "clinician", "grant", ADMIN, "--duty", "admin", "--revoke",
                          "--as", ADMIN), "Robin Admin is the clinic's only administrator")
    assert _people(home)[ADMIN]["duties"] == ["admin"]
    fails(home, "clinician", "grant", NURSE, "--duty", "practitioner", "--as", ADMIN,
          match="invalid choice", code=2)
    # Who the workstation times as is a setting: otherwise anyone could time as anyone.
    fails(home, "clinician", "default", PHYSICIAN,
          match="Only an administrator may change targets and settings")
    done = run_cli(home, "clinician", "default", PHYSICIAN, "--as", ADMIN)
    assert done.returncode == 0 and "Dr Blake Test is now the default" in done.stdout


def test_an_office_person_with_the_billing_duty_is_listed_and_cannot_time(cli_admin_clinic) -> None:
    home = cli_admin_clinic
    fails(home, "clinician", "add", "--name", BILLER, "--credential", "CPC", "--role",
          "office", "--duty", "billing", match="Only an administrator may")
    done = run_cli(home, "clinician", "add", "--name", BILLER, "--credential", "CPC",
                   "--role", "office", "--duty", "billing", "--as", ADMIN, "--json")
    assert done.returncode == 0, done.stderr
    added = json.loads(done.stdout)
    assert (added["role"], added["duties"], added["default"]) == ("office", ["billing"], False)
    # Her first password: chosen by her with the administrator present (theirs typed first).
    fails(home, "clinician", "set-password", BILLER, match="an administrator gives theirs "
          "while Sam Biller chooses one")
    ok(home, "clinician", "set-password", BILLER, "--as", ADMIN)
    listing = ok(home, "clinician", "list").splitlines()
    header = listing[0].split()
    assert header == ["NAME", "CREDENTIAL", "ROLE", "DUTIES", "NPI", "DEFAULT",
                      "INCIDENT-TO", "SIGN-IN"]
    [row] = [line for line in listing if line.startswith(BILLER)]
    assert "office" in row and "billing" in row and row.endswith("password set")
    people = _people(home)
    assert people[BILLER]["sign_in"] == {"password_set": True, "failures_in_a_row": 0,
                                         "locked_until": None}
    fails(home, "start", "--patient", "T1001", "--category", "phone-call", "--clinician",
          BILLER, match="Sam Biller has no clinical role and cannot time care-management "
                        "work")


def test_a_wrong_try_is_counted_and_one_too_soon_is_not(cli_admin_clinic) -> None:
    home = cli_admin_clinic
    first = run_cli(home, "clinician", "reset-password", NURSE, "--as", ADMIN,
                    input="Bad-one-1\n")
    _one_sentence(first, "That is not Robin Admin's password")
    again = run_cli(home, "clinician", "reset-password", NURSE, "--as", ADMIN)
    if again.returncode:  # within the second the first one's wait lasts: refused unchecked
        _one_sentence(again, "before trying Robin Admin's password again")
    assert _people(home)[ADMIN]["sign_in"]["failures_in_a_row"] == (1 if again.returncode
                                                                     else 0)
    row = [line for line in ok(home, "clinician", "list").splitlines()
           if line.startswith(ADMIN)][0]
    assert row.endswith("password set")


# --- timing: no password --------------------------------------------------------------------

def _signed_in_at_tray(home: Path, name: str, pid: int) -> None:
    person = _people(home)[name]["id"]
    (home / SIGNED_IN).write_text(json.dumps({"id": person, "pid": pid}), encoding="utf-8")


def test_timing_never_asks_the_person_timing_here(cli_clinic) -> None:
    home = cli_clinic
    # No standard input at all: a prompt would fail the command.
    for args in (["start", "--patient", "T1001", "--category", "phone-call"], ["pause"],
                 ["resume"], ["stop"], ["start", "--patient", "T1001", "--category",
                                        "phone-call", "--clinician", NURSE],
                 ["switch", "--patient", "T1002", "--category", "phone-call"], ["stop"]):
        done = run_cli(home, *args, input="")
        assert done.returncode == 0, (args, done.stderr)
        assert "Password" not in done.stdout + done.stderr
    assert {e["clinician"] for e in js(home, "entry", "list")} == {NURSE}


def test_timing_runs_as_the_tray_s_signed_in_person(cli_clinic) -> None:
    home = cli_clinic
    _signed_in_at_tray(home, PHYSICIAN, os.getpid())  # this test process plays the tray
    done = run_cli(home, "start", "--patient", "T1001", "--category", "care-plan", input="")
    assert done.returncode == 0, done.stderr
    assert js(home, "status")["clinician"] == PHYSICIAN
    assert "Running" in ok(home, "status")  # not the quick path's default clinician
    done = run_cli(home, "stop", input="")
    assert done.returncode == 0, done.stderr
    [entry] = js(home, "entry", "list")
    assert entry["clinician"] == PHYSICIAN
    # A tray that died leaves its file: the default clinician times again.
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    _signed_in_at_tray(home, PHYSICIAN, int(dead.stdout))
    done = run_cli(home, "start", "--patient", "T1001", "--category", "phone-call", input="")
    assert done.returncode == 0, done.stderr
    assert js(home, "status")["clinician"] == NURSE


def test_timing_as_someone_else_needs_their_password(cli_clinic) -> None:
    home = cli_clinic
    args = ("start", "--patient", "T1001", "--category", "care-plan", "--clinician", PHYSICIAN)
    _one_sentence(run_cli(home, *args, input=""), "No password was given")
    done = run_cli(home, *args, input="Not-his-pass-1\n")
    _one_sentence(done, "That is not Dr Blake Test's password; nothing was changed.")
    assert js(home, "entry", "list") == []
    time.sleep(1.05)  # the wait after one wrong password
    done = run_cli(home, *args)  # his password, typed when asked
    assert done.returncode == 0, done.stderr
    _no_secret(done)
    # At a tray where the physician is signed in, the nurse is the someone else.
    _signed_in_at_tray(home, PHYSICIAN, os.getpid())
    done = run_cli(home, "stop", input="")
    assert done.returncode == 0, done.stderr
    _one_sentence(run_cli(home, "start", "--patient", "T1001", "--category", "phone-call",
                          "--clinician", NURSE, input=""), "No password was given")
    [entry] = js(home, "entry", "list")
    assert entry["clinician"] == PHYSICIAN
