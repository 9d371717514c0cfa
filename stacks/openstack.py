"""The calculator lab on a real OpenStack cloud (LABS.md section 2), with the VM operations
the labs exercised (resize, snapshot, a VM booted from a snapshot) driven by config."""

from __future__ import annotations

import pulumi

from components.config import OpenStackConfig, load_config
from components.openstack.calculator_lab import (
    CalculatorLab,
    CalculatorLabOptions,
    calculator_footprint,
)
from components.openstack.quota import FOOTPRINT_OUTPUT, check_quotas
from components.openstack.vm import Vm, VmArgs, VmSnapshot, VmSnapshotArgs, cloud_flavor


def deployed_flavor() -> pulumi.Output[str | None]:
    """The ``flavor`` this stack exported at its last update (``None`` before the first): what
    the VMs run now, so a resize to a smaller flavor can warn before it happens."""
    me = f"{pulumi.get_organization()}/{pulumi.get_project()}/{pulumi.get_stack()}"
    return pulumi.StackReference(me).get_output("flavor")


def run(config: pulumi.Config) -> None:
    """Read ``cloudlab:calculator`` and ``cloudlab:vmOperations``, build the lab and its
    snapshots, export how to reach it."""
    cfg = load_config(OpenStackConfig, config)
    settings, operations = cfg.calculator, cfg.vm_operations
    # Pre-flight, before the first resource: the flavor exists and the lab fits the quotas.
    flavor = cloud_flavor(settings.flavor, "cloudlab:calculator.flavor")
    footprint = calculator_footprint(
        settings, flavor.vcpus, flavor.ram_mb, extra_vms=len(operations.restored)
    )
    check_quotas(footprint)

    lab = CalculatorLab(
        "calc",
        settings,
        options=CalculatorLabOptions(
            previous_flavor=deployed_flavor(), flavor_sizes=operations.flavor_sizes
        ),
    )
    environment = {"OS_CLOUD": operations.openstack_cloud} if operations.openstack_cloud else {}
    snapshots = {
        image: VmSnapshot(
            f"calc-snapshot-{image}",
            VmSnapshotArgs(
                server_id=lab.vms[vm].instance.id, image_name=image, environment=environment
            ),
        )
        for image, vm in operations.snapshots.items()
    }
    restored = {}
    for name, image in operations.restored.items():
        network, groups = lab.vm_placement[operations.snapshots[image]]
        restored[name] = Vm(
            f"calc-{name}",
            VmArgs(
                network=network,
                image=image,
                flavor=settings.flavor,
                key_pair=settings.key_pair,
                security_group_ids=groups,
                image_after=[snapshots[image]],
            ),
        )

    pulumi.export("calculatorUrl", lab.calculator_url)
    pulumi.export("floatingIp", lab.floating_ip)
    pulumi.export(
        "privateIps", {**lab.private_ips, **{n: vm.private_ip for n, vm in restored.items()}}
    )
    pulumi.export("topology", settings.topology)
    pulumi.export("flavor", settings.flavor)
    pulumi.export(FOOTPRINT_OUTPUT, footprint.as_output())
    pulumi.export("snapshots", {image: snap.image_id for image, snap in snapshots.items()})
