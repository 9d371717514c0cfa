"""The lab's Cloud Foundry push, on this machine's Docker engine: a faithful stand-in.

**This is not Cloud Foundry.** No Cloud Foundry can run or be built here (its API server, the
``cf`` CLI, Korifi and its Terraform providers are all out of reach), so cloudlab plays the
three parts of ``cf push`` that the lab met, each with the manifest's own values:

- **staging**: the Java buildpack's memory calculator (:mod:`components.paas.memory`) runs
  when the config is validated, so the lab's 256M is refused with the buildpack's own message
  before any resource exists; a limit that fits gives the JVM flags the instances run with.
  The droplet is an image: the Java runtime, Jetty's runner and the WAR (``droplet/``).
- **the instances**: ``instances`` containers of the droplet, each with the manifest's
  ``memory`` as a hard Docker limit (no swap beyond it), named ``<name>-<index>``
  (``HELLO_INSTANCE``, ``CF_INSTANCE_INDEX``) and sharing the network alias ``<name>``. Each
  instance is its own resource, so scaling out adds containers and never restarts one.
- **the route**: a router container, ``<name>-gateway`` (:mod:`components.paas.router`),
  publishes one port on ``routeHost`` and spreads requests round-robin over whatever instances
  the alias resolves to.

What it leaves out: orgs and spaces, the Cloud Controller's API, buildpack detection, health
checks and the Diego cell's rescheduling (Docker's restart policy stands in), TLS routes.
"""

from __future__ import annotations

import hashlib
import inspect
from dataclasses import dataclass
from pathlib import Path

import pulumi

from components.dynamic.docker.container import (
    Container,
    ContainerArgs,
    NetworkAttachment,
    PortBinding,
)
from components.dynamic.docker.image import LocalImage, LocalImageArgs, package_context
from components.dynamic.docker.network import Network, NetworkArgs
from components.paas import router
from components.paas.settings import JETTY_RUNNER, CloudFoundryManifest, war_file
from components.paas.war import file_digest, war_digest

DROPLET_DOCKERFILE = package_context("components.paas", "droplet") / "Dockerfile"
"""The droplet's Dockerfile, shipped with the package."""
APP_PORT = 8080
"""The port every instance (and the router, inside its container) listens on."""
ROUTER_MEMORY = 64 * 1024 * 1024
"""The router's own memory limit (no container of the platform runs without one)."""


@dataclass
class CloudFoundryAppArgs:
    """Arguments of :class:`CloudFoundryApp`."""

    manifest: CloudFoundryManifest
    """The lab's manifest.yml, validated (its memory budget fits)."""
    stack: str
    """Stack name: labels every Docker object and tags the droplet image."""


def droplet_hash(war: Path) -> str:
    """What rebuilds the droplet: the WAR's entries, Jetty's runner and the Dockerfile."""
    parts = (
        war_digest(war),
        file_digest(war.parent / JETTY_RUNNER),
        file_digest(DROPLET_DOCKERFILE),
    )
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


class CloudFoundryApp(pulumi.ComponentResource):
    """The manifest's app: a droplet image, ``instances`` memory-limited containers of it and
    a round-robin route to them on ``routeHost:routePort``. Not Cloud Foundry: a stand-in."""

    droplet: LocalImage
    network: Network
    instances: list[Container]
    router: Container
    route_url: pulumi.Output[str]
    instance_names: list[str]

    def __init__(
        self, name: str, args: CloudFoundryAppArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("cloudlab:paas:CloudFoundryApp", name, None, opts)
        m, stack = args.manifest, args.stack
        child = pulumi.ResourceOptions(parent=self)
        war = war_file(m.path)

        self.droplet = LocalImage(
            f"{name}-droplet",
            LocalImageArgs(
                name=f"cloudlab/cf-{m.name}",
                tag=stack,
                context=str(war.parent),
                context_hash=droplet_hash(war),
                dockerfile=str(DROPLET_DOCKERFILE),
                build_args={"BASE_IMAGE": m.image, "WAR": war.name},
                stack=stack,
            ),
            child,
        )
        self.network = Network(
            f"{name}-network",
            NetworkArgs(name=f"{m.name}-net", subnet=m.subnet, stack=stack),
            child,
        )
        on_route = NetworkAttachment(network=self.network.name, aliases=[m.name])
        java_opts = " ".join(m.budget.jvm_options())
        self.instance_names = [f"{m.name}-{index}" for index in range(m.instances)]
        self.instances = [
            Container(
                f"{name}-{index}",
                ContainerArgs(
                    name=instance,
                    image=self.droplet.image_id,
                    stack=stack,
                    env={
                        "JAVA_OPTS": java_opts,
                        "HELLO_INSTANCE": instance,
                        "CF_INSTANCE_INDEX": str(index),
                        "MEMORY_LIMIT": m.memory,
                    },
                    networks=[on_route],
                    memory=m.memory_bytes,
                    labels={"cloudlab.paas.app": m.name, "cloudlab.paas.role": "instance"},
                ),
                child,
            )
            for index, instance in enumerate(self.instance_names)
        ]
        self.router = Container(
            f"{name}-router",
            ContainerArgs(
                name=f"{m.name}-gateway",  # the app's one published container
                image=m.image,
                stack=stack,
                command=router_command(m.name),
                networks=[NetworkAttachment(network=self.network.name)],
                ports=[PortBinding(APP_PORT, m.route_port, m.route_host)],
                memory=ROUTER_MEMORY,
                labels={"cloudlab.paas.app": m.name, "cloudlab.paas.role": "router"},
            ),
            child,
        )
        self.route_url = pulumi.Output.from_input(f"http://{m.route_host}:{m.route_port}")
        self.register_outputs(
            {
                "route_url": self.route_url,
                "instance_names": self.instance_names,
                "droplet": self.droplet.image_id,
            }
        )


def router_source() -> str:
    """The router's program, run with ``python3 -c`` in its container."""
    return inspect.getsource(router)


def router_command(app: str) -> list[str]:
    """The router container's command: the router as ``nobody`` (no root needed for 8080)."""
    return [
        *("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"),
        *("python3", "-c", router_source(), app, str(APP_PORT), str(APP_PORT)),
    ]
