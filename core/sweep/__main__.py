"""``python -m core.sweep``: see :func:`core.sweep.run.main`."""

import sys

from core.sweep.run import main

sys.exit(main())
