"""The delivery worker: takes due outbox items, sends them, records what happened.

Used from a thread in the tray app and by `ccm-timer sync [--once]`. Nothing else in the app
waits on it: offline is normal, items simply stay pending.

One pass (`run_once`) tries every item due when the pass began at most once, so a pass is
bounded; a target that is down (no connection, 5xx, 429) is asked once per pass, not once
per item, and is left alone until its back-off ends. `run` repeats passes until stopped,
sleeping until the next item is due; `wake()` is the tray's *Sync now*.

Thread use: `Worker` holds no database connection between calls; `run` may run in a
`threading.Thread` while the UI thread calls `wake()` and `outbox_status.summary(ctx)`.
"""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ccm_timer.core import backoff
from ccm_timer.errors import UserError
from ccm_timer.services.context import AppContext
from ccm_timer.services.delivery import hub, outbox, outbox_status, targets
from ccm_timer.services.delivery.outbox import Parcel
from ccm_timer.store.models import HubPush, OutboxState
from ccm_timer.sync.outcome import AttemptKind, Outcome

IDLE_POLL_SECONDS = 30.0  # look for items queued by another process this often
MAX_ITEMS_PER_PASS = 1_000_000  # a guard; a pass ends long before on real data


@dataclass(frozen=True)
class Attempt:
    """One delivery attempt, as reported to the caller (a CLI line, the tray, a test)."""

    export_id: uuid.UUID
    target: str
    label: str
    kind: AttemptKind
    message: str
    attempts: int
    retry_at: datetime | None = None
    delay: float | None = None
    retry_after: float | None = None
    receipt: str | None = None
    step: int = 0  # the back-off step the delay was drawn for


    def sentence(self, ctx: AppContext) -> str:
        short = str(self.export_id)[:13]
        if self.kind is AttemptKind.DELIVERED:
            return f"Delivered export {short} to {self.target} (attempt {self.attempts})."
        text = self.message if self.message.startswith(self.label) else (
            f"{self.message} ({self.label} {self.target})")
        text = text[0].upper() + text[1:]
        if self.kind is AttemptKind.FAILED:
            return f"{text}; export {short} is marked failed and will not be retried."
        when = outbox_status.clock_text(ctx, self.retry_at) if self.retry_at else "later"
        return f"{text}; the export stays queued and will be retried at {when}."


@dataclass
class PassReport:
    attempts: list[Attempt] = field(default_factory=list)
    hub_errors: list[str] = field(default_factory=list)
    hub_pushes: list[str] = field(default_factory=list)
    hub_pulls: list[str] = field(default_factory=list)

    @property
    def delivered(self) -> int:
        return sum(1 for a in self.attempts if a.kind is AttemptKind.DELIVERED)

    @property
    def problems(self) -> list[Attempt]:
        return [a for a in self.attempts if a.kind is not AttemptKind.DELIVERED]


Step = Callable[[str, Parcel], None]


class Worker:
    def __init__(
        self,
        ctx: AppContext,
        *,
        timeout: float = 30.0,
        lease: timedelta = timedelta(minutes=5),
        batch: int = 20,
        rng: random.Random | None = None,
        on_step: Step | None = None,
        on_attempt: Callable[[Attempt], None] | None = None,
    ) -> None:
        if not 0 < timeout < lease.total_seconds():  # and a number (nan is neither)
            raise ValueError("the network timeout must be positive and shorter than the lease")
        self.ctx = ctx
        self.timeout = timeout
        self.lease = lease
        self.batch = batch
        self.rng = rng or random.Random()
        self.on_step = on_step
        self.on_attempt = on_attempt
        self.owner = outbox.lease_owner(ctx)
        self._held: dict[str, datetime] = {}  # target -> not before
        self._failures: dict[str, int] = {}  # target -> consecutive target-level failures
        self._pull_held: dict[str, datetime] = {}  # hub target -> no pull before, after a failure
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._force = False
        self._target_down = False

    # --- one pass ------------------------------------------------------------------------

    def run_once(self, *, force: bool = False) -> PassReport:
        ctx = self.ctx
        report = PassReport()
        outbox.reclaim_dead(ctx)
        if force:
            self._held.clear()
            self._failures.clear()
        start = ctx.now()
        configured = {t.name: t for t in targets.list_targets(ctx)}
        for target in configured.values():
            if target.kind is targets.TargetKind.HUB:
                self._push_hub(target, force, report)
        down: set[str] = {name for name, until in self._held.items() if until > start}
        deliverers: dict[str, object] = {}
        try:
            for _ in range(MAX_ITEMS_PER_PASS):
                # A target that was down gets one probe first, then batches again.
                probing = any(self._failures.values())
                parcels = outbox.claim(ctx, self.owner, due_by=start, lease=self.lease,
                                       limit=1 if probing else self.batch,
                                       skip_targets=frozenset(down))
                if not parcels:
                    break
                name = parcels[0].target
                target = configured.get(name)
                for index, parcel in enumerate(parcels):
                    attempt = self._deliver(parcel, target, deliverers)
                    report.attempts.append(attempt)
                    if attempt.kind is AttemptKind.RETRY and self._target_down:
                        down.add(name)
                        self._held[name] = attempt.retry_at or ctx.now()
                        outbox.release(ctx, self.owner, [p.item_id for p in parcels[index + 1:]])
                        break
        finally:
            for deliverer in deliverers.values():
                deliverer.close()
        return report

    def _push_hub(self, target: targets.Target, force: bool, report: PassReport) -> None:
        try:
            pushed = hub.push_target(self.ctx, target, force=force, rng=self.rng)
        except hub.HubError as exc:
            report.hub_errors.append(f"{exc} ({target.name})")
            return
        if pushed is not None:
            changed = sum(pushed.changed.values())
            report.hub_pushes.append(
                f"Pushed to the clinic hub {target.name}: {changed} new or changed rows."
                + (f" {pushed.held_sentence(target.name)}" if pushed.held else ""))
        self._pull_hub(target, pushed is not None or force, report)

    def _pull_hub(self, target: targets.Target, pushed: bool, report: PassReport) -> None:
        """After each push, and every PULL_EVERY when no push was due (nothing changed
        here, but other workstations go on timing)."""
        from ccm_timer.services.delivery import hub_pull, hub_scope

        now = self.ctx.now()
        with self.ctx.read() as session:
            state = session.get(HubPush, target.name)
        if state is not None and state.next_attempt_at is not None \
                and state.next_attempt_at > now:
            return  # the push is backing off: the hub is down or refusing
        last = hub_scope.last_pull(self.ctx, target.name)
        if not pushed and last is not None and now - last < hub_scope.PULL_EVERY:
            return
        if not pushed and self._pull_held.get(target.name, now) > now:
            return
        try:
            pulled = hub_pull.pull(self.ctx, target)
        except UserError as exc:  # the hub unreachable or refusing: nothing taken
            self._pull_held[target.name] = now + hub_scope.PULL_EVERY
            report.hub_errors.append(f"{exc} ({target.name})")
            return
        self._pull_held.pop(target.name, None)
        report.hub_pulls.append(pulled.sentence(self.ctx))

    def _deliverer(self, target: targets.Target):
        folder = target.kind is targets.TargetKind.FOLDER
        secret = None if folder else targets.get_secret(target.name)
        if target.kind is targets.TargetKind.HTTPS:
            from ccm_timer.sync.https_target import HttpsTarget

            return HttpsTarget(target.url, secret, timeout=self.timeout)
        if target.kind is targets.TargetKind.FHIR:
            from ccm_timer.sync.fhir_target import FhirTarget

            return FhirTarget(target.url, secret, timeout=self.timeout)
        if target.kind is targets.TargetKind.FOLDER:
            from ccm_timer.sync.folder_target import FolderTarget

            return FolderTarget(target.url, self.ctx)
        from ccm_timer.sync.hub_target import HubTarget

        return HubTarget(self.ctx, target.url, secret, target.name)

    def _deliver(self, parcel: Parcel, target: targets.Target | None,
                 deliverers: dict[str, object]) -> Attempt:
        def step(name: str) -> None:
            if self.on_step is not None:
                self.on_step(name, parcel)

        self._target_down = False
        step("claimed")
        if target is None:
            result = Outcome(AttemptKind.FAILED,
                             f"no delivery target named {parcel.target} is set up")
            label = "the target"
        else:
            if target.name not in deliverers:
                deliverers[target.name] = self._deliverer(target)
            deliverer = deliverers[target.name]
            label = deliverer.label
            result = deliverer.deliver(parcel, step)
        attempt = self._record(parcel, result, label)
        step("finished")
        if self.on_attempt is not None:
            self.on_attempt(attempt)
        return attempt

    def _record(self, parcel: Parcel, result: Outcome, label: str) -> Attempt:
        ctx = self.ctx
        if result.kind is not AttemptKind.RETRY or not result.target_down:
            self._failures.pop(parcel.target, None)
        if result.kind is AttemptKind.DELIVERED:
            outbox.finish(ctx, self.owner, parcel, state=OutboxState.DELIVERED,
                          receipt=result.receipt)
            return Attempt(parcel.export_id, parcel.target, label, result.kind, result.message,
                           parcel.attempts, receipt=result.receipt)
        if result.kind is AttemptKind.FAILED:
            outbox.finish(ctx, self.owner, parcel, state=OutboxState.FAILED,
                          error=result.message)
            return Attempt(parcel.export_id, parcel.target, label, result.kind, result.message,
                           parcel.attempts)
        # The back-off climbs per target when the target is down (one ladder, not one per
        # waiting item), per item otherwise.
        step = parcel.attempts
        if result.target_down:
            self._failures[parcel.target] = self._failures.get(parcel.target, 0) + 1
            step = max(step, self._failures[parcel.target])
        wait = backoff.delay(step, result.retry_after, self.rng)
        retry_at = ctx.now() + timedelta(seconds=wait)
        outbox.finish(ctx, self.owner, parcel, state=OutboxState.PENDING, error=result.message,
                      next_attempt_at=retry_at)
        self._target_down = result.target_down
        return Attempt(parcel.export_id, parcel.target, label, result.kind, result.message,
                       parcel.attempts, retry_at=retry_at, delay=wait,
                       retry_after=result.retry_after, step=step)

    # --- the loop ------------------------------------------------------------------------

    def wake(self, *, force: bool = True) -> None:
        """Sync now: run a pass at once, asking targets that were backing off again."""
        self._force = self._force or force
        self._wake.set()

    def stop(self) -> None:
        """End `run` after the current attempt (the tray calls this on quit)."""
        self._stop.set()
        self._wake.set()

    def seconds_to_next(self, idle_poll: float = IDLE_POLL_SECONDS) -> float:
        now = self.ctx.now()
        held = {name for name, until in self._held.items() if until > now}
        due = outbox.next_due(self.ctx, skip_targets=frozenset(held))
        candidates = [idle_poll]
        if due is not None:
            candidates.append((due - now).total_seconds())
        candidates += [(until - now).total_seconds() for until in self._held.values()
                       if until > now]
        return max(0.01, min(candidates))

    def run(
        self,
        stop: threading.Event | None = None,
        *,
        sleep: Callable[[float], None] | None = None,
        max_passes: int | None = None,
        idle_poll: float = IDLE_POLL_SECONDS,
    ) -> None:
        """Passes until `stop` is set (or `max_passes` ran). `sleep(seconds)` is how it
        waits; the default wakes early on `wake()` or `stop`."""
        if stop is not None:
            self._stop = stop
        stop = self._stop
        passes = 0
        while not stop.is_set() and (max_passes is None or passes < max_passes):
            force, self._force = self._force, False
            self.run_once(force=force)
            passes += 1
            wait = self.seconds_to_next(idle_poll)
            if sleep is not None:
                sleep(wait)
            else:
                self._wake.wait(wait)
                self._wake.clear()
