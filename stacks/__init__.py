"""Stacks: one module per environment, each composing the components for one lab setup.

``__main__.py`` reads ``cloudlab:environment`` (default: the stack name) and calls
:func:`dispatch`, which imports the matching module and runs it.
"""

from __future__ import annotations

import importlib

import pulumi

from components.errors import ConfigError

ENVIRONMENTS: dict[str, str] = {
    "classroom": "stacks.classroom",
    "dockerlab": "stacks.dockerlab",
    "local": "stacks.local",
    "openstack": "stacks.openstack",
    "kubernetes": "stacks.kubernetes",
    "k8s-workload": "stacks.kubernetes_workload",
    "proxmox": "stacks.proxmox",
    "virtualbox": "stacks.virtualbox",
    "cloudfoundry": "stacks.cloudfoundry",
    "appengine": "stacks.appengine",
    "appengine-local": "stacks.appengine_local",
}
"""Environment name -> module whose ``run(config)`` builds the stack."""


def dispatch(environment: str, config: pulumi.Config) -> None:
    """Run the stack module of ``environment``, or fail naming ``cloudlab:environment``."""
    module_name = ENVIRONMENTS.get(environment)
    if module_name is None:
        raise ConfigError(
            "cloudlab:environment",
            f"unknown environment {environment!r}",
            ", ".join(sorted(ENVIRONMENTS)),
        )
    importlib.import_module(module_name).run(config)
