"""The delivery worker starts once it has something to do: a delivery target set up, or an
export waiting. A tray that never delivers (a nurse who never exports) never loads the
delivery code (sync/worker.py with the hub and its clients) nor runs its thread.

Asked after the start's first moments (AFTER_MS), then at each new state (a target added
or an export queued is a commit, here or in another program, which the tray reads), when
the menu opens and at Sync now; once the worker runs it is not asked again."""

from __future__ import annotations

from PySide6.QtCore import QObject, SignalInstance

from ccm_timer.errors import UserError
from ccm_timer.services.context import AppContext
from ccm_timer.services.delivery import outbox, targets
from ccm_timer.ui.sync_runner import SyncLine, SyncRunner

__all__ = ["SyncLine", "SyncStart"]


def needed(ctx: AppContext) -> bool:
    try:
        return bool(targets.list_targets(ctx)) or outbox.waiting_count(ctx) > 0
    except UserError:  # a busy database: the next state or menu asks again
        return False


class SyncStart:
    AFTER_MS = 1500  # after the icon and the first state: deliveries are never urgent

    def __init__(self, ctx: AppContext, parent: QObject, states: SignalInstance) -> None:
        self.ctx = ctx
        self.runner = SyncRunner(ctx, parent)
        states.connect(self.check)  # each new state: maybe a target or an export came
        self.due = False  # not before AFTER_MS: the icon and first state come first

    def begin(self) -> None:
        self.due = True
        self.check()

    def check(self, *_args: object) -> None:
        if self.due and not self.runner.running and needed(self.ctx):
            self.runner.start()  # refused once stopped (the tray shut down)

    def line(self) -> SyncLine | None:
        """The menu's deliveries line; one to show means there is work for the worker."""
        line = self.runner.line()
        if line is not None and self.due and not self.runner.running:
            self.runner.start()
        return line

    def sync_now(self) -> None:
        self.due = True  # asked for: no reason to wait
        self.check()
        self.runner.sync_now()
