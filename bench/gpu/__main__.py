"""``python -m bench.gpu``: see :mod:`bench.gpu`."""

from __future__ import annotations

import sys

from bench.gpu.cli import main

if __name__ == "__main__":
    sys.exit(main())
