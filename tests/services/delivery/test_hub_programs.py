"""The programs of issue 15 (APCM, COCM) on the clinic hub, on a real PostgreSQL: the hub's
`program` enum type, made by an older version with the six first programs, gains the new
values when `hub init` adopts it, so an APCM or CoCM enrolment arrives instead of failing on an
invalid enum value."""

from __future__ import annotations

from datetime import date

import psycopg
from sqlalchemy import make_url, text

from ccm_timer.services.delivery import hub
from ccm_timer.services.people import patients
from tests.fixtures.delivery import HUB_PASSWORD

OLD_PROGRAMS = ("CCM", "PCM", "BHI", "RPM", "CPO_HOME_HEALTH", "CPO_HOSPICE")
ALL_TOLD = "cost-sharing,one-practitioner,right-to-stop"


def _labels(engine) -> list[str]:
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(text(
            "SELECT e.enumlabel FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid "
            "WHERE t.typname = 'program' ORDER BY e.enumsortorder"))]


def _make_old_type(hub_url: str) -> None:
    """The `program` type as a hub made before issue 15 has it."""
    url = make_url(hub_url)
    with psycopg.connect(host=url.host, port=url.port, user=url.username,
                         password=HUB_PASSWORD, dbname=url.database, autocommit=True) as conn:
        labels = ", ".join(f"'{p}'" for p in OLD_PROGRAMS)
        conn.execute(f"CREATE TYPE program AS ENUM ({labels})")


def test_an_older_hubs_program_type_gains_apcm_and_cocm(two, empty_hub_url):
    ws1, _ = two
    hub_url = empty_hub_url
    _make_old_type(hub_url)
    hub.init_hub(hub_url, HUB_PASSWORD)
    engine = hub.open_engine(hub_url, HUB_PASSWORD)
    try:
        assert _labels(engine) == [*OLD_PROGRAMS, "APCM", "COCM"]
        for program in ("APCM", "COCM"):
            patients.set_consent(ws1, "T1001", program, date(2026, 1, 5), "written",
                                 by="Nurse ws-north", disclosures=ALL_TOLD)
        hub.push(ws1, hub_url, HUB_PASSWORD)
        with engine.connect() as conn:
            found = sorted(r[0] for r in conn.execute(text(
                "SELECT CAST(program AS VARCHAR) FROM enrollment")))
        assert {"APCM", "COCM"} <= set(found)
        # Setting it up again changes nothing.
        hub.init_hub(hub_url, HUB_PASSWORD)
        assert _labels(engine) == [*OLD_PROGRAMS, "APCM", "COCM"]
    finally:
        engine.dispose()


def test_a_new_hub_has_every_program(hub_url):
    engine = hub.open_engine(hub_url, HUB_PASSWORD)
    try:
        assert _labels(engine) == [*OLD_PROGRAMS, "APCM", "COCM"]
    finally:
        engine.dispose()
