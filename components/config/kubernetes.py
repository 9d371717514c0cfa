"""``kubernetes``: the kubeadm cluster on OpenStack and the app on it."""

from __future__ import annotations

from collections.abc import Mapping
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
    workload: WorkloadSettings | None = None
    """The FastAPI app, placed on one of the cluster's workers; ``None`` (and unset) when the
    cluster's ``readiness`` is ``none``: no workload is deployed on a cluster never waited for."""

    @model_validator(mode="before")
    @classmethod
    def _unset_workload_is_empty(cls, raw: Any) -> Any:
        if _waits_for_the_cluster(raw):
            return unset_is_empty(raw, "workload")
        return raw

    @model_validator(mode="after")
    def _the_cluster_can_take_the_workload(self) -> KubernetesConfig:
        """With ``readiness: wait``: `cloudlab:kubernetes.apiAllowedCidrs` is not empty (the
        stack deploys the workload through the API) and `cloudlab:workload.placement` is one of
        the workers. With ``readiness: none``: `cloudlab:workload` is unset."""
        if self.kubernetes.readiness == "none":
            if self.workload is not None:
                raise invalid(
                    "set, but kubernetes.readiness is none: nothing waits for the cluster, so "
                    "no workload is deployed on it",
                    "unset (or kubernetes.readiness: wait)",
                    "workload",
                )
            return self
        if self.workload is None:  # unset became {} above, so its own checks spoke first
            raise invalid("unset", "the workload's settings (at least its image)", "workload")
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


def _waits_for_the_cluster(raw: Any) -> bool:
    """Whether the raw config keeps the default ``readiness: wait`` (an invalid value is the
    cluster model's to report)."""
    cluster = raw.get("kubernetes") if isinstance(raw, Mapping) else None
    return not (isinstance(cluster, Mapping) and cluster.get("readiness") == "none")
