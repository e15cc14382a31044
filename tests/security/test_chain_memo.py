"""The audit chain's head kept outside is remembered by the session that last read or wrote
it (chain_anchor.Memo): read once for many writes, read again after another process's
commit, and a chain cut short behind the session's back still never moves it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ccm_timer.services.context import AppContext
from ccm_timer.services.security import audit, chain_anchor
from ccm_timer.services.security.secret_store import ENV_BACKEND
from ccm_timer.services.timing import timers
from ccm_timer.store.connection import raw_connect
from tests.fixtures.cli import ok
from tests.fixtures.counting_keyring import COUNTING, CountingKeyring


@pytest.fixture
def counted(clinic: AppContext, monkeypatch: pytest.MonkeyPatch) -> AppContext:
    monkeypatch.setenv(ENV_BACKEND, COUNTING)  # the same folder, read through a counter
    CountingKeyring.clear()
    return clinic


def _kept(ctx: AppContext) -> chain_anchor.Head | None:
    return chain_anchor.read(ctx.paths, ctx.protection)


def _newest(ctx: AppContext) -> chain_anchor.Head | None:
    with ctx.engine.connect() as conn:
        return chain_anchor.head_of(conn.exec_driver_sql(chain_anchor.NEWEST).first())


def _timers(ctx: AppContext, times: int) -> None:
    for _ in range(times):
        timers.start(ctx, patient_mrn="T1001", category_slug="phone-call")
        ctx.clock.advance(timedelta(minutes=3))
        timers.stop(ctx)
        ctx.clock.advance(timedelta(minutes=1))


def test_the_head_is_read_once_for_many_writes_in_a_session(counted: AppContext):
    _timers(counted, 5)
    assert CountingKeyring.lookups() <= 1  # the first write may read it
    CountingKeyring.clear()
    _timers(counted, 3)
    assert CountingKeyring.lookups() == 0
    # Each commit still wrote the head down: what is kept is the chain's newest event.
    assert CountingKeyring.writes["chain-head"] == 6  # one per commit
    assert _kept(counted) == _newest(counted)
    assert audit.check(counted).ok


def test_another_process_writing_between_two_of_ours_makes_us_read_it_again(
        counted: AppContext):
    _timers(counted, 1)
    CountingKeyring.clear()
    ok(counted.paths.data, "entry", "add", "--patient", "T1002", "--category", "phone-call",
       "--start", "2026-11-20T10:00", "--end", "2026-11-20T10:05")
    theirs = _kept(counted)
    assert theirs == _newest(counted)
    CountingKeyring.clear()
    _timers(counted, 1)
    assert CountingKeyring.lookups() == 1  # their commit moved the counter
    ours = _kept(counted)
    assert ours == _newest(counted) and ours is not None and theirs is not None
    assert ours.seq > theirs.seq  # forward from theirs, never back to our older one
    assert audit.check(counted).ok


def test_a_chain_cut_short_behind_the_sessions_back_never_moves_the_head(counted: AppContext):
    _timers(counted, 2)
    for n in range(2):  # events that record no entry: only the head can miss them
        with counted.write() as session:
            audit.append(session, ctx=counted, actor="test", action="settings.change",
                         entity="settings", entity_id=n)
    kept = _kept(counted)  # the memo holds the head this session wrote
    conn = raw_connect(counted.paths.database, counted.protection.key)
    try:  # as the key's holder could, without moving the commit counter
        conn.execute("DROP TRIGGER audit_event_no_delete")
        conn.execute("DELETE FROM audit_event WHERE seq > (SELECT max(seq) - 2 "
                     "FROM audit_event)")
        conn.commit()
    finally:
        conn.close()
    report = audit.check(counted)
    assert not report.ok and "newest events were deleted" in report.problem
    _timers(counted, 1)  # the session writes on: the head kept outside stays where it was
    assert _kept(counted) == kept
    report = audit.check(counted)  # the new events took the deleted ones' numbers
    assert not report.ok and "the chain was rewritten from here" in report.problem


def test_a_head_that_cannot_be_read_is_read_again_at_the_next_write(counted: AppContext):
    _timers(counted, 1)
    kept = _kept(counted)
    counted.protection = chain_anchor.keys.Protection(  # moved: as a rekey would
        counted.protection.key, record=counted.protection.record)
    CountingKeyring.clear()
    _timers(counted, 1)
    assert CountingKeyring.lookups() == 1 and kept is not None
    assert _kept(counted) == _newest(counted)
