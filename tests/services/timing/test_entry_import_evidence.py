"""Entry import (issue 18, point 3) made fast: a batch's evidence hashes are computed from
the rows in memory, so they must equal what store/hashes.py reads back from the database."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import text

from ccm_timer.core.parse import parse_instant
from ccm_timer.services.security import audit
from ccm_timer.services.timing import entry_import, entry_import_batches
from ccm_timer.store import hashes
from tests.fixtures.clinic import NURSE, PHYSICIAN

ZONE = ZoneInfo("America/New_York")


def test_each_batch_records_the_hashes_of_the_rows_as_stored(clinic, tmp_path: Path):
    start = datetime(2026, 3, 7, 6, 59, 59, 250_000, tzinfo=UTC)  # a fraction, DST the next day
    lines = [f"T1001,phone-call,{NURSE},{(start + timedelta(minutes=30 * i)).isoformat()},"
             f"{(start + timedelta(minutes=30 * i + 7, seconds=i % 3, microseconds=999_999 * (i % 2))).isoformat()},"  # noqa: E501
             f"note {i}, \u00e9\n" for i in range(1_200)]
    lines[5] = f"T1003,rpm-treatment,{PHYSICIAN},2026-03-08T01:30,2026-03-08T03:10,\n"
    lines[6] = f"T1003,rpm-treatment,{PHYSICIAN},2026-03-08T03:10-04:00,2026-03-08T03:11:01.5,\n"
    path = tmp_path / "entries.csv"
    path.write_text("mrn,category,clinician,start,end,note\n" + "".join(lines), encoding="utf-8")
    result = entry_import.import_file(clinic, path, batch_rows=500, actor=PHYSICIAN)
    assert result.imported == 1_200 and result.writes == 3
    with clinic.read() as session:
        conn = session.connection()
        events = conn.execute(text(
            "SELECT evidence FROM audit_event WHERE action = 'entry.import.batch' "
            "ORDER BY seq")).scalars().all()
        recorded = [json.loads(e) for e in events]
        assert [len(r) for r in recorded] == [500, 500, 200]
        for batch in recorded:
            assert batch == hashes.origin_digests(conn, list(batch))
        # The span trigger filled each row as the hash assumed (whole seconds, floored).
        assert conn.execute(text(
            "SELECT count(*), sum(span_seconds) FROM time_entry WHERE source = 'IMPORT'"
        )).one() == (1_200, sum(_seconds(line) for line in lines))
        assert audit.verify(session).ok


def _seconds(line: str) -> int:
    start, end = (parse_instant(c, ZONE) for c in line.split(",")[3:5])
    return (end - start) // timedelta(seconds=1)


def test_the_ids_made_in_one_go_are_distinct_time_ordered_uuid7s():
    ids = entry_import_batches._new_ids(5_000)
    assert len(set(ids)) == 5_000
    parsed = [uuid.UUID(i) for i in ids]
    assert {u.version for u in parsed} == {7} and {u.variant for u in parsed} == {uuid.RFC_4122}
    assert all(len(i) == 32 and i == u.hex for i, u in zip(ids, parsed, strict=True))
    later = entry_import_batches.new_id()  # new_id's own, a moment later: not an earlier time
    assert max(i[:12] for i in ids) <= later.hex[:12]
