"""Moved to :mod:`components.dynamic.command`; this path is the same module.

Kept because the engine stores dynamic providers pickled by module path: state written
before the move names ``components.local.command``.
"""

import importlib
import sys

# import_module, not `from package import name`: a package attribute may shadow the module.
_moved = importlib.import_module("components.dynamic.command")

sys.modules[__name__] = _moved
