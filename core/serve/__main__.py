"""``python -m core.serve ADAPTER_FOLDER``: see :mod:`core.serve.cli`."""

import sys

from core.serve.cli import main

if __name__ == "__main__":
    sys.exit(main())
