"""CalculatorLab on OpenStack: every fact of docs/labs/openstack.md, resource by resource."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, ClassVar

import pytest

from components.errors import ConfigError
from tests.harness import Recording
from tests.openstack_types import (
    FIP,
    FIP_ASSOC,
    NET,
    PORT,
    ROUTER,
    ROUTER_IF,
    RULE,
    SG,
    SUBNET,
    SUBNET_ROUTE,
    VM,
)

LAB = "cloudlab:openstack:CalculatorLab"
OPERANDS = {"sum": 50001, "sub": 50002, "mul": 50003, "div": 50004}


def openstack_config(**calculator: Any) -> dict[str, Any]:
    return {"cloudlab:environment": "openstack", "cloudlab:calculator": calculator}


def rules_by_group(rec: Recording, direction: str = "ingress") -> dict[str, list[dict[str, Any]]]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for rule in rec.of_type(RULE):
        if rule.inputs["direction"] == direction:
            groups[rule.inputs["securityGroupId"].removesuffix("-sg-id")].append(rule.inputs)
    return dict(groups)


def port_of(rec: Recording, vm: str) -> dict[str, Any]:
    return rec.named(f"{vm}-port").inputs


@pytest.fixture
def secured(run_stack) -> Recording:
    return run_stack("openstack", openstack_config())


@pytest.fixture
def flat(run_stack) -> Recording:
    return run_stack("openstack", openstack_config(topology="flat"))


class TestSecuredTopology:
    def test_resource_counts(self, secured: Recording) -> None:
        counts = secured.types()
        assert counts[NET] == 2
        assert counts[SUBNET] == 2
        assert counts[ROUTER] == 2
        assert counts[VM] == 5
        assert counts[FIP] == 1
        assert counts[FIP_ASSOC] == 1
        assert counts[SUBNET_ROUTE] == 1
        assert counts[SG] == 5
        # Ingress: 50005 from 0.0.0.0/0 and one port per operand service; SSH closed by
        # default. Egress: the calculator to the four operand ports, every VM to the metadata.
        assert counts[RULE] == 5 + 4 + 5

    def test_networks_use_the_lab_cidrs(self, secured: Recording) -> None:
        front = secured.named("calc-frontend-subnet").inputs
        back = secured.named("calc-backend-subnet").inputs
        assert front["cidr"] == "192.168.210.0/24"
        assert back["cidr"] == "192.168.18.0/24"
        assert front["networkId"] == "calc-frontend-net-id"
        assert back["networkId"] == "calc-backend-net-id"
        # Back-end hosts go through the internal router; the front end's default gateway is
        # the edge router, away from the lab's .1.
        assert back["gatewayIp"] == "192.168.18.1"
        assert front["gatewayIp"] == "192.168.210.254"
        assert front["enableDhcp"] is True

    def test_internal_router_holds_the_lab_addresses(self, secured: Recording) -> None:
        router = secured.named("calc-internal-router").inputs
        assert "externalNetworkId" not in router
        front = secured.named("calc-internal-frontend-port").inputs
        back = secured.named("calc-internal-backend-port").inputs
        assert front["fixedIps"] == [
            {"subnetId": "calc-frontend-subnet-id", "ipAddress": "192.168.210.1"}
        ]
        assert back["fixedIps"] == [
            {"subnetId": "calc-backend-subnet-id", "ipAddress": "192.168.18.1"}
        ]
        legs = {
            r.inputs["portId"]
            for r in secured.of_type(ROUTER_IF)
            if r.inputs["routerId"] == "calc-internal-router-id"
        }
        assert legs == {"calc-internal-frontend-port-id", "calc-internal-backend-port-id"}

    def test_edge_router_has_the_external_gateway_on_the_front_end_only(
        self, secured: Recording
    ) -> None:
        edge = secured.named("calc-edge-router").inputs
        assert edge["externalNetworkId"] == "public-net-id"
        legs = [r.inputs for r in secured.of_type(ROUTER_IF) if r.name.startswith("calc-edge-")]
        assert legs == [{"routerId": "calc-edge-router-id", "subnetId": "calc-frontend-subnet-id"}]
        assert ("openstack:networking/getNetwork:getNetwork", {"name": "public"}) in secured.calls

    def test_static_route_to_the_back_end_is_declared(self, secured: Recording) -> None:
        (route,) = secured.of_type(SUBNET_ROUTE)
        assert route.inputs == {
            "subnetId": "calc-frontend-subnet-id",
            "destinationCidr": "192.168.18.0/24",
            "nextHop": "192.168.210.1",
        }

    def test_only_the_gateway_has_a_floating_ip(self, secured: Recording) -> None:
        (fip,) = secured.of_type(FIP)
        (assoc,) = secured.of_type(FIP_ASSOC)
        assert fip.inputs["pool"] == "public"
        assert fip.parent_type == "cloudlab:openstack:Vm"
        assert fip.name == "calc-calculator-fip"
        assert assoc.inputs == {"floatingIp": "203.0.113.1", "portId": "calc-calculator-port-id"}
        # Neutron refuses the association until the edge router joins the front end.
        edge_leg = secured.named("calc-edge-frontend-if").urn
        assert edge_leg in assoc.dependencies

    def test_gateway_on_front_end_operands_on_back_end(self, secured: Recording) -> None:
        assert port_of(secured, "calc-calculator")["networkId"] == "calc-frontend-net-id"
        for operand in OPERANDS:
            assert port_of(secured, f"calc-{operand}")["networkId"] == "calc-backend-net-id"

    def test_security_group_rules_and_sources(self, secured: Recording) -> None:
        groups = rules_by_group(secured)
        assert groups["calc-gateway"] == [
            {
                "securityGroupId": "calc-gateway-sg-id",
                "direction": "ingress",
                "ethertype": "IPv4",
                "protocol": "tcp",
                "portRangeMin": 50005,
                "portRangeMax": 50005,
                "remoteIpPrefix": "0.0.0.0/0",
                "description": "calculator (public)",
            }
        ]
        for operand, port in OPERANDS.items():
            (rule,) = groups[f"calc-{operand}"]
            assert (rule["portRangeMin"], rule["portRangeMax"]) == (port, port)
            assert rule["remoteIpPrefix"] == "192.168.210.0/24"
            assert rule["direction"] == "ingress"
            assert rule["protocol"] == "tcp"
            assert port_of(secured, f"calc-{operand}")["securityGroupIds"] == [
                f"calc-{operand}-sg-id"
            ]
        assert port_of(secured, "calc-calculator")["securityGroupIds"] == ["calc-gateway-sg-id"]

    def test_egress_is_only_what_the_lab_needs(self, secured: Recording) -> None:
        """Neutron's allow-all default egress dropped; the calculator reaches the operands'
        ports on the back end; every VM reaches the metadata service; nothing else."""
        for group in secured.of_type(SG):
            assert group.inputs["deleteDefaultRules"] is True, group.name
        egress = rules_by_group(secured, "egress")
        metadata = ("tcp", 80, 80, "169.254.169.254/32")
        shape = {
            name: sorted(
                (r["protocol"], r["portRangeMin"], r["portRangeMax"], r["remoteIpPrefix"])
                for r in rules
            )
            for name, rules in egress.items()
        }
        assert shape["calc-gateway"] == sorted(
            [("tcp", port, port, "192.168.18.0/24") for port in OPERANDS.values()] + [metadata]
        )
        for operand in OPERANDS:
            assert shape[f"calc-{operand}"] == [metadata]

    def test_metadata_egress_is_config(self, run_stack) -> None:
        rec = run_stack("openstack", openstack_config(metadataEgress=False))
        egress = rules_by_group(rec, "egress")
        assert "calc-sum" not in egress  # an operand: no egress at all
        assert {r["remoteIpPrefix"] for r in egress["calc-gateway"]} == {"192.168.18.0/24"}

    def test_ipv6_world_is_refused_too(self, run_stack) -> None:
        with pytest.raises(ConfigError, match=r"sshAllowedCidrs"):  # the lab is IPv4 only
            run_stack("openstack", openstack_config(sshAllowedCidrs=["::/0"]))

    @pytest.mark.parametrize("cidr", ["0.0.0.0/0", "0.0.0.0/1", "8.0.0.0/8"])
    def test_world_open_ssh_is_refused_unless_meant(self, run_stack, cidr: str) -> None:
        with pytest.raises(ConfigError, match=r"sshAllowedCidrs\[0\].*whole internet"):
            run_stack("openstack", openstack_config(sshAllowedCidrs=[cidr]))
        rec = run_stack("openstack", openstack_config(sshAllowedCidrs=[cidr], allowWorldOpen=True))
        ssh = [r.inputs for r in rec.of_type(RULE) if r.inputs["portRangeMin"] == 22]
        assert {r["remoteIpPrefix"] for r in ssh} == {cidr}

    def test_no_rule_opens_ssh_by_default(self, secured: Recording) -> None:
        assert all(r.inputs["portRangeMin"] != 22 for r in secured.of_type(RULE))

    def test_ssh_opens_only_to_the_given_cidrs(self, run_stack) -> None:
        rec = run_stack("openstack", openstack_config(sshAllowedCidrs=["198.51.100.0/24"]))
        ssh = [r.inputs for r in rec.of_type(RULE) if r.inputs["portRangeMin"] == 22]
        assert len(ssh) == 5
        assert {r["remoteIpPrefix"] for r in ssh} == {"198.51.100.0/24"}

    def test_allowed_cidrs_restrict_the_public_port(self, run_stack) -> None:
        rec = run_stack(
            "openstack", openstack_config(allowedCidrs=["203.0.113.0/24", "198.51.100.7/32"])
        )
        public = [r.inputs for r in rec.of_type(RULE) if r.inputs["portRangeMin"] == 50005]
        assert sorted(r["remoteIpPrefix"] for r in public) == ["198.51.100.7/32", "203.0.113.0/24"]

    def test_vms_use_image_flavor_and_key_pair(self, run_stack) -> None:
        rec = run_stack(
            "openstack", openstack_config(image="Ubuntu4CLV", flavor="nano", keyPair="lab")
        )
        for vm in rec.of_type(VM):
            assert vm.inputs["imageName"] == "Ubuntu4CLV"
            assert vm.inputs["flavorName"] == "nano"
            assert vm.inputs["keyPair"] == "lab"
            assert vm.inputs["networks"] == [{"port": vm.name.removesuffix("-vm") + "-port-id"}]

    def test_cloud_init_installs_each_service(self, secured: Recording) -> None:
        for operand, port in OPERANDS.items():
            data = secured.named(f"calc-{operand}-vm").inputs["userData"]
            assert data.startswith("#cloud-config\n")
            assert f"python3 -m services {operand} --host 0.0.0.0 --port {port}" in data
            assert f"cloudlab-{operand}.service" in data

    def test_calculator_points_at_the_operand_private_addresses(self, secured: Recording) -> None:
        data = secured.named("calc-calculator-vm").inputs["userData"]
        ips = secured.exports["privateIps"]
        expected = " ".join(f"--{op} http://{ips[op]}:{port}" for op, port in OPERANDS.items())
        assert f"python3 -m services calculator --host 0.0.0.0 --port 50005 {expected}" in data

    def test_stack_outputs(self, secured: Recording) -> None:
        assert secured.exports["calculatorUrl"] == "http://203.0.113.1:50005"
        assert secured.exports["floatingIp"] == "203.0.113.1"
        ips = secured.exports["privateIps"]
        assert set(ips) == {"calculator", *OPERANDS}
        assert ips["calculator"].startswith("192.168.210.")
        assert all(ips[op].startswith("192.168.18.") for op in OPERANDS)

    def test_every_child_is_parented_to_its_component(self, secured: Recording) -> None:
        expected = {
            NET: "cloudlab:openstack:PrivateNetwork",
            SUBNET: "cloudlab:openstack:PrivateNetwork",
            SUBNET_ROUTE: "cloudlab:openstack:PrivateNetwork",
            ROUTER: "cloudlab:openstack:Router",
            ROUTER_IF: "cloudlab:openstack:Router",
            SG: "cloudlab:openstack:SecurityGroup",
            RULE: "cloudlab:openstack:SecurityGroup",
            VM: "cloudlab:openstack:Vm",
            FIP: "cloudlab:openstack:Vm",
            FIP_ASSOC: "cloudlab:openstack:Vm",
        }
        for resource in secured:
            if resource.typ in expected:
                assert resource.parent_type == expected[resource.typ], resource.name
            elif resource.typ.startswith("cloudlab:openstack:") and resource.typ != (
                "cloudlab:openstack:CalculatorLab"
            ):
                assert resource.parent_type == "cloudlab:openstack:CalculatorLab", resource.name
        router_ports = [p for p in secured.of_type(PORT) if p.name.startswith("calc-internal")]
        assert {p.parent_type for p in router_ports} == {"cloudlab:openstack:Router"}
        assert secured.named("calc").parent_type == "pulumi:pulumi:Stack"

    def test_child_names_derive_from_the_component_name(self, secured: Recording) -> None:
        lab = [r for r in secured if r.typ != "pulumi:pulumi:StackReference"]
        assert all(r.name == "calc" or r.name.startswith("calc-") for r in lab)


class TestFlatTopology:
    def test_one_network_five_vms_one_floating_ip(self, flat: Recording) -> None:
        counts = flat.types()
        assert counts[NET] == 1
        assert counts[SUBNET] == 1
        assert counts[ROUTER] == 1
        assert counts[VM] == 5
        assert counts[FIP] == 1
        assert SUBNET_ROUTE not in counts
        assert flat.named("calc-private-subnet").inputs["cidr"] == "192.168.210.0/24"
        for vm in ["calculator", *OPERANDS]:
            assert port_of(flat, f"calc-{vm}")["networkId"] == "calc-private-net-id"

    def test_public_port_on_the_calculator(self, flat: Recording) -> None:
        groups = rules_by_group(flat)
        (rule,) = groups["calc-gateway"]
        assert rule["portRangeMin"] == 50005
        assert rule["remoteIpPrefix"] == "0.0.0.0/0"
        (assoc,) = flat.of_type(FIP_ASSOC)
        assert assoc.inputs["portId"] == "calc-calculator-port-id"
        for operand in OPERANDS:
            (rule,) = groups[f"calc-{operand}"]
            assert rule["remoteIpPrefix"] == "192.168.210.0/24"
        assert flat.exports["topology"] == "flat"
        assert flat.exports["calculatorUrl"] == "http://203.0.113.1:50005"


class TestScaling:
    def test_replicas_multiply_operand_vms_and_feed_the_calculator(self, run_stack) -> None:
        rec = run_stack("openstack", openstack_config(replicas=3))
        assert rec.types()[VM] == 1 + 4 * 3
        ips = rec.exports["privateIps"]
        data = rec.named("calc-calculator-vm").inputs["userData"]
        urls = ",".join(f"http://{ips[f'sum-{i}']}:50001" for i in (1, 2, 3))
        assert f"--sum {urls}" in data

    def test_custom_ports(self, run_stack) -> None:
        rec = run_stack(
            "openstack",
            openstack_config(publicPort=80, servicePorts={"sum": 6001, "div": 6004}),
        )
        groups = rules_by_group(rec)
        assert groups["calc-gateway"][0]["portRangeMin"] == 80
        assert groups["calc-sum"][0]["portRangeMin"] == 6001
        assert groups["calc-sub"][0]["portRangeMin"] == 50002
        assert groups["calc-div"][0]["portRangeMin"] == 6004
        assert rec.exports["calculatorUrl"] == "http://203.0.113.1:80"

    def test_dependency_depth_does_not_grow_with_the_number_of_vms(self, run_stack) -> None:
        one = run_stack("openstack", openstack_config())
        many = run_stack("openstack", openstack_config(replicas=5))
        assert many.types()[VM] == 21
        assert one.dependency_depth() == many.dependency_depth()
        # network -> subnet -> router interface -> floating IP association.
        assert one.dependency_depth() == 4


class TestVmOperationsBelongToTheLab:
    """Snapshots and restored VMs are the lab's children."""

    OPERATIONS: ClassVar[dict[str, dict[str, str]]] = {
        "snapshots": {"calculator-snapshot": "calculator"},
        "restored": {"calculator-copy": "calculator-snapshot"},
    }

    @pytest.fixture
    def recorded(self, run_stack):
        config = {**openstack_config(), "cloudlab:vmOperations": self.OPERATIONS}
        return run_stack("openstack", config)

    def test_they_are_children_of_the_lab(self, recorded) -> None:
        rec = recorded
        assert rec.named("calc-calculator-copy").parent_type == LAB
        assert rec.named("calc-snapshot-calculator-snapshot").parent_type == LAB
        (command,) = rec.of_type("pulumi-python:dynamic/cloudlab/local:Command")
        assert command.parent_type == "cloudlab:openstack:VmSnapshot"

    def test_the_lab_exports_the_restored_vm_and_the_snapshot(self, recorded) -> None:
        rec = recorded
        assert rec.exports["privateIps"]["calculator-copy"].startswith("192.168.210.")
        assert set(rec.exports["snapshots"]) == {"calculator-snapshot"}


def test_a_restored_vm_gets_the_shrink_warning_of_the_labs_vms(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A flavor change resizes the restored VMs too (they take the lab's flavor): shrinking
    them warns as it does for the lab's own VMs."""
    import pulumi

    from components.calculator.openstack_lab import CalculatorLab, CalculatorLabArgs
    from components.calculator.settings import CalculatorSettings
    from tests.harness import run_program

    warnings: list[str] = []
    monkeypatch.setattr(pulumi.log, "warn", lambda message, *a, **k: warnings.append(message))

    def program() -> None:
        CalculatorLab(
            "calc",
            CalculatorLabArgs(
                settings=CalculatorSettings(flavor="nano"),
                previous_flavor="small2",
                snapshots={"calculator-snapshot": "calculator"},
                restored={"calculator-copy": "calculator-snapshot"},
            ),
        )

    run_program(program)
    shrinking = sorted(w.split(":")[0] for w in warnings if "shrinks the VM" in w)
    assert shrinking == sorted(
        ["calc-calculator", "calc-sum", "calc-sub", "calc-mul", "calc-div", "calc-calculator-copy"]
    )
