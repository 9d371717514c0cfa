"""``k8s-workload``: the app alone, on a cluster that already exists."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import pulumi
from pydantic import Field, model_validator

from components.config._shared import unset_is_empty
from components.kubernetes.settings import WorkloadSettings
from components.settings import EnvironmentConfig, Text, field_type, invalid


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
        return unset_is_empty(raw, "workload")

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
