"""The Kubernetes lab on OpenStack (LABS.md section 3): a kubeadm cluster and the FastAPI app.

The cluster owns its readiness gate and its Kubernetes provider (see
components/kubernetes/cluster.py); the app is deployed through that provider, after the gate.
"""

from __future__ import annotations

import pulumi

from components.errors import ConfigError
from components.kubernetes.cluster import KubeadmCluster, KubeadmClusterArgs
from components.kubernetes.settings import (
    CLUSTER_KEY,
    check_placement,
    parse_cluster_settings,
    parse_workload_settings,
)
from components.kubernetes.workload import FastApiApp, FastApiAppArgs


def run(config: pulumi.Config) -> None:
    """Build the cluster and the app on it, export access."""
    cluster_settings = parse_cluster_settings(config.get_object("kubernetes"))
    workload_settings = parse_workload_settings(config.get_object("workload"))
    check_placement(workload_settings, cluster_settings)
    if not cluster_settings.api_allowed_cidrs:
        raise ConfigError(
            f"{CLUSTER_KEY}.apiAllowedCidrs",
            "empty, but this stack deploys the workload through the API from where pulumi runs",
            "the CIDR of this machine, e.g. 198.51.100.7/32",
        )

    cluster = KubeadmCluster("k8s", KubeadmClusterArgs(settings=cluster_settings))
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
    pulumi.export("kubeconfig", cluster.kubeconfig)
    pulumi.export("apiEndpoint", cluster.api_endpoint)
    pulumi.export("masterPublicIp", cluster.master_public_ip)
    pulumi.export("nodeAddresses", cluster.node_addresses)
    pulumi.export("workerUrls", worker_urls)
    pulumi.export("deployment", app.deployment.metadata.name)
    pulumi.export("nodePort", workload_settings.node_port)
    pulumi.export("placement", workload_settings.placement)
