"""Settings of the Kubernetes building blocks (the workload): lab values by default, every bad
value named."""

from __future__ import annotations

from typing import Any

import pytest

from components.errors import ConfigError
from components.kubernetes.settings import parse_workload_settings


def test_workload_defaults_are_the_lab() -> None:
    w = parse_workload_settings({"image": "r/app:1"})
    assert (w.app_name, w.replicas, w.container_port) == ("fastapi-app", 3, 5000)
    assert (w.service_port, w.node_port, w.placement) == (80, 31114, "worker1")


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ({}, "cloudlab:workload.image"),
        ({"image": "a", "nodePort": 80}, "cloudlab:workload.nodePort"),
        ({"image": "a", "nodePort": 32768}, "cloudlab:workload.nodePort"),
        ({"image": "a", "replicas": 0}, "cloudlab:workload.replicas"),
        ({"image": "a", "placement": "Worker_1"}, "cloudlab:workload.placement"),
        ({"image": "a", "probePath": "healthz"}, "cloudlab:workload.probePath"),
        ({"image": "a", "resources": {"cpuLimit": "lots"}}, "cloudlab:workload.resources.cpuLimit"),
        ({"image": "a", "resources": {"gpu": 1}}, "cloudlab:workload.resources.gpu"),
        ({"image": "a", "colour": "blue"}, "cloudlab:workload.colour"),
    ],
)
def test_bad_workload_settings_name_their_key(raw: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_workload_settings(raw)
    assert error.value.key == key
