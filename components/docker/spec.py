"""Moved to :mod:`components.dynamic.base`; this path is the same module.

Kept for the imports of code written before the move (the providers' shared base).
"""

import importlib
import sys

# import_module, not `from package import name`: a package attribute may shadow the module.
_moved = importlib.import_module("components.dynamic.base")

sys.modules[__name__] = _moved
