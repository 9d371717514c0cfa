"""Settings of the local Docker environment (``cloudlab:docker``), parsed and validated."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from components.errors import ConfigError
from components.validation import int_in_range, ipv4_address, object_with_keys

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
    raw = object_with_keys(
        {} if raw is None else raw, CONFIG_KEY, ("baseImage", "publishHost", "publishPort")
    )
    d = DockerSettings()
    address = ipv4_address(
        raw.get("publishHost", d.publish_host),
        f"{CONFIG_KEY}.publishHost",
        "127.0.0.1 (this machine only) or an address of this host",
    )
    port = raw.get("publishPort", d.publish_port)
    if port is not None:
        # Unlike the other ports, no digit strings: None (the default) means "not set".
        port = int_in_range(
            port, f"{CONFIG_KEY}.publishPort", 1, 65535, "a TCP port number", accept_text=False
        )
    return DockerSettings(
        base_image=check_image_reference(
            raw.get("baseImage", d.base_image), f"{CONFIG_KEY}.baseImage"
        ),
        publish_host=str(address),
        publish_port=port,
    )
