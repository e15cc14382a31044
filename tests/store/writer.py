"""A second process that writes: `python -m tests.store.writer HOME CLINICIAN COUNT OFFSET`.

Each write is one manual entry through the real service (BEGIN IMMEDIATE, audit append).
Prints "locked" and exits 3 if a "database is locked" error ever reaches it.
"""

import sys
from datetime import UTC, datetime, timedelta

from ccm_timer.errors import DatabaseError
from ccm_timer.services.context import open_app
from ccm_timer.services.timing import entries


def main() -> int:
    home, clinician, count, offset = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    ctx = open_app(home)
    base = datetime(2026, 10, 1, tzinfo=UTC) + timedelta(days=offset)
    try:
        for i in range(count):
            start = base + timedelta(minutes=2 * i)
            entries.add_manual(
                ctx, patient_mrn="T1001", category_slug="phone-call", start=start,
                end=start + timedelta(minutes=1), clinician=clinician, note=f"w{offset}-{i}",
            )
    except DatabaseError as exc:
        print("locked:", exc)
        return 3
    finally:
        ctx.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
