"""Settings of the PaaS lab: the Cloud Foundry manifest and the two App Engine targets.

- ``cloudlab:cloudfoundry`` is the lab's ``manifest.yml`` (``name``, ``memory``, ``instances``,
  ``path``), plus what the local stand-in needs (the routed port, the image). Its defaults are
  the lab's, 256M included, so the stack refuses to deploy exactly as the lab's ``cf push``
  failed: the Java buildpack's memory budget (:mod:`components.paas.memory`) runs at validation.
- ``cloudlab:appengine`` is a real Google Cloud project's App Engine version.
- ``cloudlab:appengineLocal`` is the same app on the App Engine dev server of the installed
  Google Cloud CLI, bound to 127.0.0.1.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import model_validator

from components.docker.settings import ImageReference
from components.paas import memory as jvm
from components.settings import (
    Cidr,
    ConfigModel,
    Int,
    IPv4Address,
    Port,
    Text,
    field_type,
    invalid,
    required,
)

DEFAULT_WAR = "apps/hello-servlet/target/hello.war"
"""What ``make servlet`` builds, relative to the project directory."""
LOOPBACK = "127.0.0.1 (this machine only)"
JETTY_RUNNER = "jetty-runner.jar"
"""Jetty's runner, the stand-in's servlet container: Maven copies it next to the WAR."""

_MEMORY = re.compile(r"^(\d+)\s*(M|MB|G|GB)$", re.IGNORECASE)


def memory_bytes(text: str) -> int:
    """``256M`` / ``1G`` / ``512MB`` in bytes (the manifest's units)."""
    match = _MEMORY.match(text)
    if match is None:
        raise ValueError(text)
    number, unit = int(match.group(1)), match.group(2).upper()
    return number * (jvm.GIB if unit.startswith("G") else jvm.MIB)


def _check_memory(value: Any) -> str:
    if isinstance(value, str) and _MEMORY.match(value.strip()):
        text = value.strip().upper()
        if memory_bytes(text) > 0:
            return text.removesuffix("B")
    raise invalid(f"expected a memory size, got {value!r}", "a whole number of M or G, e.g. 1G")


MemorySize = field_type("memory size (M or G)", _check_memory)


def _check_war(value: Any) -> str:
    if not isinstance(value, str) or not value.strip().endswith(".war"):
        raise invalid(f"expected the path of a .war file, got {value!r}", DEFAULT_WAR)
    return value.strip()


WarPath = field_type("path of a .war file", _check_war)


def _check_shell(value: Any) -> str:
    if not isinstance(value, str):
        raise invalid(f"expected a shell command, got {value!r}", "text, or empty for none")
    return value.strip()


ShellCommand = field_type("shell command, or empty", _check_shell)


def war_file(path: str) -> Path:
    """``path`` as a file, relative to the project directory (where Pulumi runs the program)
    unless absolute."""
    file = Path(path)
    return file if file.is_absolute() else Path.cwd() / file


class CloudFoundryManifest(ConfigModel):
    """The lab's ``manifest.yml`` (``cloudlab:cloudfoundry``), run by the Docker stand-in."""

    name: Text(r"^[a-z][a-z0-9-]{0,40}$", "lower case letters, digits and -") = "hello-servlet"
    """The app's name (``cf push`` name); names its containers and network."""
    memory: MemorySize = "256M"
    """Memory limit of each instance (a hard Docker limit). The lab's 256M is refused by the
    Java buildpack's memory budget before anything is deployed; 1G fits."""
    instances: Int(1, 20, "an instance count") = 1
    """Number of instances behind the route (scaling up adds containers, never restarts one)."""
    path: WarPath = DEFAULT_WAR
    """The WAR to push, relative to the project directory (``make servlet`` builds it)."""
    loaded_classes: Int(0, 1_000_000, "a class count") = jvm.LAB_LOADED_CLASSES
    """The buildpack's loaded-class estimate (its ``class_count``): the lab's droplet's 10992."""
    stack_threads: Int(1, 10_000, "a thread count") = jvm.TOMCAT_THREADS
    """The buildpack's thread estimate (its ``stack_threads``): Tomcat's 300."""
    route_host: IPv4Address(LOOPBACK) = "127.0.0.1"
    """Host address of the route (the router's published port)."""
    route_port: Port = 8080
    """Host port of the route: requests to it are spread round-robin over the instances."""
    subnet: Cidr("10.122.0.0/24", 28) = "10.122.0.0/24"
    """The app's Docker network (its instances and the router; Docker assigns the addresses)."""
    image: ImageReference = "cloudlab/jre:bookworm"
    """Base image with a Java runtime and python3 (``scripts/jre-image.sh`` builds it)."""

    @property
    def memory_bytes(self) -> int:
        return memory_bytes(self.memory)

    @property
    def budget(self) -> jvm.MemoryBudget:
        """The Java buildpack's memory calculation for one instance."""
        return jvm.calculate(self.memory_bytes, self.loaded_classes, self.stack_threads)

    @model_validator(mode="after")
    def _the_jvm_fits_in_memory(self) -> CloudFoundryManifest:
        """`memory` leaves room for a heap after the Java buildpack's fixed JVM areas (its
        memory calculator: code cache, direct memory, metaspace, class space, thread stacks)."""
        budget = self.budget
        if not budget.fits:
            one_gig = jvm.calculate(jvm.GIB, self.loaded_classes, self.stack_threads)
            raise invalid(
                budget.refusal(),
                f"{jvm.size_text(budget.smallest_limit)} or more (1G leaves a "
                f"{jvm.size_text(one_gig.heap)} heap)",
                "memory",
            )
        return self

    @model_validator(mode="after")
    def _the_war_exists(self) -> CloudFoundryManifest:
        """`path` is a WAR that exists, with Jetty's runner beside it (`make servlet` builds
        both)."""
        _require_war(self.path)
        runner = war_file(self.path).parent / JETTY_RUNNER
        if not runner.is_file():
            raise invalid(
                f"no {JETTY_RUNNER} beside the WAR ({runner})",
                "the WAR's directory as `make servlet` leaves it (target/)",
                "path",
            )
        return self


def _require_war(path: str) -> None:
    if not war_file(path).is_file():
        raise invalid(
            f"no WAR at {war_file(path)}", "a built WAR: run `make servlet` first", "path"
        )


class AppEngineSettings(ConfigModel):
    """A version of the app on a real Google Cloud project's App Engine (``cloudlab:appengine``)."""

    project: Text(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$", "a Google Cloud project id") = required(
        "the Google Cloud project id, e.g. my-lab-project"
    )
    """The Google Cloud project (it must have an App Engine application, or set `location`)."""
    location: Text(r"^[a-z]+-?[a-z0-9-]*$", "an App Engine location", optional=True) = None
    """Create the project's App Engine application in this location (e.g. ``europe-west``);
    unset: the application exists already (``gcloud app create``)."""
    service: Text(r"^[a-z][a-z0-9-]{0,62}$", "a service name") = "default"
    """The App Engine service."""
    version_id: Text(r"^[a-z0-9][a-z0-9-]{0,62}$", "a version id") = "v1"
    """The version deployed."""
    runtime: Text(r"^java\d+$", "java8, java11, java17, java21") = "java8"
    """The runtime of ``appengine-web.xml`` (the lab's java8)."""
    entrypoint: ShellCommand = ""
    """The version's entrypoint shell command; a WAR needs none (the Java runtimes serve it
    with their own Jetty), a runnable JAR would (``java -jar app.jar``)."""
    instance_class: Text(r"^B(1|2|4|4_1G|8)$", "B1, B2, B4, B4_1G or B8") = "B1"
    """Manual scaling needs a basic (B) instance class."""
    instances: Int(1, 20, "an instance count") = 3
    """Manual scaling's instance count."""
    path: WarPath = DEFAULT_WAR
    """The WAR to deploy, relative to the project directory."""

    @model_validator(mode="after")
    def _the_war_exists(self) -> AppEngineSettings:
        """`path` is a WAR that exists (`make servlet` builds the default one)."""
        _require_war(self.path)
        return self


class AppEngineLocalSettings(ConfigModel):
    """The app on the Google Cloud CLI's App Engine dev server (``cloudlab:appengineLocal``)."""

    instances: Int(1, 20, "an instance count") = 3
    """Manual scaling's instance count (each instance gets a port of its own)."""
    host: IPv4Address(LOOPBACK) = "127.0.0.1"
    """Address the dev server binds (module and instance ports)."""
    port: Port = 8081
    """The module's port, which spreads requests over the instances."""
    path: WarPath = DEFAULT_WAR
    """The WAR to deploy, relative to the project directory."""
    sdk_root: Text(valid="the Google Cloud CLI's root directory", optional=True) = None
    """Where the Google Cloud CLI lives (unset: ``gcloud info``, else /usr/lib/google-cloud-sdk)."""
    start_timeout: Int(5, 600, "seconds") = 90
    """Seconds ``pulumi up`` waits for every instance to answer."""

    @model_validator(mode="after")
    def _the_war_exists(self) -> AppEngineLocalSettings:
        """`path` is a WAR that exists (`make servlet` builds the default one)."""
        _require_war(self.path)
        return self
