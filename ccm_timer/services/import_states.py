"""The states an import leaves behind while it writes, named once: the importers
(services/people/roster_batches.py, services/timing/entry_import_batches.py) write them, and
the command line's plain timer path (services/timing/quick_open.py) reads them, without the
ORM, to leave an interrupted import to the full open, which takes it back."""

from __future__ import annotations

# A roster import's row in roster_import while it writes, when done, and once taken back.
ROSTER_WRITING, ROSTER_DONE, ROSTER_TAKEN_BACK = "writing", "done", "taken back"
# An entry import's audit events: it began, a batch, it ended, it was taken back.
ENTRY_BEGIN, ENTRY_BATCH, ENTRY_DONE, ENTRY_ROLLBACK = (
    "entry.import.begin", "entry.import.batch", "entry.import", "entry.import.rollback")
