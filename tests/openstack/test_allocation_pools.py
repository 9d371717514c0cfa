"""The private subnets' allocation pools: a fixed router leg stays out of Neutron's hands."""

from components.openstack.network import allocation_pools


def _ranges(cidr: str, gateway: str | None, reserved: list[str]) -> list[tuple[str, str]]:
    return [(p.start, p.end) for p in allocation_pools(cidr, gateway, reserved)]


def test_the_front_end_keeps_its_router_leg_and_gateway_out_of_the_pool() -> None:
    pools = _ranges("192.168.210.0/24", "192.168.210.254", ["192.168.210.1"])
    assert pools == [("192.168.210.2", "192.168.210.253")]


def test_a_reserved_address_inside_the_range_splits_it() -> None:
    pools = _ranges("10.0.0.0/28", "10.0.0.1", ["10.0.0.7"])
    assert pools == [("10.0.0.2", "10.0.0.6"), ("10.0.0.8", "10.0.0.14")]


def test_nothing_reserved_keeps_neutrons_default_pool() -> None:
    assert allocation_pools("192.168.18.0/24", "192.168.18.1", []) == []
