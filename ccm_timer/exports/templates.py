"""Note templates: the defaults in resources/templates/, each overridable by a file of the
same name in the user's settings folder (settings_dir/templates/).

Template names are fixed by the app, never chosen by the user (CVE-2024-56201). A template
that fails to parse, escapes the sandbox, runs too long or builds too much raises
TemplateProblem: one sentence naming the template, where it lives and the line.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Generator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

from jinja2 import Template, TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.exceptions import SecurityError

from ccm_timer.errors import UserError
from ccm_timer.exports import sandbox
from ccm_timer.paths import resource

ENTRY_NOTE = "entry-note.txt"
MONTH_SUMMARY = "month-summary.txt"
NAMES = (ENTRY_NOTE, MONTH_SUMMARY)
MAX_TEMPLATE_BYTES = 64 * 1024
TIME_BUDGET_SECONDS = 2.0


class TemplateProblem(UserError):
    """A template could not be used; nothing was rendered."""


@dataclass(frozen=True)
class TemplateSource:
    name: str
    text: str
    path: Path
    custom: bool  # the user's copy rather than the built-in one

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def where(self) -> str:
        return f"your copy {self.path}" if self.custom else "the built-in one"


def default_dir() -> Path:
    return resource("templates")


def load(name: str, override_dir: Path | None = None) -> TemplateSource:
    if name not in NAMES:
        raise ValueError(f"unknown template {name!r}")  # a programming error, not input
    custom = override_dir / name if override_dir is not None else None
    path = custom if custom is not None and custom.is_file() else default_dir() / name
    is_custom = path == custom
    try:
        if path.stat().st_size > MAX_TEMPLATE_BYTES:
            raise TemplateProblem(
                f"The note template {name} ({_where(path, is_custom)}) is larger than "
                f"{MAX_TEMPLATE_BYTES // 1024} KiB; shorten it or delete it to use the default."
            )
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise TemplateProblem(
            f"The note template {name} ({_where(path, is_custom)}) is not UTF-8 text; save it "
            "as UTF-8 or delete it to use the default."
        ) from None
    except OSError as exc:
        raise TemplateProblem(
            f"The note template {name} ({_where(path, is_custom)}) cannot be read "
            f"({exc.strerror or exc}); fix its permissions or delete it."
        ) from None
    return TemplateSource(name, text, path, is_custom)


def _where(path: Path, custom: bool) -> str:
    return f"your copy {path}" if custom else "the built-in one"


def _fix(source: TemplateSource) -> str:
    if source.custom:
        return "fix it or delete that file to use the default"
    return "please report this"


_ENV = sandbox.NoteSandbox()


@lru_cache(maxsize=16)
def _compiled(name: str, text: str, where: str, fix: str) -> Template:
    try:
        tree = _ENV.parse(text, name=name)
        refused = sandbox.check_nodes(tree)
        if refused:
            what, line = refused
            raise TemplateProblem(f"The note template {name} ({where}) is refused at line "
                                  f"{line}: {what}; {fix}.")
        return _ENV.from_string(tree)
    except TemplateSyntaxError as exc:
        what = (exc.message or "syntax error").rstrip(".")
        raise TemplateProblem(f"The note template {name} ({where}) has an error at line "
                              f"{exc.lineno}: {what}; {fix}.") from None


def _template_line(tb: Any) -> int | None:
    """The innermost template line in a traceback (Jinja rewrites template frames)."""
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == sandbox.TEMPLATE_FILENAME:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _explain(exc: BaseException) -> str:
    text = str(exc).rstrip(".")
    if isinstance(exc, sandbox.RenderTimeout):
        return text
    if isinstance(exc, sandbox.TooDeep | RecursionError):
        return "it calls itself too deeply"
    if isinstance(exc, sandbox.TooBig):
        return f"it is too big: {text}"
    if isinstance(exc, SecurityError):
        return f"it tried something templates may not do ({text})"
    if isinstance(exc, UndefinedError):
        return f"it uses something that does not exist ({text})"
    if isinstance(exc, MemoryError):
        return "it ran out of memory"
    return f"{type(exc).__name__}: {text}"


def render_source(source: TemplateSource, context: Mapping[str, Any],
                  budget: float = TIME_BUDGET_SECONDS) -> str:
    """Render plain data (dicts, lists, strings, numbers) with the sandbox and budgets."""
    where, fix = source.where(), _fix(source)
    template = _compiled(source.name, source.text, where, fix)
    clock = sandbox.Budget(budget)
    previous = sys.gettrace()
    parts: list[str] = []
    size = 0
    stream = cast(Generator[str, None, None], template.generate(dict(context)))
    sys.settrace(clock.tracer)
    try:
        for chunk in stream:
            size += len(chunk)
            if size > sandbox.MAX_CHARS:
                raise sandbox.TooBig(f"its output passed {sandbox.MAX_CHARS:,} characters")
            parts.append(chunk)
            clock.check()
    except (TemplateError, RecursionError, MemoryError, ArithmeticError, TypeError,
            ValueError, LookupError, AttributeError) as exc:
        line = _template_line(exc.__traceback__)
        at = f" at line {line}" if line else ""
        raise TemplateProblem(f"The note template {source.name} ({where}) failed{at}: "
                              f"{_explain(exc)}; {fix}.") from None
    finally:
        clock.disarm()
        stream.close()  # now, not whenever it is collected
        sys.settrace(previous)
    return tidy("".join(parts))


def render(name: str, context: Mapping[str, Any], override_dir: Path | None = None,
           budget: float = TIME_BUDGET_SECONDS) -> str:
    return render_source(load(name, override_dir), context, budget)


def tidy(text: str) -> str:
    """What pastes cleanly into an EHR text box: no trailing spaces, at most one blank line
    in a row, one final newline."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n")
             .split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out) + "\n"
