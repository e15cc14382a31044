"""HTTPS delivery against a real server on 127.0.0.1 that injects faults (reliability T20)."""

from __future__ import annotations

import hashlib
import random
import threading
import time
from collections import defaultdict
from datetime import timedelta

from sqlmodel import select

from ccm_timer.core import backoff
from ccm_timer.services.delivery import outbox, outbox_status, targets
from ccm_timer.services.security import audit
from ccm_timer.store.models import Export, OutboxItem, OutboxState
from ccm_timer.sync.worker import Worker
from tests.fixtures.delivery import add_https, queue_exports
from tests.fixtures.servers import BillingServer


def _states(ctx) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    with ctx.read() as session:
        for item in session.exec(select(OutboxItem)):
            out[item.state.value] += 1
    return dict(out)


def _exact_once(ctx, server: BillingServer, exports) -> None:
    """The server holds one copy of every export, byte-identical to what was recorded, and
    every request for an export carried the same bytes."""
    assert set(server.stored) == {str(e.id) for e in exports}
    by_id = {str(e.id): e for e in exports}
    for key, body in server.stored.items():
        assert hashlib.sha256(body).hexdigest() == by_id[key].sha256
    for key, sha, _ in server.requests:
        assert sha == by_id[key].sha256
    assert _states(ctx) == {"delivered": len(exports)}


def test_delivers_with_idempotency_key_and_keyring_token(ctx, token_keyring):
    server = BillingServer(token="s3cret-token")
    try:
        add_https(ctx, server.url, token="s3cret-token")
        exports = queue_exports(ctx, "billing", 5)
        assert ("ccm-timer-target", "billing") in token_keyring.items
        assert "s3cret-token" not in ctx.paths.settings_file.read_text()
        lines = []
        report = Worker(ctx, timeout=5, on_attempt=lines.append).run_once()
        assert report.delivered == 5
        _exact_once(ctx, server, exports)
        assert set(server.auth_seen) == {"Bearer s3cret-token"}
        assert len(server.requests) == 5
        with ctx.read() as session:
            assert audit.verify(session).ok
            delivered = [e for e in audit.history(session, exports[0].id)]
        assert [e.action for e in delivered][-1] == "export.deliver"
        assert lines[0].sentence(ctx).startswith("Delivered export ")
    finally:
        server.close()


def test_a_wrong_token_keeps_exports_queued(ctx):
    server = BillingServer(token="right")
    try:
        add_https(ctx, server.url, token="wrong")
        queue_exports(ctx, "billing", 2)
        report = Worker(ctx, timeout=5).run_once()
        assert [a.kind for a in report.attempts] == ["retry"]
        assert "refused the token (401)" in report.attempts[0].message
        assert _states(ctx) == {"pending": 2}
        targets.set_secret("billing", "right")
        report = Worker(ctx, timeout=5).run_once(force=True)
        assert report.delivered == 2
    finally:
        server.close()


def test_faults_for_two_hours_then_every_export_once(ctx, clock, server):
    """500s, 429 with Retry-After, timeouts and resets after the server stored the request,
    over fake time; the worker sleeps by moving the clock."""
    add_https(ctx, server.url)
    exports = queue_exports(ctx, "billing", 12)
    server.hang = 0.4
    server.faults.extend([500, ("429", 120), "timeout", "reset_after_store", 503, 500,
                          "reset_after_store", ("429", 30), "timeout", 500, 502,
                          "reset_after_store", 500, 500, ("429", 600), 504])
    attempts = []
    worker = Worker(ctx, timeout=0.25, lease=timedelta(seconds=60), rng=random.Random(7),
                    on_attempt=attempts.append)
    passes = 0
    while len(server.stored) < 12 or _states(ctx) != {"delivered": 12}:
        assert passes < 200, "delivery did not finish within 200 passes"
        worker.run(sleep=clock.advance, max_passes=1, idle_poll=3600)
        passes += 1
    _exact_once(ctx, server, exports)
    assert server.max_in_flight == 1
    assert not server.faults  # every injected fault was served
    retries = [a for a in attempts if a.kind == "retry"]
    assert len(retries) >= 16 - 3  # every injected fault was met (resets may be re-sent)
    for a in retries:
        assert a.delay is not None and a.delay >= 0
        if a.retry_after is not None:
            assert a.delay >= a.retry_after  # Retry-After honoured
        else:
            assert a.delay <= backoff.bound(a.step)  # full jitter within the bound
            assert a.step >= a.attempts
    assert {a.retry_after for a in retries if a.retry_after} == {120.0, 30.0, 600.0}
    # The resets happened after the server stored: those exports were sent twice, stored once.
    sent = defaultdict(int)
    for key, _, _ in server.requests:
        sent[key] += 1
    assert max(sent.values()) >= 2


def test_a_week_offline_then_everything_once(ctx, clock):
    probe = BillingServer()
    port = probe.port
    probe.close()  # nothing listens: offline
    add_https(ctx, f"http://127.0.0.1:{port}/exports")
    exports = queue_exports(ctx, "billing", 30)
    attempts = []
    worker = Worker(ctx, timeout=1, lease=timedelta(seconds=60), rng=random.Random(3),
                    on_attempt=attempts.append)
    start = clock.now()
    while clock.now() - start < timedelta(days=7):
        worker.run(sleep=clock.advance, max_passes=1, idle_poll=3600)
    assert _states(ctx) == {"pending": 30}
    # One knock per back-off, capped at an hour: a week costs a few hundred tries, not 30x.
    assert 7 * 24 <= len(attempts) <= 7 * 24 * 4
    assert all(a.delay <= backoff.CAP_SECONDS for a in attempts)
    assert "the oldest has waited 7 days" in outbox_status.summary(ctx)
    server = BillingServer(port=port)
    try:
        for _ in range(20):
            worker.run(sleep=clock.advance, max_passes=1, idle_poll=3600)
            if _states(ctx) == {"delivered": 30}:
                break
        _exact_once(ctx, server, exports)
        assert len(server.requests) == 30
    finally:
        server.close()


def test_one_sender_per_item_and_an_expired_lease_is_taken_over(ctx, clock, server):
    add_https(ctx, server.url)
    [export] = queue_exports(ctx, "billing", 1)
    hung = outbox.lease_owner(ctx).replace(ctx.workstation, "other-ws", 1)
    [parcel] = outbox.claim(ctx, hung, due_by=clock.now(), lease=timedelta(minutes=5))
    # Another process (another workstation's lease, so no liveness shortcut) finds nothing.
    assert Worker(ctx, timeout=2).run_once().attempts == []
    clock.advance(timedelta(minutes=5, seconds=1))
    report = Worker(ctx, timeout=2).run_once()
    assert report.delivered == 1
    # The hung sender wakes up and reports the same delivery: recorded once, no error.
    assert outbox.finish(ctx, hung, parcel, state=OutboxState.PENDING, error="late") is False
    with ctx.read() as session:
        item = session.exec(select(OutboxItem)).one()
        assert item.state is OutboxState.DELIVERED and item.attempts == 2
        assert session.get(Export, export.id) is not None
    assert len(server.stored) == 1


def test_worker_thread_sync_now_and_stop(ctx, server):
    add_https(ctx, server.url)
    worker = Worker(ctx, timeout=2)
    thread = threading.Thread(target=worker.run, kwargs={"idle_poll": 30.0}, daemon=True)
    thread.start()
    try:
        time.sleep(0.3)  # the first pass found nothing; the loop now sleeps up to 30 s
        exports = queue_exports(ctx, "billing", 3)
        worker.wake()  # the tray's "Sync now"
        deadline = time.monotonic() + 10
        while len(server.stored) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(server.stored) == 3
    finally:
        worker.stop()
        thread.join(timeout=10)
    assert not thread.is_alive()
    _exact_once(ctx, server, exports)


def test_two_senders_at_once_never_send_the_same_export_twice(ctx, server):
    """The tray's worker thread and a `ccm-timer sync` running together (R5.6)."""
    add_https(ctx, server.url)
    exports = queue_exports(ctx, "billing", 40)
    workers = [Worker(ctx, timeout=5, batch=3) for _ in range(2)]
    reports = []
    threads = [threading.Thread(target=lambda w=w: reports.append(w.run_once()))
               for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sum(r.delivered for r in reports) == 40
    assert all(r.delivered > 0 for r in reports)  # both really took part
    assert len(server.requests) == 40  # no export was sent by both
    _exact_once(ctx, server, exports)
