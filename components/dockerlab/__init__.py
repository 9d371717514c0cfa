"""The Docker lab (docs/labs/docker.md) on this machine's Docker engine. See README.md."""

from .lab import DockerLab, DockerLabArgs
from .settings import DockerLabSettings

__all__ = ["DockerLab", "DockerLabArgs", "DockerLabSettings"]
