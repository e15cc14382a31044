"""The bundle's entry point: the same `main()` as the `ccm-timer` console script.

PyInstaller needs a script file; `ccm_timer/__main__.py` would do, but analysing a script
inside the package puts the package folder itself on the import path.
"""

import sys

from ccm_timer.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
