"""Moved to :mod:`components.calculator.docker_twin` (the calculator lab's package); this path
is the same module, kept for the imports of code written before the move (bench/)."""

import importlib
import sys

sys.modules[__name__] = importlib.import_module("components.calculator.docker_twin")
