"""``python -m core.sweep``: see :mod:`core.sweep.cli`."""

import sys

from core.sweep.cli import main

sys.exit(main())
