"""``python -m skrb``: the ``skrb`` command line."""

import sys

from skrb.cli import main

if __name__ == "__main__":
    sys.exit(main())
