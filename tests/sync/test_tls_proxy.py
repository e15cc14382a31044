"""HTTPS delivery through httpx: TLS verified by the system's trust store (and a clinic's
own certificate authority), the system proxy, and answers that fail or never end, against
real servers on 127.0.0.1 (issue 19, point 6)."""

from __future__ import annotations

import random
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlmodel import select

from ccm_timer.services.delivery import outbox
from ccm_timer.store.models import OutboxItem, OutboxState
from ccm_timer.sync import outcome
from ccm_timer.sync.http_client import MAX_BODY, HttpClient, TransportError
from ccm_timer.sync.https_target import HttpsTarget
from ccm_timer.sync.worker import Worker
from tests.fixtures.delivery import add_https, queue_exports
from tests.sync.tls_servers import (
    CLINIC_HOST,
    ClinicCA,
    ConnectProxy,
    EndlessAnswer,
    tls_billing_server,
)

PROXY_VARS = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY",
              "all_proxy", "NO_PROXY", "no_proxy")
UNTRUSTED = ("the server's certificate is not trusted on this computer; if the clinic's "
             "network inspects secure connections, ask IT to install its certificate "
             "authority on this computer")


@pytest.fixture(autouse=True)
def _no_proxy_from_this_machine(monkeypatch):
    for name in PROXY_VARS:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def ca(tmp_path) -> ClinicCA:
    (tmp_path / "ca").mkdir()
    return ClinicCA(tmp_path / "ca")


def _post(client: HttpClient, key: str = "k-1"):
    return client.request("POST", None, b'{"synthetic": true}',
                          {"Idempotency-Key": key, "Content-Type": "application/json"})


def _states(ctx) -> list[OutboxState]:
    with ctx.read() as session:
        return sorted(item.state for item in session.exec(select(OutboxItem)))


@pytest.mark.skipif(sys.platform != "linux", reason="SSL_CERT_FILE is OpenSSL's store")
def test_an_unknown_authority_is_refused_until_the_system_store_has_it(ctx, ca, tmp_path,
                                                                      monkeypatch):
    """truststore reads OpenSSL's system store on Linux, which SSL_CERT_FILE names: the
    worker's targets trust what the computer trusts, and nothing else."""
    (tmp_path / "other").mkdir()
    (tmp_path / "no-dir").mkdir()
    monkeypatch.setenv("SSL_CERT_FILE", str(ClinicCA(tmp_path / "other", "Other CA").ca_file))
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path / "no-dir"))
    server = tls_billing_server(ca, "127.0.0.1")
    try:
        add_https(ctx, server.url)
        queue_exports(ctx, "billing", 2)
        [attempt] = Worker(ctx, timeout=5).run_once().attempts  # one knock: the target is down
        assert attempt.kind == "retry" and attempt.message == UNTRUSTED
        assert attempt.sentence(ctx).startswith("The server's certificate is not trusted")
        assert "the export stays queued" in attempt.sentence(ctx)
        assert server.stored == {} and _states(ctx) == [OutboxState.PENDING] * 2
        monkeypatch.setenv("SSL_CERT_FILE", str(ca.ca_file))  # IT installs the clinic's CA
        assert Worker(ctx, timeout=5).run_once(force=True).delivered == 2
        assert len(server.stored) == 2
    finally:
        server.close()


def test_a_target_may_name_the_clinic_authority_in_a_file(ctx, clock, ca, tmp_path):
    server = tls_billing_server(ca, "127.0.0.1")
    try:
        with pytest.raises(TransportError) as refused:
            _post(HttpClient(server.url, timeout=5))
        assert str(refused.value) == UNTRUSTED and not refused.value.cut
        add_https(ctx, server.url)
        [export] = queue_exports(ctx, "billing", 1)
        [parcel] = outbox.claim(ctx, outbox.lease_owner(ctx), due_by=clock.now(),
                                lease=timedelta(minutes=5))
        target = HttpsTarget(server.url, None, timeout=5, ca_file=str(ca.ca_file))
        try:
            result = target.deliver(parcel, lambda step: None)
        finally:
            target.close()
        assert result.kind is outcome.AttemptKind.DELIVERED
        assert list(server.stored) == [str(export.id)]
        with pytest.raises(TransportError, match="cannot be read; check that it is there"):
            _post(HttpClient(server.url, timeout=5, ca_file=str(tmp_path / "missing.pem")))
    finally:
        server.close()


def test_a_certificate_for_another_name_is_refused_in_words(ca):
    server = tls_billing_server(ca, "localhost")  # the URL says 127.0.0.1
    try:
        with pytest.raises(TransportError, match="certificate is for another name; check"):
            _post(HttpClient(server.url, timeout=5, ca_file=str(ca.ca_file)))
    finally:
        server.close()


def test_the_proxy_the_system_names_carries_the_connection_and_keeps_it(ca, monkeypatch):
    """The target's name resolves nowhere here: only the proxy can reach it."""
    server = tls_billing_server(ca, CLINIC_HOST)
    proxy = ConnectProxy()
    try:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        client = HttpClient(f"https://{CLINIC_HOST}:{server.port}/exports", timeout=5,
                            ca_file=str(ca.ca_file))
        assert client.proxy == proxy.url
        assert _post(client, "k-1").status == 201
        assert _post(client, "k-2").status == 201
        client.close()
        assert sorted(server.stored) == ["k-1", "k-2"]
        assert proxy.tunnels == [f"{CLINIC_HOST}:{server.port}"]  # one kept-alive tunnel
    finally:
        proxy.close()
        server.close()


def test_no_proxy_this_machine_and_a_proxy_that_refuses_or_is_gone(ca, monkeypatch):
    proxy = ConnectProxy()
    url = f"https://{CLINIC_HOST}:8443/exports"
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    try:
        assert HttpClient("http://127.0.0.1:8080/exports").proxy is None  # never for loopback
        monkeypatch.setenv("NO_PROXY", f"example.org,{CLINIC_HOST}")
        assert HttpClient(url).proxy is None
        monkeypatch.delenv("NO_PROXY")
        proxy.refuse = True
        with pytest.raises(TransportError) as refused:
            _post(HttpClient(url, timeout=5))
        assert str(refused.value).startswith(
            f"the proxy 127.0.0.1:{proxy.port} did not connect us to the server")
        assert str(refused.value).endswith("; check the proxy settings with IT")
    finally:
        proxy.close()
    with pytest.raises(TransportError) as gone:
        _post(HttpClient(url, timeout=5))
    assert str(gone.value) == (f"no connection to the proxy 127.0.0.1:{proxy.port}; check "
                               "this computer's proxy settings")


def test_a_500_a_cut_and_a_timeout_each_keep_the_export_queued(ctx, clock, server):
    add_https(ctx, server.url)
    queue_exports(ctx, "billing", 1)
    server.hang = 0.5
    server.faults.extend([500, "reset_after_store", "timeout"])
    worker = Worker(ctx, timeout=0.25, lease=timedelta(seconds=60), rng=random.Random(5))
    messages = []
    for _ in range(3):
        [attempt] = worker.run_once().attempts
        assert attempt.kind == "retry" and _states(ctx) == [OutboxState.PENDING]
        assert attempt.retry_at >= clock.now() and attempt.delay is not None
        messages.append(attempt.message)
        assert worker.run_once().attempts == []  # backing off: not asked again yet
        clock.advance(timedelta(seconds=attempt.delay + 0.001))
    assert messages == ["the billing server answered 500",
                        "the connection was cut before an answer came",
                        "no answer within 0.25 s"]
    assert worker.run_once().delivered == 1
    assert _states(ctx) == [OutboxState.DELIVERED] and len(server.stored) == 1


def test_an_answer_past_max_body_is_not_read_whole():
    declared = 256 * MAX_BODY
    server = EndlessAnswer(declared)
    try:
        response = HttpClient(server.url, timeout=5).request("POST", None, b"", {})
        assert response.status == 200 and len(response.body) == MAX_BODY
        assert server.done.wait(10)
        assert server.written < declared // 8  # the rest was never sent: we hung up
    finally:
        server.close()


def test_an_answer_that_trickles_ends_at_the_timeout():
    server = EndlessAnswer(MAX_BODY, chunk=1024, pause=0.01)  # 1 KiB per 10 ms: 10 s
    try:
        with pytest.raises(TransportError, match=r"^no answer within 0.3 s$"):
            HttpClient(server.url, timeout=0.3).request("POST", None, b"", {})
        assert server.done.wait(10)
        assert server.written < MAX_BODY
    finally:
        server.close()


def test_the_worker_loads_no_http_library_until_it_sends():
    """The tray starts the worker at start-up: httpx and truststore load with the first
    HTTPS or FHIR target (a fresh interpreter's module table, hence the subprocess)."""
    code = ("import sys, ccm_timer.sync.worker; "
            "print(sorted(m for m in ('httpx', 'truststore', 'ccm_timer.sync.http_client') "
            "if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
