"""An ML2 mechanism driver that binds every port, so Neutron works without any L2 agent.

Neutron's own drivers bind a port only when an agent on the port's host reports in; the local
cloud runs no agents (no VM runs, so no traffic is needed), and nova would wait for a binding that
never comes. This driver binds each port to its first segment as an OVS port, ACTIVE.
"""

from neutron_lib import constants
from neutron_lib.api.definitions import portbindings
from neutron_lib.plugins.ml2 import api

SUPPORTED_TYPES = frozenset({constants.TYPE_FLAT, constants.TYPE_VXLAN, constants.TYPE_VLAN})


class BindAllMechanismDriver(api.MechanismDriver):
    """Binds any port on a flat, vlan or vxlan segment, on any host."""

    def initialize(self) -> None:
        """Nothing to set up: the driver keeps no state."""

    def bind_port(self, context: api.PortContext) -> None:
        """Bind the port to the first segment of a supported type, as an ACTIVE OVS port."""
        for segment in context.segments_to_bind:
            if segment[api.NETWORK_TYPE] in SUPPORTED_TYPES:
                context.set_binding(
                    segment[api.ID],
                    portbindings.VIF_TYPE_OVS,
                    {portbindings.CAP_PORT_FILTER: True, portbindings.OVS_HYBRID_PLUG: False},
                    status=constants.PORT_STATUS_ACTIVE,
                )
                return
