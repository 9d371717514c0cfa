"""The Kubernetes lab on OpenStack (LABS.md section 3): a kubeadm cluster and the FastAPI app.

Order of ``pulumi up``: the VMs (which install and join by themselves), then a readiness gate
(a pulumi-command ``local.Command`` running ``python -m components.kubernetes.readiness``,
which polls ``/readyz`` and the node list through the floating IP with the admin
certificate, bounded by ``readyTimeoutSeconds``), then the Kubernetes provider fed by the
cluster's kubeconfig, which ``depends_on`` the gate, so no Kubernetes call races the boot.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import pulumi
import pulumi_command as command
import pulumi_kubernetes as k8s

from components.config import KubernetesConfig, load_config
from components.kubernetes.cluster import TLS_SERVER_NAME, KubeadmCluster
from components.kubernetes.workload import FastApiApp

PROJECT_DIR = Path(__file__).resolve().parents[1]


def readiness_command(endpoint: str, nodes: list[str], timeout: int) -> str:
    """The gate's shell command (the certificates travel in its environment)."""
    return shlex.join(
        [
            sys.executable,
            "-m",
            "components.kubernetes.readiness",
            "--server",
            endpoint,
            "--tls-server-name",
            TLS_SERVER_NAME,
            "--nodes",
            ",".join(nodes),
            "--timeout",
            str(timeout),
        ]
    )


def run(config: pulumi.Config) -> None:
    """Read ``cloudlab:kubernetes`` and ``cloudlab:workload``, build both, export access."""
    cfg = load_config(KubernetesConfig, config)
    cluster_settings, workload_settings = cfg.kubernetes, cfg.workload

    cluster = KubeadmCluster("k8s", cluster_settings)
    gate = command.local.Command(
        "k8s-api-ready",
        create=cluster.api_endpoint.apply(
            lambda endpoint: readiness_command(
                endpoint, cluster_settings.node_names, cluster_settings.ready_timeout_seconds
            )
        ),
        dir=str(PROJECT_DIR),
        environment={
            "CLOUDLAB_CA_PEM": cluster.ca_cert_pem,
            "CLOUDLAB_CLIENT_CERT_PEM": cluster.admin_cert_pem,
            "CLOUDLAB_CLIENT_KEY_PEM": cluster.admin_key_pem,
        },
        # A replaced master is a new cluster: wait for it again.
        triggers=[cluster.master.instance.id],
        opts=pulumi.ResourceOptions(depends_on=[cluster]),
    )
    provider = k8s.Provider(
        "k8s-provider",
        kubeconfig=cluster.kubeconfig,
        opts=pulumi.ResourceOptions(depends_on=[gate]),
    )
    app = FastApiApp(
        "fastapi-app",
        workload_settings,
        pulumi.ResourceOptions(providers=[provider], depends_on=[gate]),
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
