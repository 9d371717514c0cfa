"""The PaaS lab's App Engine deployment on this machine: the App Engine dev server of the
installed Google Cloud CLI (``java_dev_appserver.sh``), bound to 127.0.0.1.

The same WAR as the real project's version (:mod:`components.paas.appengine`), with manual
scaling: the dev server opens the module's port, which spreads requests over the instances,
and one port per instance. The deployment is a :class:`~components.dynamic.devappserver.
DevAppServer` resource: it survives the ``pulumi up`` that made it, a second ``up`` changes
nothing, a changed WAR or instance count redeploys, and ``destroy`` stops the server.

What the dev server does not do: it runs every instance in one JVM on this machine (no
isolation, no instance class, no scaling of its own), emulates the bundled services (Datastore,
Memcache...) locally, and has no versions or traffic splitting.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pulumi

from components.dynamic.devappserver import DevAppServer, DevAppServerArgs
from components.errors import ConfigError
from components.paas.settings import AppEngineLocalSettings, war_file
from components.paas.war import war_digest

DEFAULT_SDK_ROOT = Path("/usr/lib/google-cloud-sdk")
CONFIG_KEY = "cloudlab:appengineLocal"


def find_sdk_root(configured: str | None) -> Path:
    """The Google Cloud CLI's root: ``configured``, else ``gcloud info``, else the Debian
    package's; a ConfigError when it has no ``bin/java_dev_appserver.sh``."""
    root: Path | None = Path(configured) if configured else None
    if root is None and shutil.which("gcloud"):
        res = subprocess.run(
            ["gcloud", "info", "--format=value(installation.sdk_root)"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if res.returncode == 0 and res.stdout.strip():
            root = Path(res.stdout.strip())
    root = root or DEFAULT_SDK_ROOT
    if not os.access(root / "bin" / "java_dev_appserver.sh", os.X_OK):
        raise ConfigError(
            f"{CONFIG_KEY}.sdkRoot",
            f"no bin/java_dev_appserver.sh under {root}",
            "the root of a Google Cloud CLI with its App Engine Java component "
            "(apt-get install google-cloud-cli-app-engine-java)",
        )
    return root


def work_dir(stack: str) -> Path:
    """Where this stack's deployed copies of the app live (per user, outside the repo)."""
    home = Path(os.environ.get("CLOUDLAB_HOME") or Path.home() / ".cloudlab")
    return home / "appengine" / stack


@dataclass
class AppEngineLocalArgs:
    """Arguments of :class:`AppEngineLocal`."""

    settings: AppEngineLocalSettings
    """Instances, address and port, the WAR."""
    sdk_root: Path
    """The Google Cloud CLI's root (:func:`find_sdk_root`)."""
    stack: str
    """Stack name: names the directory of the deployed copies."""


class AppEngineLocal(pulumi.ComponentResource):
    """The WAR on the App Engine dev server, manually scaled to ``instances``."""

    server: DevAppServer
    url: pulumi.Output[str]
    instance_urls: pulumi.Output[list[str]]

    def __init__(
        self, name: str, args: AppEngineLocalArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("cloudlab:paas:AppEngineLocal", name, None, opts)
        s = args.settings
        war = war_file(s.path)
        self.server = DevAppServer(
            f"{name}-devappserver",
            DevAppServerArgs(
                war=str(war),
                war_hash=war_digest(war),
                instances=s.instances,
                host=s.host,
                port=s.port,
                sdk_root=str(args.sdk_root),
                work_dir=str(work_dir(args.stack)),
                start_timeout=float(s.start_timeout),
            ),
            pulumi.ResourceOptions(parent=self),
        )
        self.url = self.server.url
        self.instance_urls = self.server.instance_urls
        self.register_outputs({"url": self.url, "instance_urls": self.instance_urls})
