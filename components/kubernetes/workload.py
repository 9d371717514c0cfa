"""The FastAPI workload of the edge lab (``docs/labs/kubernetes.md``).

A Deployment (``fastapi-app``, 3 replicas, port 5000) pinned to one named worker by node
affinity, behind a ClusterIP Service (``fastapi-app-clusterip-service``, 80 -> 5000) and a
NodePort Service (``fastapi-app-service``, 80 -> 5000, node port 31114 in the lab). The edge
migration moves the pods by changing the placement and running ``pulumi up``.

Give the Kubernetes provider through ``opts`` (``providers=[provider]``): every child
inherits it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.kubernetes.settings import WorkloadSettings

HOSTNAME_LABEL = "kubernetes.io/hostname"
DEPLOYMENT_TIMEOUT = "20m"
"""How long ``pulumi up`` waits for the pods to be Ready (images pulled, nodes joined)."""
PATCH_FORCE = "pulumi.com/patchForce"
"""The provider's annotation that makes its server-side apply take fields other managers hold."""


@dataclass
class FastApiAppArgs:
    """Arguments of :class:`FastApiApp`."""

    settings: WorkloadSettings
    """Image, replicas, ports, probes, resources and the worker the pods are pinned to."""


class FastApiApp(pulumi.ComponentResource):
    """The app's Deployment and its two Services."""

    deployment: k8s.apps.v1.Deployment
    cluster_ip_service: k8s.core.v1.Service
    node_port_service: k8s.core.v1.Service
    labels: dict[str, str]

    def __init__(
        self,
        name: str,
        args: FastApiAppArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("cloudlab:kubernetes:FastApiApp", name, None, opts)
        s = args.settings
        self.labels = {"app": s.app_name}
        probe_action = k8s.core.v1.HTTPGetActionArgs(path=s.probe_path, port="http")
        container = k8s.core.v1.ContainerArgs(
            name=s.app_name,
            image=s.image,
            ports=[
                k8s.core.v1.ContainerPortArgs(
                    name="http", container_port=s.container_port, protocol="TCP"
                )
            ],
            readiness_probe=k8s.core.v1.ProbeArgs(
                http_get=probe_action,
                initial_delay_seconds=2,
                period_seconds=5,
                timeout_seconds=2,
                failure_threshold=3,
            ),
            liveness_probe=k8s.core.v1.ProbeArgs(
                http_get=probe_action,
                initial_delay_seconds=10,
                period_seconds=10,
                timeout_seconds=2,
                failure_threshold=3,
            ),
            resources=k8s.core.v1.ResourceRequirementsArgs(
                requests={"cpu": s.resources.cpu_request, "memory": s.resources.memory_request},
                limits={"cpu": s.resources.cpu_limit, "memory": s.resources.memory_limit},
            ),
            # The image runs as nobody (65534) and writes nothing: no root, no new privileges,
            # no capability, a read-only root filesystem.
            security_context=k8s.core.v1.SecurityContextArgs(
                run_as_non_root=True,
                run_as_user=65534,
                allow_privilege_escalation=False,
                read_only_root_filesystem=True,
                capabilities=k8s.core.v1.CapabilitiesArgs(drop=["ALL"]),
            ),
        )
        placement = k8s.core.v1.AffinityArgs(
            node_affinity=k8s.core.v1.NodeAffinityArgs(
                required_during_scheduling_ignored_during_execution=k8s.core.v1.NodeSelectorArgs(
                    node_selector_terms=[
                        k8s.core.v1.NodeSelectorTermArgs(
                            match_expressions=[
                                k8s.core.v1.NodeSelectorRequirementArgs(
                                    key=HOSTNAME_LABEL, operator="In", values=[s.placement]
                                )
                            ]
                        )
                    ]
                )
            )
        )
        self.deployment = k8s.apps.v1.Deployment(
            f"{name}-deployment",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=s.app_name,
                namespace=s.namespace,
                labels=self.labels,
                # The stack owns what it declares: a `kubectl scale` (another field manager)
                # is drift that the next `up` puts back, not a server-side-apply conflict that
                # stops it (seen against a real API server).
                annotations={PATCH_FORCE: "true"},
            ),
            spec=k8s.apps.v1.DeploymentSpecArgs(
                replicas=s.replicas,
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=self.labels),
                template=k8s.core.v1.PodTemplateSpecArgs(
                    metadata=k8s.meta.v1.ObjectMetaArgs(labels=self.labels),
                    spec=k8s.core.v1.PodSpecArgs(affinity=placement, containers=[container]),
                ),
            ),
            opts=pulumi.ResourceOptions(
                parent=self,
                custom_timeouts=pulumi.CustomTimeouts(
                    create=DEPLOYMENT_TIMEOUT, update=DEPLOYMENT_TIMEOUT
                ),
            ),
        )
        self.cluster_ip_service = self._service(
            f"{name}-clusterip", f"{s.app_name}-clusterip-service", "ClusterIP", s, None
        )
        self.node_port_service = self._service(
            f"{name}-nodeport", f"{s.app_name}-service", "NodePort", s, s.node_port
        )
        self.register_outputs(
            {
                "deployment": self.deployment.metadata.name,
                "cluster_ip_service": self.cluster_ip_service.metadata.name,
                "node_port_service": self.node_port_service.metadata.name,
            }
        )

    def _service(
        self,
        resource_name: str,
        service_name: str,
        service_type: str,
        s: WorkloadSettings,
        node_port: int | None,
    ) -> k8s.core.v1.Service:
        return k8s.core.v1.Service(
            resource_name,
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=service_name, namespace=s.namespace, labels=self.labels
            ),
            spec=k8s.core.v1.ServiceSpecArgs(
                type=service_type,
                selector=self.labels,
                ports=[
                    k8s.core.v1.ServicePortArgs(
                        name="http",
                        protocol="TCP",
                        port=s.service_port,
                        target_port=s.container_port,
                        node_port=node_port,
                    )
                ],
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
