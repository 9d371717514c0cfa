"""Docker as Pulumi dynamic providers (docker-py; no provider plugin needed).

See components/docker/README.md for the modules and the routing recipe of the secured
calculator topology.
"""

from components.dynamic.base import STACK_LABEL, stack_labels

from .cleanup import cleanup
from .client import DockerUnavailableError, docker_client
from .commit import CommittedImage, CommittedImageArgs, CommittedImageProvider
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

__all__ = [
    "STACK_LABEL",
    "CommittedImage",
    "CommittedImageArgs",
    "CommittedImageProvider",
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
