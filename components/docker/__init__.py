"""cloudlab's Docker resources, as Pulumi dynamic providers (no provider plugin needed).

See README.md for the routing recipe of the secured calculator topology.
"""

from .cleanup import cleanup
from .client import DockerUnavailableError, docker_client
from .container import (
    Container,
    ContainerArgs,
    ContainerProvider,
    ForwardRule,
    NetworkAttachment,
    PortBinding,
    Route,
)
from .image import LocalImage, LocalImageArgs, LocalImageProvider, context_hash
from .network import Network, NetworkArgs, NetworkProvider
from .spec import STACK_LABEL, stack_labels

__all__ = [
    "STACK_LABEL",
    "Container",
    "ContainerArgs",
    "ContainerProvider",
    "DockerUnavailableError",
    "ForwardRule",
    "LocalImage",
    "LocalImageArgs",
    "LocalImageProvider",
    "Network",
    "NetworkArgs",
    "NetworkAttachment",
    "NetworkProvider",
    "PortBinding",
    "Route",
    "cleanup",
    "context_hash",
    "docker_client",
    "stack_labels",
]
