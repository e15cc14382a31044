"""The guard that keeps the collector out of the month report's run. (The overlaps the
report lists are found and kept by store/month_overlaps.py.)"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def no_gc_pauses() -> Iterator[None]:
    """The report makes tens of thousands of small objects and no cycles; each collector
    pass they trigger walks the whole heap (the ORM's, the app's), which cost more than the
    report's own work. Collection resumes after it, as it was."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
