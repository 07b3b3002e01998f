"""``python -m core.fewshot``: see :mod:`core.fewshot.cli`."""

import sys

from core.fewshot.cli import main

sys.exit(main())
