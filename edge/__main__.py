"""``python -m edge``: see :mod:`edge.cli`."""

import sys

from edge.cli import main

sys.exit(main())
