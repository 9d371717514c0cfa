"""The FastAPI workload alone, on a cluster that already exists (docs/labs/kubernetes.md).

The cluster is given by ``cloudlab:kubeconfig`` (the kubeconfig itself, set with
``pulumi config set --secret cloudlab:kubeconfig < ~/.kube/config``) or by
``cloudlab:kubeconfigPath`` (a file read when the program runs); exactly one of them.
``cloudlab:kubeconfigContext`` optionally picks a context. ``cloudlab:workerUrls``
(``{worker: url}``) is passed through to the outputs for the edge migration command.
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from components.config import load_config
from components.config.k8s_workload import WorkloadConfig
from components.kubernetes.workload import FastApiApp, FastApiAppArgs


def run(config: pulumi.Config) -> None:
    """Read ``cloudlab:workload`` and the kubeconfig, deploy the app, export its names."""
    cfg = load_config(WorkloadConfig, config)
    workload_settings, kubeconfig, worker_urls = cfg.workload, cfg.kubeconfig, cfg.worker_urls
    provider = k8s.Provider("k8s-provider", kubeconfig=kubeconfig, context=cfg.kubeconfig_context)
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
