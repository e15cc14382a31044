"""A pulling process for crash tests: one pull from the hub target "hub", killing itself
(SIGKILL, as `kill -9`) at a named step. Usage: pull_child.py HOME PASSWORD STEP"""

from __future__ import annotations

import os
import signal
import sys

from ccm_timer.services.context import open_app
from ccm_timer.services.delivery import hub_pull, targets


def main() -> None:
    home, password, kill_at = sys.argv[1], sys.argv[2], sys.argv[3]
    ctx = open_app(home)

    def on_step(name: str) -> None:
        if name == kill_at:
            print(f"killed at {name}", flush=True)
            os.kill(os.getpid(), signal.SIGKILL)

    report = hub_pull.pull(ctx, targets.get(ctx, "hub"), password=password, on_step=on_step)
    print(f"took {report.entries}", flush=True)


if __name__ == "__main__":
    main()
