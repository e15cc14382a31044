"""The worklist computed off the UI thread, as the overview's month is (latest_loader.py):
the month report sums the whole month, which on a large clinic would freeze a window."""

from __future__ import annotations

from ccm_timer.services.context import AppContext
from ccm_timer.services.month.worklist import Worklist, worklist
from ccm_timer.ui.latest_loader import LatestLoader


class WorklistLoader(LatestLoader):
    """request: a month "YYYY-MM", or None for this month; loaded emits the Worklist."""

    worker = "ccm-timer-worklist"

    def compute(self, ctx: AppContext, request: str | None) -> Worklist:
        return worklist(ctx, request)
