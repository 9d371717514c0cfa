"""How providers get a docker-py client.

Providers call :func:`docker_client` inside their methods (never at import time, never stored on
the provider object) so they pickle cleanly for Pulumi's dynamic-provider serialization.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import docker


class DockerUnavailableError(RuntimeError):
    """The Docker engine does not answer."""


def docker_client(timeout: int = 120) -> docker.DockerClient:
    """A client from the environment (``DOCKER_HOST`` etc.), API version negotiated, engine pinged.

    Raises :class:`DockerUnavailableError` with a hint when the engine is unreachable.
    """
    import docker
    import docker.errors

    where = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    try:
        client = docker.from_env(version="auto", timeout=timeout)
        client.ping()
    except (docker.errors.DockerException, OSError) as exc:
        raise DockerUnavailableError(
            f"Docker engine unreachable at {where}: {exc}. "
            "Start it with scripts/docker-engine.sh (or set DOCKER_HOST)."
        ) from exc
    return client
