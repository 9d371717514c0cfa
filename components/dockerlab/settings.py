"""Settings of the Docker lab (docs/labs/docker.md): the ``cloudlab:dockerlab`` model.

Every image name is checked against Docker's reference grammar before any resource is
registered, so ``DockerPictures:version1`` fails at once with "repository name must be
lowercase" instead of half-way through ``pulumi up`` (the lab hit it at ``docker commit``).
"""

from __future__ import annotations

from typing import Any

from pydantic import model_validator

from components.docker.settings import PUBLISH_HOSTS, ImageReference
from components.settings import (
    Bool,
    ConfigModel,
    IPv4Address,
    Port,
    field_type,
    invalid,
)

CONFIG_KEY = "cloudlab:dockerlab"


def _split(ref: str) -> tuple[str, str]:
    """(repository, tag) of a reference without digest; a ``:`` after the last ``/`` is a tag."""
    last = ref.rsplit("/", 1)[-1]
    if ":" in last:
        repo, tag = ref.rsplit(":", 1)
        return repo, tag
    return ref, "latest"


def _normalized(ref: str) -> str:
    if "@" in ref:
        return ref
    repo, tag = _split(ref)
    return f"{repo}:{tag}"


def _public_keys(keys: Any) -> tuple[str, ...]:
    if isinstance(keys, str):
        keys = [keys]
    if not isinstance(keys, list | tuple) or not all(
        isinstance(k, str) and k.strip().startswith(("ssh-", "ecdsa-", "sk-")) for k in keys
    ):
        raise invalid(
            f"expected a list of OpenSSH public keys, got {keys!r}",
            "lines such as 'ssh-ed25519 AAAA... you@host'",
        )
    return tuple(k.strip() for k in keys)


class DockerLabSettings(ConfigModel):
    """The Docker lab (``cloudlab:dockerlab``). Defaults are the lab's values."""

    image: ImageReference = "ubuntu"
    """ct1's image, the lab's plain ``ubuntu`` (built FROM it: ``images/ct1``)."""
    ssh_base_image: ImageReference = "ubuntu"
    """What ct2's image is built FROM (``images/ct2`` installs nano and openssh-server with apt
    when they are missing; offline: ``scripts/lab-image.sh`` makes one that has them)."""
    snapshot_image: ImageReference = "dockerpictures:version1"
    """Name of ct2's snapshot (``docker commit``), which ct3 runs: lower case, no digest, not
    one of the other two images."""
    publish_host: IPv4Address(PUBLISH_HOSTS) = "127.0.0.1"
    """Host address ct2's SSH port is published on (127.0.0.1: this machine only)."""
    ssh_host_port: Port = 2223
    """Host port published to ct2's SSH server (the lab's ``2223 -> 22``)."""
    ssh_container_port: Port = 22
    """Port sshd listens on inside ct2."""
    authorized_keys: field_type("list of OpenSSH public keys", _public_keys) = ()
    """Public keys allowed to log in as root on ct2 (and ct3); none: nobody can log in."""
    orchestration: Bool = True
    """Also run the calculator orchestration row (``cloudlab:calculator``, flat topology, and
    ``cloudlab:docker``)."""

    @model_validator(mode="after")
    def _snapshot_is_a_new_name(self) -> DockerLabSettings:
        """`snapshotImage` has no digest and is neither `image` nor `sshBaseImage`."""
        snapshot = self.snapshot_image
        if "@" in snapshot:
            raise invalid(
                f"{snapshot!r} has a digest; a commit makes a new image, it can only be named",
                "name[:tag], e.g. dockerpictures:version1",
                "snapshotImage",
            )
        for other_key, other in (("image", self.image), ("sshBaseImage", self.ssh_base_image)):
            if _normalized(snapshot) == _normalized(other):
                raise invalid(
                    f"{snapshot!r} is also {CONFIG_KEY}.{other_key}; the snapshot would "
                    "overwrite it",
                    "a name of its own, e.g. dockerpictures:version1",
                    "snapshotImage",
                )
        return self

    @property
    def snapshot_repository(self) -> str:
        """``dockerpictures`` of ``dockerpictures:version1``."""
        return _split(self.snapshot_image)[0]

    @property
    def snapshot_tag(self) -> str:
        """``version1`` of ``dockerpictures:version1`` (``latest`` when none is given)."""
        return _split(self.snapshot_image)[1]
