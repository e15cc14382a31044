"""Two processes write 500 times each while a reader holds a long read transaction."""

import subprocess
import sys
import time
from pathlib import Path

from ccm_timer.services.security import audit
from ccm_timer.services.timing import entries
from ccm_timer.store.connection import raw_connect

ROOT = Path(__file__).resolve().parents[2]
WRITES = 500


def test_two_writers_and_a_long_reader_lose_nothing(clinic, home: Path):
    clinic.close()
    reader = raw_connect(home / "ccm-timer.db", clinic.engine.ccm_key)  # the database's key
    reader.execute("BEGIN")
    before = reader.execute("SELECT count(*) FROM time_entry").fetchone()[0]
    writers = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.store.writer", str(home), name, str(WRITES), str(n)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for n, name in enumerate(("Avery Nurse", "Dr Blake Test"))
    ]
    time.sleep(1.0)
    # The reader's snapshot does not move while the writers work, and does not block them.
    assert reader.execute("SELECT count(*) FROM time_entry").fetchone()[0] == before
    results = [w.communicate(timeout=240) for w in writers]
    reader.execute("COMMIT")
    reader.close()
    for w, (out, err) in zip(writers, results, strict=True):
        assert w.returncode == 0, (out, err)
        assert "locked" not in (out + err).lower()

    from ccm_timer.services.context import open_app

    ctx = open_app(str(home))
    try:
        notes = {v.note for v in entries.list_entries(ctx)}
        assert notes == {f"w{n}-{i}" for n in (0, 1) for i in range(WRITES)}
        with ctx.read() as session:
            chain = audit.verify(session)
        assert chain.ok
        assert chain.events >= 2 * WRITES
    finally:
        ctx.close()
