"""Smoke test of an installed CCM Timer: run one `ccm-timer` program as a clinic would.

    python packaging/smoke_test.py PROGRAM [--expect-version X.Y.Z] [--keep DIR]

PROGRAM is the command-line program of an install: `VENV/bin/ccm-timer` of an installed
wheel, `dist/ccm-timer/ccm-timer` of the Linux bundle, `dist/ccm-timer/ccm-timer-cli.exe` on
Windows, `dist/CCM Timer.app/Contents/MacOS/ccm-timer` on macOS. It runs from a temporary
folder with a new data folder (--data-dir) whose key comes from CCM_TIMER_PASSPHRASE, so no
keyring and no source checkout is involved: --version, category list, a clinician, two
patients (one named outside the Windows ANSI code page), two ICD-10-CM conditions and a
reviewed care plan, a 25-minute entry, the month report
with 99490, the EHR note and a PDF export, then doctor, the audit trail and, on Linux, the
menu entry (into temporary XDG folders). Every step needs something the install must carry:
the category file, the billing rules, the note templates, the Alembic scripts, Qt for the
PDF, the desktop entry template.

Standard library only, so any Python runs it (the build workflow runs it on Windows and
macOS too); exits 0 when all passed, 1 with the failing step otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MONTH = "2026-11"
PASSPHRASE = "smoke-test-passphrase"  # synthetic; the data folder is thrown away
PASSWORD = "smoke-test-password"  # the synthetic practitioner's
# What a developer's or the test suite's environment may hold that must not reach the
# program: it would pick another data folder, keyring or import path.
SCRUB = ("CCM_TIMER_HOME", "CCM_TIMER_KEYRING_BACKEND", "CCM_TEST_KEYRING_DIR",
         "PYTHONPATH", "PYTHONHOME", "PYTHONSAFEPATH", "VIRTUAL_ENV")


class SmokeFailure(AssertionError):
    pass


class Smoke:
    def __init__(self, program: Path, work: Path) -> None:
        self.program = program
        self.work = work
        self.data = work / "data"
        self.env = {k: v for k, v in os.environ.items() if k not in SCRUB}
        self.env["CCM_TIMER_PASSPHRASE"] = PASSPHRASE
        self.steps = 0

    def run(self, *args: str, data: bool = True, typed: str = "", exits: int = 0) -> str:
        """`typed`: what a person types when asked (a password), as standard input;
        `exits`: the exit status the step must end with."""
        argv = [str(self.program), *(["--data-dir", str(self.data)] if data else []), *args]
        began = time.monotonic()
        done = subprocess.run(argv, cwd=self.work, env=self.env, capture_output=True,
                              text=True, encoding="utf-8", errors="replace", timeout=180,
                              input=typed)
        took = time.monotonic() - began
        shown = " ".join(args)
        if done.returncode != exits:
            raise SmokeFailure(f"`ccm-timer {shown}` exited {done.returncode}:\n"
                               f"{done.stderr.strip() or done.stdout.strip()}")
        self.steps += 1
        print(f"ok  {took:5.2f} s  ccm-timer {shown}")
        return done.stdout


def check(condition: bool, what: str) -> None:
    if not condition:
        raise SmokeFailure(what)


def dead_port() -> int:
    """A loopback port nothing listens on (bound for a moment, then let go)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def smoke(program: Path, work: Path, expect_version: str | None) -> int:
    s = Smoke(program, work)

    version = s.run("--version", data=False).strip()
    check(re.fullmatch(r"ccm-timer \d+\.\d+\.\d+\S*", version) is not None,
          f"--version said {version!r}")
    if expect_version:
        check(version == f"ccm-timer {expect_version}",
              f"--version said {version!r}, expected {expect_version}")
    check(not s.data.exists(), "--version made a data folder")

    categories = json.loads(s.run("--json", "category", "list"))  # resources/categories.toml
    slugs = {c["slug"] for c in categories}
    check({"phone-call", "care-plan"} <= slugs, f"categories: {sorted(slugs)}")

    s.run("clinician", "add", "--name", "Avery Nurse", "--credential", "RN",
          "--role", "clinical_staff", "--default")
    # argon2-cffi's compiled bindings: a password is hashed, then checked by an attestation.
    s.run("clinician", "add", "--name", "Dr Blake Test", "--credential", "MD",
          "--role", "practitioner", "--npi", "1234567893")
    s.run("clinician", "set-password", "Dr Blake Test", typed=f"{PASSWORD}\n")
    s.run("patient", "add", "--mrn", "T1001", "--name", "Testpatient, Alma",
          "--program", "CCM", "--consent", "2026-01-05", "--method", "verbal",
          "--by", "Avery Nurse", "--disclosures", "cost-sharing,one-practitioner,right-to-stop")
    # The ICD-10-CM code set (a package's data files) and the chronic-condition list.
    s.run("patient", "condition", "add", "--mrn", "T1001", "--icd10", "E11.9",
          "--since", "2019-04-01")
    # A condition without a since-date counts from the day it is recorded, after November.
    s.run("patient", "condition", "add", "--mrn", "T1001", "--icd10", "I10",
          "--since", "2015-06-01")
    listed = json.loads(s.run("--json", "patient", "condition", "list", "--mrn", "T1001"))
    check([(c["code"], c["chronic"]) for c in listed] == [("E11.9", True), ("I10", True)],
          f"conditions: {listed}")
    s.run("careplan", "add", "--mrn", "T1001", "--kind", "problem", "--text",
          "Type 2 diabetes", "--condition", "E11.9")
    s.run("careplan", "review", "--mrn", "T1001")
    # A name outside the ANSI code page: printing it must work through a pipe on Windows too.
    s.run("patient", "add", "--mrn", "T1002", "--name", "Testpatient, Ngọc Ánh",
          "--program", "CCM")
    listed = s.run("patient", "list")
    check("Testpatient, Ngọc Ánh" in listed, f"patient list:\n{listed}")
    s.run("entry", "add", "--patient", "T1001", "--category", "phone-call",
          "--start", f"{MONTH}-03T10:00", "--end", f"{MONTH}-03T10:25")

    table = s.run("report", "--month", MONTH)  # resources/billing_rules/2026.toml
    check("99490" in table and "T1001" in table, f"report:\n{table}")
    report = json.loads(s.run("--json", "report", "--month", MONTH))
    patient = next(p for p in report["patients"] if p["mrn"] == "T1001")
    codes = [line["code"] for line in patient["lines"] if not line["held"]]
    check(codes == ["99490"], f"report codes for 25 minutes of CCM: {patient['lines']}")

    note_file = work / "note.txt"  # resources/templates/month-summary.txt
    s.run("export", "--month", MONTH, "--format", "ehr-text", "--out", str(note_file))
    note = note_file.read_text(encoding="utf-8")
    check("Total time this month: 25 min" in note and "99490" in note and "E11.9" in note,
          f"note:\n{note}")

    pdf = work / "month.pdf"  # drawn by Qt, offscreen
    s.run("export", "--month", MONTH, "--format", "pdf", "--draft", "--out", str(pdf))
    head = pdf.read_bytes()[:5] if pdf.exists() else b""
    check(head == b"%PDF-" and pdf.stat().st_size > 1000, f"PDF export: {head!r}")

    # Attested: the practitioner's password, typed, approves the month and exports it.
    s.run("approve", "--month", MONTH, "--as", "Dr Blake Test", typed=f"{PASSWORD}\n")
    csv_file = work / "month.csv"
    # Queued for an HTTPS target nobody listens on: `sync` loads httpx and truststore (the OS
    # trust store) to try it, and the export stays queued with a plain reason.
    s.run("target", "add", "billing", "--kind", "https", "--no-token",
          "--url", f"https://127.0.0.1:{dead_port()}/exports")
    s.run("export", "--month", MONTH, "--format", "csv", "--as", "Dr Blake Test",
          "--out", str(csv_file), "--send", "billing", typed=f"{PASSWORD}\n")
    check("99490" in csv_file.read_text(encoding="utf-8"), "CSV export")
    tried = s.run("sync", "--once", exits=1)  # 1: something is still waiting
    check("1 export waiting" in tried and "no connection" in tried, f"sync --once:\n{tried}")

    doctor = json.loads(s.run("--json", "doctor"))  # the schema came from the Alembic scripts
    check(doctor["integrity"]["quick_check"] == "ok", f"doctor: {doctor['integrity']}")
    check(doctor["encryption"]["encrypted"] is True, f"doctor: {doctor['encryption']}")
    check("intact" in s.run("audit", "verify"), "audit verify")

    if sys.platform.startswith("linux"):  # the menu entry, into a throwaway data home
        share = work / "share"
        s.env.update(XDG_DATA_HOME=str(share), XDG_CONFIG_HOME=str(work / "config"))
        installed = json.loads(s.run("--json", "install-desktop-entry"))
        entry = Path(installed["entry"]).read_text(encoding="utf-8")
        (exec_line,) = [line for line in entry.splitlines() if line.startswith("Exec=")]
        # The bundle's program itself, or the installed Python with -m ccm_timer.
        argv = shlex.split(exec_line[len("Exec="):].replace("\\\\", "\\"))
        check(Path(installed["entry"]).parent == share / "applications"
              and Path(argv[0]).is_file() and argv[-2:] == ["--data-dir", str(s.data)],
              f"menu entry:\n{entry}")
        check(Path(installed["icon"]).read_bytes().startswith(b"<svg"), "menu icon")
        s.run("install-desktop-entry", "--remove")
        check(not Path(installed["entry"]).exists(), "the menu entry was not removed")

    print(f"smoke test passed: {s.steps} commands of {program}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("program", type=Path, help="the ccm-timer program to test")
    parser.add_argument("--expect-version", help="the version --version must print")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args(argv)
    program = args.program.resolve()
    if not (program.is_file() and os.access(program, os.X_OK)):
        print(f"smoke test: {program} is not an executable file", file=sys.stderr)
        return 1
    if args.keep:
        work = args.keep.resolve()
        work.mkdir(parents=True, exist_ok=True)
    else:
        work = Path(tempfile.mkdtemp(prefix="ccm-smoke-"))
    try:
        return smoke(program, work, args.expect_version)
    except (SmokeFailure, KeyError, ValueError, StopIteration, subprocess.TimeoutExpired) as exc:
        print(f"smoke test FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
