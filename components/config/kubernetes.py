"""``kubernetes``: the kubeadm cluster on OpenStack and the app on it."""

from __future__ import annotations

from typing import Any

from pydantic import model_validator

from components.config._shared import unset_is_empty
from components.kubeadm.settings import ClusterSettings, placement_problem
from components.kubernetes.settings import WorkloadSettings
from components.settings import EnvironmentConfig, invalid


class KubernetesConfig(EnvironmentConfig):
    """``kubernetes``: the kubeadm cluster on OpenStack and the FastAPI app on it."""

    kubernetes: ClusterSettings = ClusterSettings()
    """The kubeadm cluster."""
    workload: WorkloadSettings
    """The FastAPI app, placed on one of the cluster's workers."""

    @model_validator(mode="before")
    @classmethod
    def _unset_workload_is_empty(cls, raw: Any) -> Any:
        return unset_is_empty(raw, "workload")

    @model_validator(mode="after")
    def _the_cluster_can_take_the_workload(self) -> KubernetesConfig:
        """`cloudlab:kubernetes.apiAllowedCidrs` is not empty (the stack deploys the workload
        through the API); `cloudlab:workload.placement` is one of the workers."""
        if not self.kubernetes.api_allowed_cidrs:
            raise invalid(
                "empty, but this stack deploys the workload through the API from where pulumi runs",
                "the CIDR of this machine, e.g. 198.51.100.7/32",
                "kubernetes.apiAllowedCidrs",
            )
        problem = placement_problem(self.workload, self.kubernetes)
        if problem:
            raise invalid(problem, ", ".join(self.kubernetes.worker_names), "workload.placement")
        return self
