"""The tray of the UI tests starts with a person signed in (issue 16): the nurse, unless a
test says otherwise (`signed_in=None` leaves nobody signed in, as at a real start)."""

from __future__ import annotations

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
