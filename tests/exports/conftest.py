"""Fixtures for export tests: the synthetic clinic of clinic.py in a real database."""

from __future__ import annotations

import pytest

from tests.exports import clinic


@pytest.fixture
def month_clinic(ctx, clock):
    """(ctx, the entries by name) for the November 2026 clinic; the clock is at Dec 1."""
    return ctx, clinic.build(ctx, clock)
