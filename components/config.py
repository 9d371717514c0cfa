"""The config of each environment: one model per stack, whose fields are the ``cloudlab:``
keys it reads (each one a lab's settings model), with the rules that span keys.

A stack calls :func:`load_config` with its model first, so it registers nothing unless the
whole config is valid, and validates nothing itself. ``python -m components.config_reference``
writes the README's configuration reference from these models.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import pulumi
from pydantic import Field, model_validator

from components.calculator.settings import CalculatorSettings
from components.docker.settings import DockerSettings
from components.dockerlab.settings import DockerLabSettings
from components.kubernetes.settings import ClusterSettings, WorkloadSettings, placement_problem
from components.openstack.operations import VmOperations
from components.proxmox.settings import ProxmoxSettings
from components.settings import (
    EnvironmentConfig,
    Text,
    field_type,
    invalid,
    load_config,
    required,
)
from components.virtualbox.settings import VirtualBoxSettings

__all__ = [
    "ENVIRONMENT_CONFIGS",
    "DockerLabConfig",
    "KubernetesConfig",
    "LocalConfig",
    "OpenStackConfig",
    "ProxmoxConfig",
    "VirtualBoxConfig",
    "WorkloadConfig",
    "load_config",
]


def _unset_is_empty(raw: Any, *keys: str) -> Any:
    """``raw`` with each unset key of ``keys`` an empty object: its required settings then
    name themselves (``cloudlab:workload.image``), not the whole object."""
    if isinstance(raw, Mapping):
        return {**raw, **{key: {} for key in keys if raw.get(key) is None}}
    return raw


class LocalConfig(EnvironmentConfig):
    """``local`` (the default, stack ``dev``): the calculator lab's Docker twin."""

    calculator: CalculatorSettings = CalculatorSettings()
    """The calculator lab; its OpenStack-only settings have no effect here (a warning)."""
    docker: DockerSettings = DockerSettings()
    """The local Docker environment."""

    def warnings(self) -> list[str]:
        """What the stack warns about: settings with no effect here, a public calculator."""
        found = []
        ignored = self.calculator.openstack_only_keys()
        if ignored:
            found.append(
                f"{', '.join(ignored)}: OpenStack only, no effect on the local twin (it "
                "publishes the calculator on cloudlab:docker.publishHost)"
            )
        exposed = self.docker.exposure_warning()
        if exposed:
            found.append(exposed)
        return found


class OpenStackConfig(EnvironmentConfig):
    """``openstack``: the calculator lab on an OpenStack cloud, with the VM operations the labs
    exercised (snapshots, VMs booted from them; a resize is a change of flavor)."""

    calculator: CalculatorSettings = CalculatorSettings()
    """The calculator lab."""
    vm_operations: VmOperations = VmOperations()
    """Snapshots of the lab's VMs and VMs restored from them."""

    @model_validator(mode="after")
    def _operations_name_the_labs_vms(self) -> OpenStackConfig:
        """`vmOperations.snapshots` are taken of the lab's VMs (`calculator`, `sum`, ... or
        `sum-1`, ... with replicas); `vmOperations.restored` VMs have new names."""
        self.vm_operations.check_vms(self.calculator.vm_keys, "vmOperations.")
        return self


class DockerLabConfig(EnvironmentConfig):
    """``dockerlab``: the Docker lab, and its orchestration row (the calculator twin, flat)."""

    dockerlab: DockerLabSettings = DockerLabSettings()
    """The Docker lab."""
    calculator: CalculatorSettings | None = None
    """The orchestration row's calculator (``flat`` only); ignored without orchestration."""
    docker: DockerSettings | None = None
    """The orchestration row's Docker environment; ignored without orchestration."""

    @model_validator(mode="before")
    @classmethod
    def _orchestration_reads_the_calculator(cls, raw: Any) -> Any:
        if not isinstance(raw, Mapping):
            return raw
        lab = raw.get("dockerlab")
        if isinstance(lab, Mapping) and lab.get("orchestration", True) is False:
            return {k: v for k, v in raw.items() if k not in ("calculator", "docker")}
        return {"calculator": {}, "docker": {}, **raw}

    @model_validator(mode="after")
    def _orchestration_is_one_network(self) -> DockerLabConfig:
        """With `orchestration`, `cloudlab:calculator.topology` is `flat`."""
        if self.calculator is not None and self.calculator.topology != "flat":
            raise invalid(
                "the Docker lab's orchestration row is one network, not "
                f"{self.calculator.topology!r}",
                "flat (or cloudlab:dockerlab.orchestration: false)",
                "calculator.topology",
            )
        return self


class KubernetesConfig(EnvironmentConfig):
    """``kubernetes``: the kubeadm cluster on OpenStack and the FastAPI app on it."""

    kubernetes: ClusterSettings = ClusterSettings()
    """The kubeadm cluster."""
    workload: WorkloadSettings
    """The FastAPI app, placed on one of the cluster's workers."""

    @model_validator(mode="before")
    @classmethod
    def _unset_workload_is_empty(cls, raw: Any) -> Any:
        return _unset_is_empty(raw, "workload")

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


def _worker_urls(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
        raise invalid("expected {worker: url}", "e.g. {worker1: ...}")
    return {str(k): v for k, v in value.items()}


class WorkloadConfig(EnvironmentConfig):
    """``k8s-workload``: the FastAPI app alone, on a cluster that already exists.

    The cluster is given by ``cloudlab:kubeconfig`` (a secret) or ``cloudlab:kubeconfigPath``
    (a file read when the program runs): exactly one of them."""

    text_keys: ClassVar[tuple[str, ...]] = ("kubeconfigPath", "kubeconfigContext")
    secret_keys: ClassVar[tuple[str, ...]] = ("kubeconfig",)

    workload: WorkloadSettings
    """The FastAPI app."""
    kubeconfig: Any = None
    """The cluster's kubeconfig, a secret: ``pulumi config set --secret cloudlab:kubeconfig <
    ~/.kube/config``."""
    kubeconfig_path: Text(optional=True) = None
    """A kubeconfig file, read when the program runs (``~`` is expanded)."""
    kubeconfig_context: Text(optional=True) = None
    """The kubeconfig's context to use; default: its current context."""
    worker_urls: field_type("object {worker: url}", _worker_urls) = Field(default_factory=dict)
    """Passed through to the outputs, for the edge migration command."""

    @model_validator(mode="before")
    @classmethod
    def _unset_workload_is_empty(cls, raw: Any) -> Any:
        return _unset_is_empty(raw, "workload")

    @model_validator(mode="after")
    def _one_readable_kubeconfig(self) -> WorkloadConfig:
        """Exactly one of `kubeconfig` and `kubeconfigPath`, and the file is readable."""
        if (self.kubeconfig is None) == (self.kubeconfig_path is None):
            raise invalid(
                "give exactly one of cloudlab:kubeconfig (secret) and cloudlab:kubeconfigPath",
                "pulumi config set --secret cloudlab:kubeconfig < ~/.kube/config",
                "kubeconfig",
            )
        if self.kubeconfig_path is not None:
            file = Path(self.kubeconfig_path).expanduser()
            try:
                content = file.read_text()
            except OSError as error:
                raise invalid(
                    f"cannot read {file}: {error.strerror}", "a kubeconfig file", "kubeconfigPath"
                ) from None
            object.__setattr__(self, "kubeconfig", pulumi.Output.secret(content))
        return self


class ProxmoxConfig(EnvironmentConfig):
    """``proxmox``: the group's LXC fleet on the course's Proxmox cluster (the endpoint and
    credentials come from ``PROXMOX_VE_*`` variables, never from the stack file)."""

    proxmox: ProxmoxSettings = required("an object with at least group and baseId")
    """The container fleet."""


class VirtualBoxConfig(EnvironmentConfig):
    """``virtualbox``: a NAT VM, its SSH forwarding rule, a clone, a disk copy."""

    virtualbox: VirtualBoxSettings
    """The VirtualBox lab."""

    @model_validator(mode="before")
    @classmethod
    def _unset_lab_is_empty(cls, raw: Any) -> Any:
        return _unset_is_empty(raw, "virtualbox")


ENVIRONMENT_CONFIGS: dict[str, type[EnvironmentConfig]] = {
    "local": LocalConfig,
    "openstack": OpenStackConfig,
    "dockerlab": DockerLabConfig,
    "kubernetes": KubernetesConfig,
    "k8s-workload": WorkloadConfig,
    "proxmox": ProxmoxConfig,
    "virtualbox": VirtualBoxConfig,
}
"""The config model of each environment (``cloudlab:environment``) of :mod:`stacks`."""
