"""`ccm-timer entry import`: the command's output, its JSON, and its refusal (issue 18)."""

from __future__ import annotations

import json

from tests.fixtures.cli import db_digest, run_cli
from tests.fixtures.clinic import NURSE

GOOD = ("mrn,category,clinician,start,end,note\n"
        f"T1001,phone-call,{NURSE},2026-11-02T09:00,2026-11-02T09:20,called\n"
        f"T1002,care-plan,{NURSE},2026-11-02T09:30-05:00,2026-11-02T09:50-05:00,\n")


def test_a_file_imports_and_says_how_many_in_words_and_json(cli_clinic, tmp_path):
    path = tmp_path / "entries.csv"
    path.write_text(GOOD, encoding="utf-8")
    done = run_cli(cli_clinic, "entry", "import", str(path))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Imported 2 entries."
    assert done.stderr == ""  # no progress bar when standard error is not a terminal
    listed = json.loads(run_cli(cli_clinic, "entry", "list", "--json").stdout)
    assert [(e["patient"], e["source"], e["seconds"]) for e in listed] == [
        ("T1001", "import", 1200), ("T1002", "import", 1200)]
    bad = tmp_path / "bad.csv"
    bad.write_text(GOOD.replace("T1002", "T9999"), encoding="utf-8")
    before = db_digest(cli_clinic)
    done = run_cli(cli_clinic, "entry", "import", "--json", str(bad))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert json.loads(done.stdout) == {"imported": 0, "problems": [
        {"line": 3, "reason": "no patient has MRN 'T9999'; add the patient first"}]}
    assert done.stderr.startswith("ccm-timer: Nothing was imported: 1 row(s) are wrong (line 3: ")
    assert db_digest(cli_clinic) == before
