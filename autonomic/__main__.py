"""``python -m autonomic {run,plan,cleanup}``."""

import sys

from autonomic.cli import main

sys.exit(main())
