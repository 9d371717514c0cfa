"""Settings of the local Docker environment: the ``cloudlab:docker`` model."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from components.settings import (
    ConfigModel,
    Int,
    IPv4Address,
    field_type,
    invalid,
)

CONFIG_KEY = "cloudlab:docker"

# Docker's reference grammar (distribution/reference): lower-case path components, an
# optional registry host[:port] in front, an optional tag and digest.
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_HOST = r"(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9-]+)*(?::[0-9]+)?/)"
_REFERENCE = re.compile(
    rf"^(?P<name>{_HOST}?{_COMPONENT}(?:/{_COMPONENT})*)"
    r"(?::(?P<tag>[\w][\w.-]{0,127}))?(?:@sha256:[a-f0-9]{64})?$"
)
PUBLISH_HOSTS = "127.0.0.1 (this machine only) or an address of this host"


def check_image_reference(value: Any) -> str:
    """``value`` if it is a valid Docker image reference.

    The labs hit "repository name must be lowercase" at ``docker commit``: caught here first.
    """
    if not isinstance(value, str) or not value.strip():
        raise invalid(f"expected an image name, got {value!r}", "e.g. python:3.12-slim")
    if _REFERENCE.match(value):
        return value
    hint = "lower-case letters, digits and . _ - in the name, e.g. dockerpictures:version1"
    if value.lower() != value and _REFERENCE.match(value.split(":")[0].lower()):
        raise invalid(f"{value!r}: repository name must be lowercase", hint)
    raise invalid(f"{value!r} is not a valid image reference", hint)


ImageReference = field_type("Docker image reference, lower case", check_image_reference)


class DockerSettings(ConfigModel):
    """Where and from what the local Docker labs are built (``cloudlab:docker``)."""

    base_image: ImageReference = "python:3.12-slim"
    """Image the services image is built FROM (needs python3; a local one offline)."""
    publish_host: IPv4Address(PUBLISH_HOSTS) = "127.0.0.1"
    """Host address the public port is published on: the twin's floating IP."""
    # Unlike the other ports, no digit strings: null (the default) means "not set".
    publish_port: Int(1, 65535, "a TCP port number", accept_text=False, optional=True) = None
    """Host port of the calculator; unset: the calculator's own ``publicPort`` (the Docker
    lab's orchestration row published ``800 -> 80``)."""

    def exposure_warning(self) -> str | None:
        """A warning when the published port is reachable from other machines."""
        if ipaddress.ip_address(self.publish_host).is_loopback:
            return None
        return (
            f"{CONFIG_KEY}.publishHost {self.publish_host}: the calculator is reachable "
            "from other machines, not only from this one (127.0.0.1 keeps it local)"
        )
