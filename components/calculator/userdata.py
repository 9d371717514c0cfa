"""Cloud-init user data that installs one calculator service on a VM as a systemd unit.

The rendering itself lives with the services (:func:`services.deploy.cloud_config`); this
module only turns the lab's wiring (which URLs the calculator calls) into its arguments.
The VMs need nothing but ``python3`` (3.8 or later) and cloud-init: no package mirror, no
git clone, no SSH session.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from services.deploy import cloud_config


def service_args(operand_urls: Mapping[str, Sequence[str]] | None = None) -> list[str]:
    """The calculator's ``--sum URL[,URL...]``-style arguments (empty for operands)."""
    args: list[str] = []
    for operator, urls in (operand_urls or {}).items():
        args += [f"--{operator}", ",".join(urls)]
    return args


def render_user_data(
    service: str, port: int, operand_urls: Mapping[str, Sequence[str]] | None = None
) -> str:
    """``#cloud-config`` installing ``service`` listening on ``port``.

    ``operand_urls`` (calculator only) maps each operator to the URLs of its replicas.
    """
    return cloud_config(service, port, service_args(operand_urls))
