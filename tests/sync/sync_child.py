"""A syncing process for crash tests: one delivery pass, killing itself (SIGKILL, as
`kill -9`) at a named step of the first delivery. Usage: sync_child.py HOME STEP"""

from __future__ import annotations

import os
import signal
import sys
from datetime import timedelta

from ccm_timer.services.context import open_app
from ccm_timer.sync.worker import Worker


def main() -> None:
    home, kill_at = sys.argv[1], sys.argv[2]
    ctx = open_app(home)

    def on_step(name: str, parcel) -> None:
        if name == kill_at:
            print(f"killed at {name}", flush=True)
            os.kill(os.getpid(), signal.SIGKILL)

    worker = Worker(ctx, timeout=10, lease=timedelta(minutes=5), on_step=on_step)
    report = worker.run_once()
    print(f"delivered {report.delivered}", flush=True)


if __name__ == "__main__":
    main()
