"""The calculator lab on a real OpenStack cloud (docs/labs/openstack.md), with the VM operations
the labs exercised (resize, snapshot, a VM booted from a snapshot) driven by config."""

from __future__ import annotations

import pulumi

from components.calculator.openstack_lab import (
    CalculatorLab,
    CalculatorLabArgs,
    calculator_footprint,
)
from components.classroom.membership import group_provider
from components.config import load_config
from components.config.openstack import OpenStackConfig
from components.openstack.quota import FOOTPRINT_OUTPUT, check_quotas
from components.openstack.vm import cloud_flavor
from components.stack_outputs import previous_outputs


def deployed_flavor() -> str | None:
    """The ``flavor`` this stack exported at its last update (``None`` before the first): what
    the VMs run now, so a resize to a smaller flavor can warn before it happens."""
    flavor = previous_outputs().get("flavor")
    return flavor if isinstance(flavor, str) else None


def run(config: pulumi.Config) -> None:
    """Read ``cloudlab:calculator`` and ``cloudlab:vmOperations``, build the lab with its
    snapshots and restored VMs, export how to reach it."""
    cfg = load_config(OpenStackConfig, config)
    settings, operations = cfg.calculator, cfg.vm_operations
    # A class's group stack: the group's own credentials (from the classroom stack), the
    # group's id in every name.
    provider = group_provider(cfg.group) if cfg.group else None
    invoke = pulumi.InvokeOptions(provider=provider) if provider else None
    # Pre-flight, before the first resource: the flavor exists and the lab fits the quotas.
    flavor = cloud_flavor(settings.flavor, "cloudlab:calculator.flavor", invoke)
    footprint = calculator_footprint(
        settings, flavor.vcpus, flavor.ram_mb, extra_vms=len(operations.restored)
    )
    check_quotas(footprint, invoke)

    cloud = operations.openstack_cloud
    lab = CalculatorLab(
        cfg.group.lab_name if cfg.group else "calc",
        CalculatorLabArgs(
            settings=settings,
            previous_flavor=deployed_flavor(),
            flavor_sizes=operations.flavor_sizes,
            snapshots=operations.snapshots,
            restored=operations.restored,
            snapshot_environment={"OS_CLOUD": cloud} if cloud else {},
        ),
        pulumi.ResourceOptions(providers=[provider]) if provider else None,
    )

    pulumi.export("calculatorUrl", lab.calculator_url)
    pulumi.export("floatingIp", lab.floating_ip)
    pulumi.export("privateIps", lab.private_ips)
    pulumi.export("topology", settings.topology)
    pulumi.export("flavor", settings.flavor)
    pulumi.export(FOOTPRINT_OUTPUT, footprint.as_output())
    pulumi.export("snapshots", lab.snapshot_ids)
