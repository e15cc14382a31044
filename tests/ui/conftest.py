"""The tray of the UI tests starts with a person signed in (issue 16): the nurse, unless a
test says otherwise (`signed_in=None` leaves nobody signed in, as at a real start)."""

from __future__ import annotations

import json

import pytest

from ccm_timer.errors import UserError
from ccm_timer.services.security import credentials
from tests.fixtures.clinic import NURSE, PASSWORD


@pytest.fixture
def make_tray(make_tray):
    def make(ctx, *, signed_in: str | None = NURSE, **kwargs):
        app = make_tray(ctx, **kwargs)
        if signed_in is not None:
            try:
                signer = credentials.verify(ctx, signed_in, PASSWORD)
            except UserError:  # a clinic without that person (being set up)
                return app
            app.controller.sign_in(signer)
        return app

    return make


@pytest.fixture
def audit_trail():
    """`trail(ctx)`: the audit events so far, oldest first, as (action, actor, entity_id,
    after) tuples; `trail(ctx, since=n)`: those after the first n."""
    from sqlmodel import col, select

    from ccm_timer.store.models import AuditEvent

    def trail(ctx, since: int = 0) -> list[tuple]:
        with ctx.read() as session:
            rows = session.exec(select(AuditEvent).order_by(col(AuditEvent.seq))).all()
            return [(e.action, e.actor, e.entity_id, json.loads(e.after) if e.after else None)
                    for e in rows][since:]

    return trail


@pytest.fixture
def signed_in():
    """`signed_in(ctx, name=NURSE)`: the person as the tray's sign-in leaves them."""

    def sign(ctx, name: str = NURSE):
        return credentials.verify(ctx, name, PASSWORD)

    return sign


def confirm(owner, password: str = PASSWORD) -> None:
    """Type `password` into the attestation prompt `owner` opened (owner.attest), confirm."""
    prompt = owner.attest
    assert prompt is not None and prompt.isVisible(), "no password was asked for"
    prompt.password.setText(password)
    prompt.ok.click()


@pytest.fixture
def attest():
    return confirm
