"""Delivery-target tokens are kept as the database key is (issue 13, defect 8): a backend
that keeps secrets in a plain file, one that is switched off, or one that accepts a secret
and forgets it is refused with one sentence, nothing is written anywhere, and the command
never claims the token is in the system keyring. Tokens live in keyring's own choice of
backend (PYTHON_KEYRING_BACKEND), the database key where CCM_TIMER_KEYRING_BACKEND says."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import keyring
import pytest
from keyring.backends import null

from ccm_timer.errors import UserError
from ccm_timer.services.delivery import targets
from tests.fixtures.cli import run_cli
from tests.fixtures.clinic import setup_clinic
from tests.fixtures.keyring import FORGETFUL, NULL

TOKEN = "tok-7f3a9c-secret"
PLAINTEXT = "keyrings.alt.file.PlaintextKeyring"


def _needles() -> list[bytes]:
    raw = TOKEN.encode()
    return [raw, base64.b64encode(raw), base64.b64encode(raw).rstrip(b"="),
            base64.urlsafe_b64encode(raw)]


def _files_holding_the_token(*folders: Path) -> list[Path]:
    found = []
    for folder in folders:
        for path in folder.rglob("*") if folder.exists() else ():
            if path.is_file() and any(n in path.read_bytes() for n in _needles()):
                found.append(path)
    return found


@pytest.mark.parametrize(("backend", "why"), [
    (PLAINTEXT, "keeps secrets in a plain file"),
    (NULL, "switched off"),
    (FORGETFUL, "did not keep the token"),
])
def test_a_token_the_keyring_would_not_keep_safely_is_refused(home, tmp_path, backend, why):
    setup_clinic(home)
    xdg = tmp_path / "xdg"  # where keyrings.alt writes its plain file
    done = run_cli(home, "target", "add", "billing", "--kind", "https", "--url",
                   "https://billing.example.org/ccm", input=f"{TOKEN}\n",
                   PYTHON_KEYRING_BACKEND=backend, XDG_DATA_HOME=str(xdg),
                   CCM_TEST_TOKEN_DIR=str(tmp_path / "tokens"))
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert why in done.stderr and "never written to a file" in done.stderr
    assert "Its token is in the system keyring" not in done.stdout
    assert _files_holding_the_token(home, xdg, tmp_path) == []
    listed = run_cli(home, "target", "list", "--json")
    assert json.loads(listed.stdout) == []  # the settings were left as they were


def test_the_tray_path_refuses_too_and_leaves_the_settings(ctx):
    previous = keyring.get_keyring()
    keyring.set_keyring(null.Keyring())
    try:
        with pytest.raises(UserError, match="switched off"):
            targets.add(ctx, "billing", kind="https", url="https://billing.example.org/ccm",
                        secret=TOKEN)
        assert targets.get_secret("billing") is None  # read through the same refusal
    finally:
        keyring.set_keyring(previous)
    assert targets.list_targets(ctx) == []


def test_a_kept_token_is_read_back_from_the_test_keyring(ctx, token_keyring):
    targets.add(ctx, "billing", kind="https", url="https://billing.example.org/ccm",
                secret=TOKEN)
    assert token_keyring.items == {(targets.KEYRING_SERVICE, "billing"): TOKEN}
    assert targets.get_secret("billing") == TOKEN
