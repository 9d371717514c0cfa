"""``openstack``: the calculator lab on OpenStack, with its VM operations."""

from __future__ import annotations

from pydantic import model_validator

from components.calculator.settings import CalculatorSettings
from components.classroom.membership import GroupMembership
from components.openstack.operations import VmOperations
from components.settings import EnvironmentConfig


class OpenStackConfig(EnvironmentConfig):
    """``openstack``: the calculator lab on an OpenStack cloud, with the VM operations the labs
    exercised (snapshots, VMs booted from them; a resize is a change of flavor)."""

    calculator: CalculatorSettings = CalculatorSettings()
    """The calculator lab."""
    vm_operations: VmOperations = VmOperations()
    """Snapshots of the lab's VMs and VMs restored from them."""
    group: GroupMembership | None = None
    """Set on a class's ``group-<id>`` stacks (``python -m classroom``): the lab runs with
    the group's credentials from the classroom stack, its names carry the group's id."""

    @model_validator(mode="after")
    def _operations_name_the_labs_vms(self) -> OpenStackConfig:
        """`vmOperations.snapshots` are taken of the lab's VMs (`calculator`, `sum`, ... or
        `sum-1`, ... with replicas); `vmOperations.restored` VMs have new names."""
        self.vm_operations.check_vms(self.calculator.vm_keys, "vmOperations.")
        return self
