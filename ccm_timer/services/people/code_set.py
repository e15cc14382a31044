"""The ICD-10-CM code set, from the simple-icd-10-cm package, and an index of what we ask
of it.

The package parses its 30 MB of XML when imported (about two seconds), so a `condition add`
would pay that every time. What the app asks of it (is a code in the set, is it billable,
its description, a few billable codes under a category) is written once per installed
release to the user's cache folder (paths.cache_dir) as a plain text index, and read from
there in milliseconds: public reference data, nothing of a clinic's. The index is keyed by
the package's version and the size and time of its data files, so an upgraded package is
indexed again; a missing, foreign or damaged index is rebuilt from the package, and a cache
folder that cannot be written costs only the speed.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import warnings
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType

from ccm_timer import fsio, paths

_FORMAT = "ccm-timer-icd10cm-index/1"
_EXAMPLES = 3  # billable codes suggested for a category


@dataclass(frozen=True, slots=True)
class CodeInfo:
    code: str  # with its dot
    description: str
    billable: bool  # a leaf of the classification: what a claim may carry
    examples: tuple[str, ...] = ()  # for a category: some of its billable codes


def _package() -> ModuleType:
    with warnings.catch_warnings():  # it reads its data with a deprecated importlib call
        warnings.simplefilter("ignore", DeprecationWarning)
        import simple_icd_10_cm
    return simple_icd_10_cm


def _stamp() -> str:
    """The installed release: its version and its data files' sizes and times."""
    spec = importlib.util.find_spec("simple_icd_10_cm")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("simple_icd_10_cm")
    data = Path(spec.origin).parent / "data"
    files = sorted(f for f in data.iterdir() if f.suffix in (".txt", ".xml"))
    parts = [importlib.metadata.version("simple-icd-10-cm")]
    parts += [f"{f.name}:{f.stat().st_size}:{f.stat().st_mtime_ns}" for f in files]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def _first_billable(icd: ModuleType, code: str) -> list[str]:
    found: list[str] = []
    queue = list(icd.get_children(code))
    while queue and len(found) < _EXAMPLES:
        item = queue.pop(0)
        if icd.is_leaf(item):
            found.append(item)  # children come with their dots, as their parent
        else:
            queue[0:0] = icd.get_children(item)
    return found


def _build() -> str:
    """One line per code: code, 1 or 0 (billable), description, examples (comma-joined)."""
    icd = _package()
    lines = []
    for code in icd.get_all_codes(True):
        if icd.is_chapter_or_block(code):
            continue
        leaf = icd.is_leaf(code)
        examples = "" if leaf else ",".join(_first_billable(icd, code))
        description = " ".join(icd.get_description(code).split())  # no tab, no newline
        lines.append(f"{code}\t{int(leaf)}\t{description}\t{examples}")
    return "\n".join(lines)


@cache
def _index() -> str:
    """The index text, starting with a newline so every line can be found as "\\ncode\\t"."""
    stamp = _stamp()
    path = paths.cache_dir() / f"icd10cm-{stamp}.tsv"
    header = f"{_FORMAT}\t{stamp}\n"
    try:
        text = path.read_text(encoding="utf-8")
        if text.startswith(header) and text.endswith("\n#end\n"):
            return "\n" + text[len(header):]
    except (OSError, UnicodeDecodeError):
        pass
    body = _build()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fsio.write_atomic(path, (header + body + "\n#end\n").encode("utf-8"))
        for older in path.parent.glob("icd10cm-*.tsv"):  # an earlier release's index
            if older != path:
                older.unlink(missing_ok=True)
    except OSError:
        pass  # read-only or full: the next run builds it again
    return "\n" + body + "\n"


def warm() -> None:
    """Read (or build) the index now: for a window that loads it off its UI thread."""
    _index()


def find(code: str) -> CodeInfo | None:
    """A normalised code (with its dot, core.conditions.normalise) in the code set."""
    text = _index()
    at = text.find(f"\n{code}\t")
    if at < 0:
        return None
    line = text[at + 1 : text.index("\n", at + 1)]
    _, leaf, description, examples = line.split("\t")
    return CodeInfo(code, description, leaf == "1",
                    tuple(e for e in examples.split(",") if e))
