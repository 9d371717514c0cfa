"""Settings of the local Docker environment (``cloudlab:docker``), parsed and validated."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from components.errors import ConfigError

CONFIG_KEY = "cloudlab:docker"

# Docker's reference grammar (distribution/reference): lower-case path components, an
# optional registry host[:port] in front, an optional tag and digest.
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_HOST = r"(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9-]+)*(?::[0-9]+)?/)"
_REFERENCE = re.compile(
    rf"^(?P<name>{_HOST}?{_COMPONENT}(?:/{_COMPONENT})*)"
    r"(?::(?P<tag>[\w][\w.-]{0,127}))?(?:@sha256:[a-f0-9]{64})?$"
)


def check_image_reference(value: Any, key: str) -> str:
    """``value`` if it is a valid Docker image reference, else a ConfigError naming ``key``.

    The labs hit "repository name must be lowercase" at ``docker commit``: caught here first.
    """
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(key, f"expected an image name, got {value!r}", "e.g. python:3.12-slim")
    if _REFERENCE.match(value):
        return value
    hint = "lower-case letters, digits and . _ - in the name, e.g. dockerpictures:version1"
    if value.lower() != value and _REFERENCE.match(value.split(":")[0].lower()):
        raise ConfigError(key, f"{value!r}: repository name must be lowercase", hint)
    raise ConfigError(key, f"{value!r} is not a valid image reference", hint)


@dataclass(frozen=True)
class DockerSettings:
    """Where and from what the local Docker labs are built."""

    base_image: str = "python:3.12-slim"
    """Image the services image is built FROM (needs python3; a local one offline)."""
    publish_host: str = "127.0.0.1"
    """Host address the public port is published on: the twin's floating IP."""
    publish_port: int | None = None
    """Host port of the calculator; ``None``: the calculator's own ``publicPort`` (the Docker
    lab's orchestration row published ``800 -> 80``)."""


def parse_docker_settings(raw: Mapping[str, Any] | None) -> DockerSettings:
    """Validate the raw ``cloudlab:docker`` object; missing keys take the defaults."""
    raw = {} if raw is None else raw
    keys = {"baseImage", "publishHost", "publishPort"}
    if not isinstance(raw, Mapping):
        raise ConfigError(CONFIG_KEY, f"expected an object, got {raw!r}", ", ".join(sorted(keys)))
    unknown = sorted(set(raw) - keys)
    if unknown:
        raise ConfigError(f"{CONFIG_KEY}.{unknown[0]}", "unknown setting", ", ".join(sorted(keys)))
    d = DockerSettings()
    host = raw.get("publishHost", d.publish_host)
    try:
        address = ipaddress.IPv4Address(host)
    except (ValueError, TypeError):
        raise ConfigError(
            f"{CONFIG_KEY}.publishHost",
            f"{host!r} is not an IPv4 address",
            "127.0.0.1 (this machine only) or an address of this host",
        ) from None
    port = raw.get("publishPort", d.publish_port)
    if port is not None and (
        isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535
    ):
        raise ConfigError(
            f"{CONFIG_KEY}.publishPort", f"expected a TCP port number, got {port!r}", "1-65535"
        )
    return DockerSettings(
        base_image=check_image_reference(
            raw.get("baseImage", d.base_image), f"{CONFIG_KEY}.baseImage"
        ),
        publish_host=str(address),
        publish_port=port,
    )
