"""Calling the real command and checking what a user would see."""

import hashlib
import json
from pathlib import Path

from tests.conftest import run_cli


def ok(home, *args) -> str:
    result = run_cli(home, *args)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return result.stdout


def js(home, *args):
    return json.loads(ok(home, *args, "--json"))


def db_digest(home: Path) -> str:
    # The database and its WAL together are "the database": both must be unchanged.
    return "".join(
        hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(home.glob("ccm-timer.db*")) if p.suffix != "-shm"
    )


def fails(home, *args, match: str, code: int = 1, lines: int = 1) -> None:
    before = db_digest(home)
    result = run_cli(home, *args)
    assert result.returncode == code, (result.stdout, result.stderr)
    assert match in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == lines  # one sentence (per bad row)
    assert db_digest(home) == before
