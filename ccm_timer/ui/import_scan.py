"""PySide6 reads the whole source of every module imported after it; this stops that.

PySide6 replaces `__import__` to support its opt-in `from __feature__ import snake_case`.
After each import, `shibokensupport.feature.feature_imported` asks `_mod_uses_pyside`, which
calls `inspect.getsource(module)` and searches it for "PySide6" (napari#8584). Every source
line then stays in `linecache`: for the tray, SQLAlchemy, pydantic, SQLModel and our services
make 250,000 lines, about 26 MB kept for the life of the process, and the time to read them
at start. CCM Timer never switches a `__feature__` on, so the answer only has to be right for
modules that hold PySide6 objects, and those are found by a look at the module's names.
"""

from __future__ import annotations

import linecache
import sys
from types import ModuleType


def holds_pyside(module: ModuleType) -> bool:
    """PySide's question answered from what the module holds instead of its source text."""
    try:
        values = list(vars(module).values())
    except TypeError:  # an object without a __dict__ standing in sys.modules
        return False
    for value in values:
        try:
            name = value.__name__ if isinstance(value, ModuleType) else value.__module__
        except Exception:  # noqa: BLE001 - a proxy that cannot say: not PySide's
            continue
        if isinstance(name, str) and name.startswith(("PySide6", "shiboken6")):
            return True
    return False


def skip_source_scan() -> bool:
    """Install `holds_pyside` in PySide's import hook; False when this PySide has none (a
    later version may drop or rename it: then nothing changes)."""
    feature = sys.modules.get("shibokensupport.feature")
    if feature is None or not callable(getattr(feature, "_mod_uses_pyside", None)):
        return False
    setattr(feature, "_mod_uses_pyside", holds_pyside)  # noqa: B010 - a private name
    linecache.clearcache()  # what it read before: PySide's own modules and the stdlib's
    return True
