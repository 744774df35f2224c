"""``python -m elu_numba``: the ``elu-numba`` command (the demo when given no arguments)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
