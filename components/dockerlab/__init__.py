"""The Docker lab (docs/labs/docker.md) on this machine's Docker engine. See README.md."""

from .lab import DockerLab, DockerLabArgs
from .settings import DockerLabSettings, parse_dockerlab_settings

__all__ = ["DockerLab", "DockerLabArgs", "DockerLabSettings", "parse_dockerlab_settings"]
