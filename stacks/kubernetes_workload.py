"""The FastAPI workload alone, on a cluster that already exists (LABS.md section 3).

The cluster is given by ``cloudlab:kubeconfig`` (the kubeconfig itself, set with
``pulumi config set --secret cloudlab:kubeconfig < ~/.kube/config``) or by
``cloudlab:kubeconfigPath`` (a file read when the program runs); exactly one of them.
``cloudlab:kubeconfigContext`` optionally picks a context. ``cloudlab:workerUrls``
(``{worker: url}``) is passed through to the outputs for the edge migration command.
"""

from __future__ import annotations

from pathlib import Path

import pulumi
import pulumi_kubernetes as k8s

from components.errors import ConfigError
from components.kubernetes.settings import parse_workload_settings
from components.kubernetes.workload import FastApiApp, FastApiAppArgs


def _kubeconfig(config: pulumi.Config) -> pulumi.Output[str]:
    inline = config.get_secret("kubeconfig")
    path = config.get("kubeconfigPath")
    if (inline is None) == (path is None):
        raise ConfigError(
            "cloudlab:kubeconfig",
            "give exactly one of cloudlab:kubeconfig (secret) and cloudlab:kubeconfigPath",
            "pulumi config set --secret cloudlab:kubeconfig < ~/.kube/config",
        )
    if inline is not None:
        return inline
    file = Path(str(path)).expanduser()
    try:
        content = file.read_text()
    except OSError as error:
        raise ConfigError(
            "cloudlab:kubeconfigPath", f"cannot read {file}: {error.strerror}", "a kubeconfig file"
        ) from None
    return pulumi.Output.secret(content)


def run(config: pulumi.Config) -> None:
    """Validate ``cloudlab:workload`` and the kubeconfig, deploy the app, export its names."""
    workload_settings = parse_workload_settings(config.get_object("workload"))
    kubeconfig = _kubeconfig(config)
    worker_urls = config.get_object("workerUrls") or {}
    if not isinstance(worker_urls, dict) or not all(
        isinstance(v, str) for v in worker_urls.values()
    ):
        raise ConfigError("cloudlab:workerUrls", "expected {worker: url}", "e.g. {worker1: ...}")
    provider = k8s.Provider(
        "k8s-provider", kubeconfig=kubeconfig, context=config.get("kubeconfigContext")
    )
    app = FastApiApp(
        "fastapi-app",
        FastApiAppArgs(settings=workload_settings),
        pulumi.ResourceOptions(providers=[provider]),
    )
    pulumi.export("deployment", app.deployment.metadata.name)
    pulumi.export("namespace", workload_settings.namespace)
    pulumi.export("nodePort", workload_settings.node_port)
    pulumi.export("placement", workload_settings.placement)
    pulumi.export("workerUrls", worker_urls)
