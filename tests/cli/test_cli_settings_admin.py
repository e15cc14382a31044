"""Targets and bundle trust from the command line are an administrator's once the clinic has
one (issue 16): `--as NAME` with their password on standard input (a hidden prompt on a
terminal); without it, or with a wrong one, one sentence, exit 1 and nothing changed: not
the settings file, not the database, not the keyring. Real `ccm-timer` subprocesses."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest
from sqlmodel import col, select

from ccm_timer.services.context import open_app
from ccm_timer.store.models import AuditEvent
from tests.fixtures.cli import db_digest, run_cli
from tests.fixtures.clinic import ADMIN, NURSE, PASSWORD

WRONG = "That is not Robin Admin's password; nothing was changed."
URL = "https://billing.example.org/ccm"
TOKEN = "tok-synthetic-42"
pytestmark = pytest.mark.usefixtures("token_keyring")



def _state(home: Path, keyring) -> tuple:
    return (db_digest(home), (home / "settings.toml").read_bytes(), dict(keyring.items))


def _refused(done: subprocess.CompletedProcess, words: str) -> None:
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert words in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    for secret in (PASSWORD, TOKEN):
        assert secret not in done.stdout + done.stderr


def _actors(home: Path, prefix: str) -> list[tuple[str, str]]:
    ctx = open_app(str(home))
    try:
        with ctx.read() as s:
            return [(e.action, e.actor) for e in s.exec(
                select(AuditEvent).order_by(col(AuditEvent.seq))) if e.action.startswith(prefix)]
    finally:
        ctx.close()


def test_target_add_needs_the_administrator_s_password(cli_admin_clinic, token_keyring) -> None:
    home = cli_admin_clinic
    before = _state(home, token_keyring)
    add = ("target", "add", "billing", "--kind", "https", "--url", URL)
    _refused(run_cli(home, *add, input=f"{TOKEN}\n"),
             "Only an administrator may change targets and settings: pass --as")
    _refused(run_cli(home, *add, "--as", ADMIN, input=f"not-the-password\n{TOKEN}\n"),
             WRONG)
    _refused(run_cli(home, *add, "--as", NURSE, input=f"{PASSWORD}\n{TOKEN}\n"),
             "only administrators may")
    # The wrong password is on the admin's record (the wait after it); nothing else changed.
    assert _state(home, token_keyring)[1:] == before[1:]
    assert _actors(home, "target.") == []
    done = run_cli(home, *add, "--as", ADMIN, "--json", input=f"{PASSWORD}\n{TOKEN}\n")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"name": "billing", "kind": "https", "url": URL,
                                       "secret_in_keyring": True}
    assert token_keyring.items == {("ccm-timer-target", "billing"): TOKEN}
    assert TOKEN not in (home / "settings.toml").read_text() + done.stdout + done.stderr
    assert _actors(home, "target.") == [("target.add", ADMIN)]


def test_target_remove_needs_the_administrator_too(cli_admin_clinic, token_keyring) -> None:
    home = cli_admin_clinic
    done = run_cli(home, "target", "add", "billing", "--kind", "https", "--url", URL,
                   "--as", ADMIN, input=f"{PASSWORD}\n{TOKEN}\n")
    assert done.returncode == 0, done.stderr
    before = _state(home, token_keyring)
    _refused(run_cli(home, "target", "remove", "billing"), "pass --as")
    _refused(run_cli(home, "target", "remove", "billing", "--as", ADMIN,
                     input="not-the-password\n"), WRONG)
    assert _state(home, token_keyring)[1:] == before[1:]
    time.sleep(1.05)  # the wait after one wrong password
    done = run_cli(home, "target", "remove", "billing", "--as", ADMIN, input=f"{PASSWORD}\n")
    assert done.returncode == 0, done.stderr
    assert token_keyring.items == {}
    assert _actors(home, "target.") == [("target.add", ADMIN), ("target.remove", ADMIN)]


def _kinds(home: Path) -> list[str]:
    done = run_cli(home, "workstation", "list", "--json")
    assert done.returncode == 0, done.stderr
    return [k["kind"] for k in json.loads(done.stdout)]


def test_trust_and_the_clinic_key_need_the_administrator(cli_admin_clinic, tmp_path) -> None:
    home = cli_admin_clinic
    other = tmp_path / "other"
    other.mkdir()
    (other / "settings.toml").write_text(
        'clinic_timezone = "America/New_York"\nworkstation = "ws-test-2"\n', encoding="utf-8")
    sender = run_cli(other, "workstation", "key", "--json")
    assert sender.returncode == 0, sender.stderr
    public = json.loads(sender.stdout)["public"]
    run_cli(home, "workstation", "key")  # this workstation's own key, made on first use
    for command in (["workstation", "trust", "ws-test-2", public], ["clinic", "key", "init"]):
        _refused(run_cli(home, *command), "Only an administrator may change targets and "
                 "settings")
    _refused(run_cli(home, "workstation", "trust", "ws-test-2", public, "--as", ADMIN,
                     input="not-the-password\n"), WRONG)
    time.sleep(1.05)  # the wait after one wrong password
    assert _kinds(home) == ["workstation"]  # no sender trusted, no clinic key
    for command in (["workstation", "trust", "ws-test-2", public], ["clinic", "key", "init"]):
        done = run_cli(home, *command, "--as", ADMIN, input=f"{PASSWORD}\n")
        assert done.returncode == 0, done.stderr
    assert _kinds(home) == ["workstation", "trusted", "clinic"]
    _refused(run_cli(home, "workstation", "untrust", "ws-test-2"), "pass --as")
    done = run_cli(home, "workstation", "untrust", "ws-test-2", "--as", ADMIN,
                   input=f"{PASSWORD}\n")
    assert done.returncode == 0, done.stderr
    assert _kinds(home) == ["workstation", "clinic"]
    assert _actors(home, "bundle_key.") == [
        ("bundle_key.create", "system"), ("bundle_key.trust", ADMIN),
        ("bundle_key.create", ADMIN), ("bundle_key.untrust", ADMIN)]


def test_while_the_clinic_is_set_up_no_password_is_asked(cli_clinic, token_keyring) -> None:
    done = run_cli(cli_clinic, "target", "add", "billing", "--kind", "https", "--url", URL,
                   input=f"{TOKEN}\n")
    assert done.returncode == 0, done.stderr
    assert token_keyring.items == {("ccm-timer-target", "billing"): TOKEN}
    assert _actors(cli_clinic, "target.") == [("target.add", "setup")]
