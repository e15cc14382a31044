"""Issue 13, defect 15: the hub connection did not require TLS (libpq's `sslmode=prefer`
falls back to plain text). Off this machine the hub now needs sslmode=verify-full, and a URL
that asks for less is refused before any connection; on this machine it is as given.

No test here connects anywhere but 127.0.0.1: the remote hosts are names under .invalid,
which never resolve, or addresses given only to the pure URL check."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from ccm_timer.services.delivery import hub
from tests.fixtures.delivery import HUB_PASSWORD

WEAKER = ("disable", "allow", "prefer", "require", "verify-ca")


def _refusal(host: str, mode: str) -> str:
    return (f"The clinic hub {host} is not on this machine, so its connection must be "
            f"encrypted and its certificate checked: take sslmode={mode} out of the hub URL "
            "(verify-full is used).")


@pytest.mark.parametrize("mode", WEAKER)
def test_a_remote_hub_that_asks_for_less_than_verify_full_is_refused_before_connecting(mode):
    began = time.monotonic()
    with pytest.raises(hub.HubError) as caught:
        hub.open_engine(f"postgresql://ccm@hub.clinic.invalid:5432/records?sslmode={mode}",
                        "secret")
    assert str(caught.value) == _refusal("hub.clinic.invalid", mode)
    assert time.monotonic() - began < 1  # no name lookup, no connect timeout


@pytest.mark.parametrize(("url", "host"), [
    ("postgresql://ccm@192.0.2.10/records?sslmode=prefer", "192.0.2.10"),
    ("postgresql://ccm@[2001:db8::5]:5432/records?sslmode=require", "2001:db8::5"),
    # libpq connects to hostaddr, whatever the host says
    ("postgresql://ccm@localhost/records?hostaddr=192.0.2.10&sslmode=disable", "192.0.2.10"),
    ("postgresql://ccm@/records?host=/run/postgresql,hub.clinic.invalid&sslmode=allow",
     "hub.clinic.invalid"),
    ("postgresql://ccm@127.0.0.1,hub.clinic.invalid/records?sslmode=verify-ca",
     "hub.clinic.invalid"),
])
def test_every_host_libpq_may_reach_counts(url, host):
    with pytest.raises(hub.HubError) as caught:
        hub.secure_url(url)
    assert str(caught.value) == _refusal(host, url.rsplit("sslmode=", 1)[1])


def test_a_remote_hub_gets_verify_full_against_the_systems_authorities():
    url = hub.secure_url("postgresql://ccm@hub.clinic.invalid:5432/records")
    assert dict(url.query) == {"sslmode": "verify-full", "sslrootcert": "system"}
    assert url.drivername == "postgresql+psycopg"
    own_ca = hub.secure_url("postgresql://ccm@hub.clinic.invalid/records?sslmode=verify-full"
                            "&sslrootcert=/etc/ccm/clinic-ca.pem")
    assert dict(own_ca.query) == {"sslmode": "verify-full",
                                  "sslrootcert": "/etc/ccm/clinic-ca.pem"}


def test_a_url_without_a_host_is_checked_against_pghost(monkeypatch):
    monkeypatch.setenv("PGHOST", "hub.clinic.invalid")
    with pytest.raises(hub.HubError, match="hub.clinic.invalid is not on this machine"):
        hub.secure_url("postgresql://ccm@/records?sslmode=prefer")
    monkeypatch.setenv("PGHOST", "/run/postgresql")
    assert dict(hub.secure_url("postgresql://ccm@/records?sslmode=prefer").query) == {
        "sslmode": "prefer"}


@pytest.mark.parametrize("where", [
    "127.0.0.1:5432", "127.20.30.40", "[::1]:5432", "localhost", "LOCALHOST:5433", "",
])
def test_on_this_machine_the_url_is_used_as_given(monkeypatch, where):
    monkeypatch.delenv("PGHOST", raising=False)
    monkeypatch.delenv("PGHOSTADDR", raising=False)
    for query in ("", "?sslmode=disable", "?sslmode=prefer"):
        url = hub.secure_url(f"postgresql://ccm@{where}/records{query}")
        assert dict(url.query) == ({"sslmode": query.split("=")[1]} if query else {})
    socket = hub.secure_url("postgresql://ccm@/records?host=/run/postgresql&sslmode=disable")
    assert dict(socket.query) == {"host": "/run/postgresql", "sslmode": "disable"}


def test_the_test_hub_on_loopback_still_connects_without_tls(hub_url):
    engine = hub.open_engine(hub_url + "?sslmode=disable", HUB_PASSWORD)
    try:
        with engine.connect() as conn:
            # The connection acts as the clinic's role; pg_stat_ssl shows a session's TLS
            # to the user who signed in.
            conn.execute(text("RESET ROLE"))
            assert conn.execute(text("SELECT ssl FROM pg_stat_ssl "
                                     "WHERE pid = pg_backend_pid()")).scalar() is False
    finally:
        engine.dispose()


def test_target_add_refuses_the_url_and_keeps_nothing(home, cli):
    url = "postgresql://ccm@hub.clinic.invalid:5432/records?sslmode=prefer"
    done = cli("target", "add", "clinic-hub", "--kind", "hub", "--url", url, "--no-token")
    assert done.returncode == 1
    assert done.stderr == f"ccm-timer: {_refusal('hub.clinic.invalid', 'prefer')}\n"
    listed = cli("target", "list")
    assert listed.returncode == 0 and "clinic-hub" not in listed.stdout
    fine = cli("target", "add", "clinic-hub", "--kind", "hub", "--url",
               "postgresql://ccm@hub.clinic.invalid:5432/records", "--no-token")
    assert fine.returncode == 0, fine.stderr
