"""The Kubernetes lab on OpenStack (docs/labs/kubernetes.md): a kubeadm cluster and the FastAPI app.

The cluster owns its readiness gate and its Kubernetes provider (see
components/kubeadm/cluster.py); the app is deployed through that provider, after the gate.
"""

from __future__ import annotations

import pulumi

from components.config import load_config
from components.config.kubernetes import KubernetesConfig
from components.kubeadm.cluster import KubeadmCluster, KubeadmClusterArgs
from components.kubernetes.workload import FastApiApp, FastApiAppArgs


def run(config: pulumi.Config) -> None:
    """Read ``cloudlab:kubernetes`` and ``cloudlab:workload``, build the cluster and (unless its
    ``readiness`` is ``none``) the app on it, export access."""
    cfg = load_config(KubernetesConfig, config)
    cluster_settings, workload_settings = cfg.kubernetes, cfg.workload

    cluster = KubeadmCluster("k8s", KubeadmClusterArgs(settings=cluster_settings))
    pulumi.export("kubeconfig", cluster.kubeconfig)
    pulumi.export("apiEndpoint", cluster.api_endpoint)
    pulumi.export("masterPublicIp", cluster.master_public_ip)
    pulumi.export("nodeAddresses", cluster.node_addresses)
    if workload_settings is None or cluster.provider is None:
        return  # readiness: none: the model allows no workload then

    app = FastApiApp(
        "fastapi-app",
        FastApiAppArgs(settings=workload_settings),
        pulumi.ResourceOptions(providers=[cluster.provider], depends_on=[cluster.ready]),
    )
    worker_urls = {
        worker: cluster.node_addresses[worker].apply(
            lambda ip: f"http://{ip}:{workload_settings.node_port}/"
        )
        for worker in cluster_settings.worker_names
    }
    pulumi.export("workerUrls", worker_urls)
    pulumi.export("deployment", app.deployment.metadata.name)
    pulumi.export("nodePort", workload_settings.node_port)
    pulumi.export("placement", workload_settings.placement)
