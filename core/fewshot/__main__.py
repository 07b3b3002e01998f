"""``python -m core.fewshot``: see :mod:`core.fewshot.cli`."""

import sys

from core.fewshot.cli import main
from core.memory import freeze_loaded

freeze_loaded()  # many runs in one process: collections need not walk the libraries
sys.exit(main())
