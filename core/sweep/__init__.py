"""Sweeps: a grid of prompt length x learning rate for a prompt method, one run per point.

The grid and its checks are in :mod:`core.sweep.grid`, running and recording in
:mod:`core.sweep.run`; ``python -m core.sweep`` is the command line.
"""

from core.sweep.run import *  # noqa: F403 - the package's public names are those of run
from core.sweep.run import __all__  # noqa: F401
