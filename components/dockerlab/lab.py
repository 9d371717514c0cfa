"""The Docker lab (docs/labs/docker.md): ct1, ct2 with nano and sshd, ct2's snapshot, ct3 from it.

- ``ct1``: the plain image (``ubuntu``), kept up by ``sleep infinity`` on Docker's default
  bridge (``172.17.0.x``): the lab's interactive shell is ``docker exec -it ct1 bash``.
- ``ct2``: an image built FROM ``ssh_base_image`` with nano and openssh-server
  (``images/ct2``), sshd listening on 22, published ``publish_host:2223 -> 22``.
- ``dockerpictures:version1``: ``docker commit`` of the running ct2 (:class:`CommittedImage`).
- ``ct3``: a container of that snapshot, so it has nano without installing anything.

The calculator orchestration row is :class:`components.calculator.docker_twin.CalculatorTwin`
in its ``flat`` topology, composed by ``stacks/dockerlab.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.dockerlab.settings import DockerLabSettings
from components.dynamic.docker.commit import CommittedImage, CommittedImageArgs
from components.dynamic.docker.container import Container, ContainerArgs, PortBinding
from components.dynamic.docker.image import (
    LocalImage,
    LocalImageArgs,
    context_hash,
    package_context,
)

IMAGES_DIR = package_context("components.dockerlab", "images")
"""Build contexts of the lab's images (``images/ct1``, ``images/ct2``), shipped with the package."""


@dataclass
class DockerLabArgs:
    """Arguments of :class:`DockerLab`."""

    settings: DockerLabSettings
    """Images, snapshot name, published SSH port."""
    stack: str
    """Stack name: labels every Docker object and tags the built images."""


class DockerLab(pulumi.ComponentResource):
    """ct1, ct2, the snapshot of ct2 and ct3 from it, on this machine's Docker engine."""

    ct1_image: LocalImage
    ct2_image: LocalImage
    ct1: Container
    ct2: Container
    snapshot: CommittedImage
    ct3: Container
    snapshot_ref: pulumi.Output[str]
    ssh_endpoint: pulumi.Output[str]

    def __init__(
        self, name: str, args: DockerLabArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("cloudlab:dockerlab:DockerLab", name, None, opts)
        s, stack = args.settings, args.stack
        child = pulumi.ResourceOptions(parent=self)

        def image(ct: str, base: str) -> LocalImage:
            context = IMAGES_DIR / ct
            return LocalImage(
                f"{name}-{ct}-image",
                LocalImageArgs(
                    name=f"cloudlab/dockerlab-{ct}",
                    tag=stack,
                    context=str(context),
                    context_hash=context_hash(context),
                    build_args={"BASE_IMAGE": base},
                    stack=stack,
                ),
                child,
            )

        self.ct1_image = image("ct1", s.image)
        self.ct1 = Container(
            f"{name}-ct1",
            ContainerArgs(name="ct1", image=self.ct1_image.image_id, stack=stack),
            child,
        )

        self.ct2_image = image("ct2", s.ssh_base_image)
        env = {"CLOUDLAB_SSH_PORT": str(s.ssh_container_port)}
        if s.authorized_keys:
            env["CLOUDLAB_AUTHORIZED_KEYS"] = "\n".join(s.authorized_keys)
        self.ct2 = Container(
            f"{name}-ct2",
            ContainerArgs(
                name="ct2",
                image=self.ct2_image.image_id,
                env=env,
                ports=[
                    PortBinding(
                        container_port=s.ssh_container_port,
                        host_port=s.ssh_host_port,
                        host_ip=s.publish_host,
                    )
                ],
                stack=stack,
            ),
            child,
        )

        self.snapshot = CommittedImage(
            f"{name}-snapshot",
            CommittedImageArgs(
                container=self.ct2.container_id,
                name=s.snapshot_repository,
                tag=s.snapshot_tag,
                message="cloudlab: snapshot of ct2 (docker lab)",
                stack=stack,
            ),
            child,
        )
        self.ct3 = Container(
            f"{name}-ct3",
            ContainerArgs(name="ct3", image=self.snapshot.image_id, stack=stack),
            child,
        )

        self.snapshot_ref = self.snapshot.ref
        self.ssh_endpoint = pulumi.Output.from_input(f"{s.publish_host}:{s.ssh_host_port}")
        self.register_outputs(
            {
                "snapshot_ref": self.snapshot_ref,
                "ssh_endpoint": self.ssh_endpoint,
                "containers": {"ct1": "ct1", "ct2": "ct2", "ct3": "ct3"},
            }
        )
