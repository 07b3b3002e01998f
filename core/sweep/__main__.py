"""``python -m core.sweep``: see :mod:`core.sweep.cli`."""

import sys

from core.memory import freeze_loaded
from core.sweep.cli import main

freeze_loaded()  # many runs in one process: collections need not walk the libraries
sys.exit(main())
