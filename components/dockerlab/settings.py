"""Settings of the Docker lab (``cloudlab:dockerlab``, LABS.md section 4), parsed and validated.

Every image name is checked against Docker's reference grammar before any resource is
registered, so ``DockerPictures:version1`` fails at once with "repository name must be
lowercase" instead of half-way through ``pulumi up`` (the lab hit it at ``docker commit``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from components.docker.settings import check_image_reference
from components.errors import ConfigError
from components.validation import ipv4_address, object_with_keys, port

CONFIG_KEY = "cloudlab:dockerlab"


@dataclass(frozen=True)
class DockerLabSettings:
    """The Docker lab, validated. Defaults are the lab's values."""

    image: str = "ubuntu"
    """ct1's image, the lab's plain ``ubuntu`` (built FROM it: ``images/ct1``)."""
    ssh_base_image: str = "ubuntu"
    """What ct2's image is built FROM (``images/ct2`` installs nano and openssh-server with apt
    when they are missing; offline: ``scripts/lab-image.sh`` makes one that has them)."""
    snapshot_image: str = "dockerpictures:version1"
    """Name of ct2's snapshot (``docker commit``), which ct3 runs. Lower case."""
    publish_host: str = "127.0.0.1"
    """Host address ct2's SSH port is published on (127.0.0.1: this machine only)."""
    ssh_host_port: int = 2223
    """Host port published to ct2's SSH server (the lab's ``2223 -> 22``)."""
    ssh_container_port: int = 22
    """Port sshd listens on inside ct2."""
    authorized_keys: tuple[str, ...] = ()
    """Public keys allowed to log in as root on ct2 (and ct3); none: nobody can log in."""
    orchestration: bool = True
    """Also run the calculator orchestration row (``cloudlab:calculator``, flat topology)."""

    @property
    def snapshot_repository(self) -> str:
        """``dockerpictures`` of ``dockerpictures:version1``."""
        return _split(self.snapshot_image)[0]

    @property
    def snapshot_tag(self) -> str:
        """``version1`` of ``dockerpictures:version1`` (``latest`` when none is given)."""
        return _split(self.snapshot_image)[1]


_KEYS: dict[str, str] = {
    "image": "image",
    "sshBaseImage": "ssh_base_image",
    "snapshotImage": "snapshot_image",
    "publishHost": "publish_host",
    "sshHostPort": "ssh_host_port",
    "sshContainerPort": "ssh_container_port",
    "authorizedKeys": "authorized_keys",
    "orchestration": "orchestration",
}


def _key(name: str) -> str:
    return f"{CONFIG_KEY}.{name}"


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


def parse_dockerlab_settings(raw: Mapping[str, Any] | None) -> DockerLabSettings:
    """Validate the raw ``cloudlab:dockerlab`` object; missing keys take the lab's values."""
    raw = object_with_keys({} if raw is None else raw, CONFIG_KEY, _KEYS)
    d = DockerLabSettings()

    image = check_image_reference(raw.get("image", d.image), _key("image"))
    ssh_base = check_image_reference(
        raw.get("sshBaseImage", d.ssh_base_image), _key("sshBaseImage")
    )
    snapshot = check_image_reference(
        raw.get("snapshotImage", d.snapshot_image), _key("snapshotImage")
    )
    if "@" in snapshot:
        raise ConfigError(
            _key("snapshotImage"),
            f"{snapshot!r} has a digest; a commit makes a new image, it can only be named",
            "name[:tag], e.g. dockerpictures:version1",
        )
    for other_key, other in (("image", image), ("sshBaseImage", ssh_base)):
        if _normalized(snapshot) == _normalized(other):
            raise ConfigError(
                _key("snapshotImage"),
                f"{snapshot!r} is also {_key(other_key)}; the snapshot would overwrite it",
                "a name of its own, e.g. dockerpictures:version1",
            )

    address = ipv4_address(
        raw.get("publishHost", d.publish_host),
        _key("publishHost"),
        "127.0.0.1 (this machine only) or an address of this host",
    )

    keys = raw.get("authorizedKeys", list(d.authorized_keys))
    if isinstance(keys, str):
        keys = [keys]
    if not isinstance(keys, list | tuple) or not all(
        isinstance(k, str) and k.strip().startswith(("ssh-", "ecdsa-", "sk-")) for k in keys
    ):
        raise ConfigError(
            _key("authorizedKeys"),
            f"expected a list of OpenSSH public keys, got {keys!r}",
            "lines such as 'ssh-ed25519 AAAA... you@host'",
        )

    orchestration = raw.get("orchestration", d.orchestration)
    if not isinstance(orchestration, bool):
        raise ConfigError(
            _key("orchestration"), f"expected true or false, got {orchestration!r}", "true, false"
        )

    return DockerLabSettings(
        image=image,
        ssh_base_image=ssh_base,
        snapshot_image=snapshot,
        publish_host=str(address),
        ssh_host_port=port(raw.get("sshHostPort", d.ssh_host_port), _key("sshHostPort")),
        ssh_container_port=port(
            raw.get("sshContainerPort", d.ssh_container_port), _key("sshContainerPort")
        ),
        authorized_keys=tuple(k.strip() for k in keys),
        orchestration=orchestration,
    )
