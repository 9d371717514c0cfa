"""The local Docker environment's settings; the Docker resources, re-exported.

The Docker resources (image, network, container, commit) are dynamic providers in
:mod:`components.dynamic.docker`; ``components.docker.<module>`` stays importable (same
modules) because state pickled before the move names those paths. See README.md beside this
file for the routing recipe of the secured calculator topology.
"""

from components.dynamic.base import STACK_LABEL, stack_labels
from components.dynamic.docker import (
    CommittedImage,
    CommittedImageArgs,
    CommittedImageProvider,
    Container,
    ContainerArgs,
    ContainerProvider,
    DockerUnavailableError,
    ForwardRule,
    LocalImage,
    LocalImageArgs,
    LocalImageProvider,
    Network,
    NetworkArgs,
    NetworkAttachment,
    NetworkProvider,
    PortBinding,
    Route,
    cleanup,
    context_hash,
    docker_client,
)

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
