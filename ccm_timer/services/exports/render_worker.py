"""Note templates rendered under a time budget enforced from outside the render.

The sandbox (exports/sandbox.py) bounds what a template can build and checks its clock in
the template's own frames, but work in C or in library frames never reaches that check
(`-1 in xs|map(f)|map(f)|…` ran 86 s against a 2 s budget). So a template the user
overrode renders in a worker process that is killed at the deadline, with its address
space capped where the OS offers it (Linux; macOS does not enforce RLIMIT_AS).

The shipped templates are our code, reviewed and tested: they render in this process with
the same sandbox, and a note copied from the tray pays no process start. A batch (the
month's notes, one per patient) shares one worker.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.pool
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ccm_timer.exports import templates
from ccm_timer.exports.templates import TemplateProblem, TemplateSource

MEMORY_CAP = 512 * 1024 * 1024  # a note needs a few MB; the sandbox's limits far less
START_SECONDS = 60.0  # starting Python on a loaded machine; not part of the budget
GRACE_SECONDS = 0.5  # past the budget, for the template's own clock to report the line


def needs_worker(source: TemplateSource) -> bool:
    return source.custom


def render_notes(name: str, contexts: Sequence[Mapping[str, Any]],
                 override_dir: Path | None,
                 budget: float = templates.TIME_BUDGET_SECONDS) -> list[str]:
    """Template `name` (the user's copy in `override_dir` if there is one) for each
    context. A template that fails, or overruns `budget` seconds, raises TemplateProblem."""
    source = templates.load(name, override_dir)
    if not needs_worker(source):
        return [templates.render_source(source, context, budget) for context in contexts]
    if not contexts:
        return []
    with Worker() as worker:
        return [worker.render(source, context, budget) for context in contexts]


def render_note(name: str, context: Mapping[str, Any], override_dir: Path | None) -> str:
    return render_notes(name, [context], override_dir)[0]


def _memory_limit() -> tuple[int, int] | None:
    """(soft, hard) RLIMIT_AS for the worker, never above a hard limit already set."""
    if not sys.platform.startswith("linux"):
        return None
    import resource

    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    return (MEMORY_CAP if hard == resource.RLIM_INFINITY else min(MEMORY_CAP, hard), hard)


class Worker:
    """One spawned process (never forked: the tray has Qt threads) that renders until it
    is closed, or is killed when a render overruns."""

    def __init__(self) -> None:
        limit = _memory_limit()
        if limit is None:
            init: Callable[..., Any] | None = None
            args: tuple = ()
        else:
            import resource

            init, args = resource.setrlimit, (resource.RLIMIT_AS, limit)
        self._pool = multiprocessing.get_context("spawn").Pool(1, init, args)
        try:
            # Started, and the renderer imported, before any budget's clock runs.
            self.call(templates.tidy, "", timeout=START_SECONDS)
        except BaseException:
            self.close()
            raise

    def call(self, func: Callable[..., Any], *args: Any, timeout: float) -> Any:
        """func(*args) in the worker; multiprocessing.TimeoutError past `timeout`."""
        return self._pool.apply_async(func, args).get(timeout)

    def render(self, source: TemplateSource, context: Mapping[str, Any],
               budget: float) -> str:
        try:
            return self.call(templates.render_source, source, dict(context), budget,
                             timeout=budget + GRACE_SECONDS)
        except multiprocessing.TimeoutError:
            self.close()  # kills the render wherever it is
            raise TemplateProblem(
                f"The note template {source.name} ({source.where()}) took longer than "
                f"{budget:g} s to render and was stopped; fix or remove the override at "
                f"{source.path}.") from None
        except TemplateProblem as exc:  # re-raised without the worker's traceback
            raise TemplateProblem(str(exc)) from None

    def close(self) -> None:
        self._pool.terminate()
        self._pool.join()

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
