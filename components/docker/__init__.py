"""The local Docker environment's settings; the Docker resources, re-exported.

The Docker resources (image, network, container, commit) are dynamic providers in
:mod:`components.dynamic.docker`; ``components.docker.<module>`` stays importable (same
modules) because state pickled before the move names those paths. See README.md beside this
file for the routing recipe of the secured calculator topology.
"""

from components.dynamic import docker as _stand_ins
from components.dynamic.docker import *  # noqa: F403 - the same names, under the old path

__all__ = _stand_ins.__all__
