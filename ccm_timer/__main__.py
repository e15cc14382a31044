import sys

from ccm_timer.cli.main import main

sys.exit(main())
