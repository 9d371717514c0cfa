"""The PaaS lab's Cloud Foundry push, on the local Docker stand-in (not a Cloud Foundry: see
components/paas/cloudfoundry.py): the manifest in ``cloudlab:cloudfoundry``."""

from __future__ import annotations

import pulumi

from components.config import load_config
from components.config.paas import CloudFoundryConfig
from components.paas.cloudfoundry import CloudFoundryApp, CloudFoundryAppArgs


def run(config: pulumi.Config) -> None:
    """Validate the manifest (the Java buildpack's memory budget included) before registering
    anything, then push the app and export its route."""
    manifest = load_config(CloudFoundryConfig, config).cloudfoundry
    app = CloudFoundryApp("cf", CloudFoundryAppArgs(manifest=manifest, stack=pulumi.get_stack()))
    pulumi.export("routeUrl", app.route_url)
    pulumi.export("instances", app.instance_names)
    pulumi.export("memoryLimit", manifest.memory)
    pulumi.export("jvmOptions", manifest.budget.jvm_options())
