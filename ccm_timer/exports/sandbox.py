"""A Jinja2 environment for user-editable note templates that a hostile template cannot
escape, hang or use to exhaust memory (reliability R6.3).

Jinja's sandbox stops attribute escapes but, as its own docs warn, not CPU or memory
exhaustion. So on top of `ImmutableSandboxedEnvironment`:

- whitelists: the attributes, filters and globals a plain-text note needs, nothing else
  (no `str.format`, no `attr`, no `namespace`, no `include`);
- every operation that can grow a value (`*`, `+`, `**`, `~`, `join`, `indent`, `replace`,
  `sum`, `range`, list and dict literals, captured blocks) checks the size of its result
  *before* building it, counting nested values as often as they appear (`[[1] * 9999] *
  9999` holds 10**8 items through shared references), and every filter's result after;
- a time budget enforced inside the template's own frames (a line tracer), so a loop that
  prints nothing still stops. Work in C or in library frames (a filter chain consumed by
  `in`) is out of its reach: services/exports/render_worker.py runs a user's template in a
  process it kills at the deadline.
"""

from __future__ import annotations

import functools
import math
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from jinja2 import StrictUndefined, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.filters import FILTERS
from jinja2.runtime import LoopContext
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import _PassArg

MAX_CHARS = 200_000  # any text or list a template builds, and the whole output
MAX_RANGE = 10_000
MAX_INT_BITS = 4_096
# Each nested macro call costs several C frames: stop long before the C stack could
# overflow (a crash, not an exception) whatever the interpreter's recursion limit is.
MAX_CALL_DEPTH = 40
MAX_NESTING = 100  # lists in lists; deeper is no note, and would recurse in repr()
TEMPLATE_FILENAME = "<template>"  # the code filename Jinja gives templates from strings


class RenderTimeout(SecurityError):
    """The template ran past its time budget."""


class TooBig(SecurityError):
    """The template tried to build a value larger than MAX_CHARS."""


class TooDeep(SecurityError):
    """Macros or recursive loops nested deeper than MAX_CALL_DEPTH."""


_SAFE_ATTRS: dict[type, frozenset[str]] = {
    str: frozenset({
        "upper", "lower", "title", "capitalize", "strip", "lstrip", "rstrip", "startswith",
        "endswith", "replace", "split", "splitlines", "isdigit", "isalpha", "isspace",
        "count", "find",
    }),
    dict: frozenset({"items", "keys", "values", "get"}),
    list: frozenset({"count", "index"}),
    tuple: frozenset({"count", "index"}),
    LoopContext: frozenset({
        "index", "index0", "revindex", "revindex0", "first", "last", "length", "depth",
        "depth0", "previtem", "nextitem", "cycle", "changed",
    }),
}

_SAFE_FILTERS = (
    "abs", "batch", "capitalize", "center", "count", "d", "default", "dictsort", "first",
    "float", "groupby", "indent", "int", "items", "join", "last", "length", "list", "lower",
    "map", "max", "min", "reject", "rejectattr", "replace", "reverse", "round", "select",
    "selectattr", "slice", "sort", "string", "sum", "title", "trim", "truncate", "unique",
    "upper", "wordcount", "wordwrap",
)


def _size(value: Any) -> int:
    if isinstance(value, str | list | tuple | dict):
        return len(value)
    return 0


def _check_chars(count: int) -> None:
    if count > MAX_CHARS:
        raise TooBig(f"it would build a value of {count:,} characters or items "
                     f"(at most {MAX_CHARS:,})")


def weight(value: Any, limit: int = MAX_CHARS) -> int:
    """The characters and items `value` holds, a nested value counted each time it appears
    (about what printing it costs). A value met again is looked up, not walked, and counting
    stops past `limit`: the cost is bounded by the distinct values, not the printed size."""
    seen: dict[int, int] = {}

    def walk(item: Any, depth: int) -> int:
        if isinstance(item, str):
            return len(item)
        if isinstance(item, int) and not isinstance(item, bool):
            digits = item.bit_length() * 3 // 10
            return digits if digits > 20 else 1  # an item, or a number as long as a text
        if not isinstance(item, list | tuple | dict):
            return 1
        if id(item) in seen:
            return seen[id(item)]
        if depth >= MAX_NESTING:
            raise TooBig(f"it nests lists more than {MAX_NESTING} deep")
        parts = (p for pair in item.items() for p in pair) if isinstance(item, dict) else item
        total = 0
        for part in parts:
            total += max(1, walk(part, depth + 1))
            if total > limit:
                break
        seen[id(item)] = total
        return total

    return walk(value, 0)


def _check_weight(value: Any) -> Any:
    _check_chars(weight(value))
    return value


def _check_number(value: Any) -> None:
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > (
        MAX_INT_BITS
    ):
        raise TooBig(f"a number has more than {MAX_INT_BITS} bits")


def bounded_range(*args: int) -> range:
    for arg in args:
        _check_number(arg)
    rng = range(*args)
    if len(rng) > MAX_RANGE:
        raise TooBig(f"range() of {len(rng):,} items (at most {MAX_RANGE:,})")
    return rng


def _materialized(value: Any) -> list[Any]:
    """A list of `value`'s items, refused as soon as they grow past the limit (a filter
    chain such as `map` yields items no one has counted yet)."""
    if not isinstance(value, Iterator):
        items = list(value)
        _check_chars(len(items))
        return items
    items, total = [], 0
    for item in value:
        total += max(1, weight(item))
        _check_chars(total)
        items.append(item)
    return items


def _pre_join(args: tuple, kwargs: dict) -> tuple[tuple, dict]:
    eval_ctx, value, *rest = args  # the filter takes the eval context first
    items = _materialized(value)
    sep = rest[0] if rest else kwargs.get("d", "")
    _check_chars(sum(weight(i) for i in items) + weight(sep) * max(0, len(items) - 1))
    return (eval_ctx, items, *rest), kwargs


def _pre_indent(args: tuple, kwargs: dict) -> tuple[tuple, dict]:
    text = str(args[0])
    width = args[1] if len(args) > 1 else kwargs.get("width", 4)
    pad = len(width) if isinstance(width, str) else int(width)
    _check_chars(len(text) + (text.count("\n") + 1) * pad)
    return args, kwargs


def _replace_size(text: str, old: str, new: str, count: int | None = None) -> int:
    hits = text.count(old) if old else len(text) + 1
    if count is not None and count >= 0:
        hits = min(hits, count)
    return len(text) + hits * max(0, len(new) - len(old))


def _pre_replace(args: tuple, kwargs: dict) -> tuple[tuple, dict]:
    # the filter takes the eval context first
    text, old, new = (str(a) for a in args[1:4])
    _check_chars(_replace_size(text, old, new, args[4] if len(args) > 4 else None))
    return args, kwargs


def _pre_sum(args: tuple, kwargs: dict) -> tuple[tuple, dict]:
    items = _materialized(args[1])  # the filter takes the environment first
    _check_chars(sum(weight(i) for i in items) + weight(kwargs.get("start", 0)))
    return (args[0], items, *args[2:]), kwargs


def _pre_sized(args: tuple, kwargs: dict) -> tuple[tuple, dict]:
    """center, batch, slice, wordwrap, truncate: a size argument bounds the result."""
    for value in (*args[1:], *kwargs.values()):
        if isinstance(value, int) and not isinstance(value, bool) and value > MAX_RANGE:
            raise TooBig(f"a size of {value:,} (at most {MAX_RANGE:,})")
    return args, kwargs


_PRE: dict[str, Callable[[tuple, dict], tuple[tuple, dict]]] = {
    "join": _pre_join, "indent": _pre_indent, "replace": _pre_replace, "sum": _pre_sum,
    "center": _pre_sized, "batch": _pre_sized, "slice": _pre_sized, "wordwrap": _pre_sized,
    "truncate": _pre_sized,
}


# Filters that pass an iterator on lazily; every other filter gets its input as a list
# counted while it is built.
_LAZY = frozenset({"map", "select", "reject", "selectattr", "rejectattr", "batch", "first"})


def _guarded(name: str, func: Callable) -> Callable:
    check = _PRE.get(name)
    at = 0 if _PassArg.from_obj(func) is None else 1  # the value follows a passed context
    lazy = name in _LAZY

    @functools.wraps(func)  # keeps Jinja's pass_context/pass_environment marker
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not lazy and len(args) > at and isinstance(args[at], Iterator):
            args = (*args[:at], _materialized(args[at]), *args[at + 1:])
        if check is not None:
            args, kwargs = check(args, kwargs)
        return _check_weight(func(*args, **kwargs))

    return wrapper


class _BoundedBuilds(CodeGenerator):
    """`a ~ b` and list, tuple and dict literals go through the environment, which checks
    their size (`[a, a, a]` with a big `a`, ten times over, is a value too)."""

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.bounded_concat((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")

    def _checked(self, visit: Callable, node: nodes.Node, frame: Frame) -> None:
        self.write("environment.checked(")
        visit(node, frame)
        self.write(")")

    def visit_List(self, node: nodes.List, frame: Frame) -> None:
        self._checked(super().visit_List, node, frame)

    def visit_Dict(self, node: nodes.Dict, frame: Frame) -> None:
        self._checked(super().visit_Dict, node, frame)

    def visit_Tuple(self, node: nodes.Tuple, frame: Frame) -> None:
        if node.ctx != "load":  # `{% for a, b in ... %}`: an assignment target
            return super().visit_Tuple(node, frame)
        self._checked(super().visit_Tuple, node, frame)


_calls = threading.local()  # call depth per rendering thread


class NoteSandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "+", "**", "%"})
    code_generator_class = _BoundedBuilds

    def __init__(self) -> None:
        super().__init__(undefined=StrictUndefined, autoescape=False, trim_blocks=True,
                         lstrip_blocks=True, keep_trailing_newline=True, cache_size=0)
        self.globals.clear()  # no lipsum, cycler, joiner, namespace, dict
        self.globals["range"] = bounded_range
        self.filters = {name: _guarded(name, FILTERS[name]) for name in _SAFE_FILTERS}
        self.finalize = _check_weight  # `{{ value }}`: sized before str() prints it

    checked = staticmethod(_check_weight)

    @staticmethod
    def concat(parts: Iterable[str]) -> str:
        """A captured block (`{% set x %}`, a macro's body) joined, counting as it goes."""
        texts, total = [], 0
        for text in parts:
            total += len(text)
            _check_chars(total)
            texts.append(text)
        return "".join(texts)

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if not super().is_safe_attribute(obj, attr, value):
            return False
        allowed = next((names for kind, names in _SAFE_ATTRS.items()
                        if isinstance(obj, kind)), frozenset())
        return attr in allowed

    def wrap_str_format(self, value: Any) -> None:
        return None  # str.format and format_map are not on the whitelist at all

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        owner = getattr(__obj, "__self__", None)
        if isinstance(owner, str) and getattr(__obj, "__name__", "") == "replace" and args:
            count = args[2] if len(args) > 2 else kwargs.get("count")
            _check_chars(_replace_size(owner, str(args[0]), str(args[1]) if len(args) > 1
                                       else "", count))
        depth = getattr(_calls, "depth", 0)
        if depth >= MAX_CALL_DEPTH:
            raise TooDeep(f"calls nest more than {MAX_CALL_DEPTH} deep")
        _calls.depth = depth + 1
        try:
            return _check_weight(super().call(__context, __obj, *args, **kwargs))
        finally:
            _calls.depth = depth

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "%" and isinstance(left, str):
            raise SecurityError("text formatting with % is not allowed; use ~ to join text")
        if operator == "*":
            if isinstance(left, int) and isinstance(right, int):
                if left.bit_length() + right.bit_length() > MAX_INT_BITS:
                    raise TooBig(f"a number has more than {MAX_INT_BITS} bits")
            elif isinstance(right, int) and _size(left):
                _check_chars(_size(left) * right)
                _check_chars(weight(left) * right)
            elif isinstance(left, int) and _size(right):
                _check_chars(_size(right) * left)
                _check_chars(weight(right) * left)
        elif operator == "+" and _size(left) and _size(right):
            _check_chars(_size(left) + _size(right))
            _check_chars(weight(left) + weight(right))
        elif operator == "**" and isinstance(left, int) and isinstance(right, int):
            if right > 0 and abs(left) > 1 and left.bit_length() * right > MAX_INT_BITS:
                raise TooBig(f"a number has more than {MAX_INT_BITS} bits")
        result = super().call_binop(context, operator, left, right)
        _check_number(result)
        return result

    def bounded_concat(self, parts: Iterable[Any]) -> str:
        parts = list(parts)
        _check_chars(sum(weight(p) for p in parts))  # before str() of a nested list
        texts = [str(p) for p in parts]
        _check_chars(sum(len(t) for t in texts))
        return "".join(texts)


def check_nodes(tree: nodes.Template) -> tuple[str, int] | None:
    """(what is refused, line) for a construct templates may not use, or None."""
    for node in tree.find_all((nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)):
        return "including, importing or extending other templates is not allowed", node.lineno
    return None


class Budget:
    """A line tracer, active only in template frames, that stops the render at its
    deadline. sys.settrace is per thread: renders on other threads keep their own."""

    def __init__(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds
        self.seconds = seconds

    def check(self) -> None:
        if time.monotonic() > self.deadline:
            raise RenderTimeout(f"it ran past its time limit of {self.seconds:g} s")

    def disarm(self) -> None:
        """After the render: closing its generators must not raise a timeout nobody can
        catch ("Exception ignored in generator")."""
        self.deadline = math.inf

    def _local(self, frame: Any, event: str, arg: Any) -> Any:
        if event == "line":
            self.check()
        return self._local

    def tracer(self, frame: Any, event: str, arg: Any) -> Any:
        if event == "call" and frame.f_code.co_filename == TEMPLATE_FILENAME:
            self.check()
            return self._local
        return None
