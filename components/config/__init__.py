"""The config of each environment: one model per stack, whose fields are the ``cloudlab:``
keys it reads (each one a lab's settings model), with the rules that span keys.

One module per environment, so that a stack's program imports only its own labs' settings
(all of them cost about 0.1 s of every ``pulumi up``). A stack calls :func:`load_config` with
its model first, so it registers nothing unless the whole config is valid, and validates
nothing itself. ``python -m docs_tools.config_reference`` writes the docs site's configuration
reference from these models (:func:`environment_configs`).
"""

from __future__ import annotations

import importlib

from components.settings import EnvironmentConfig, load_config

__all__ = ["ENVIRONMENT_MODELS", "environment_configs", "load_config"]

ENVIRONMENT_MODELS: dict[str, str] = {
    "local": "components.config.local:LocalConfig",
    "openstack": "components.config.openstack:OpenStackConfig",
    "dockerlab": "components.config.dockerlab:DockerLabConfig",
    "kubernetes": "components.config.kubernetes:KubernetesConfig",
    "k8s-workload": "components.config.k8s_workload:WorkloadConfig",
    "proxmox": "components.config.proxmox:ProxmoxConfig",
    "virtualbox": "components.config.virtualbox:VirtualBoxConfig",
    "cloudfoundry": "components.config.paas:CloudFoundryConfig",
    "appengine": "components.config.paas:AppEngineConfig",
    "appengine-local": "components.config.paas:AppEngineLocalConfig",
    "classroom": "components.config.classroom:ClassroomConfig",
}
"""The config model of each environment (``cloudlab:environment``) of :mod:`stacks`, by path."""


def environment_configs() -> dict[str, type[EnvironmentConfig]]:
    """Every environment's config model, imported."""
    found = {}
    for environment, path in ENVIRONMENT_MODELS.items():
        module, _, name = path.partition(":")
        found[environment] = getattr(importlib.import_module(module), name)
    return found
