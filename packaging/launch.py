"""The bundle's entry point: the same `main()` as the `ccm-timer` console script.

PyInstaller needs a script file; `ccm_timer/__main__.py` would do, but analysing a script
inside the package puts the package folder itself on the import path.
"""

import multiprocessing
import sys

from ccm_timer.cli.main import main

if __name__ == "__main__":
    # A user's note template renders in a spawned worker (services/exports/render_worker.py);
    # in the bundle that worker is this program again, which must run it and nothing else.
    multiprocessing.freeze_support()
    sys.exit(main())
