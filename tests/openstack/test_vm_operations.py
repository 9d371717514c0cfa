"""OpenStack VM operations (docs/labs/openstack.md): resize in place with a warning when shrinking,
a snapshot image of a VM, a VM booted from it. Mocks, and the snapshot commands run against a
fake ``openstack`` client."""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any

import pulumi
import pulumi_openstack as openstack
import pytest

from components.dynamic.command import LocalCommandArgs, LocalCommandProvider
from components.errors import ConfigError
from components.openstack.network import PrivateNetwork, PrivateNetworkArgs
from components.openstack.vm import (
    DEFAULT_FLAVOR_SIZES,
    FlavorSize,
    Vm,
    VmArgs,
    VmSnapshot,
    VmSnapshotArgs,
    parse_flavor_sizes,
    resize_warning,
    snapshot_commands,
)
from tests.harness import Recording, run_program

INSTANCE = "openstack:compute/instance:Instance"
CMD = "pulumi-python:dynamic/cloudlab/local:Command"


def lab(
    flavor: str = "small2",
    previous: str | None = None,
    snapshot: bool = False,
    sizes: dict[str, FlavorSize] | None = None,
) -> tuple[Recording, list[str]]:
    """Run a VM (and optionally its snapshot and a VM booted from it); return the warnings."""
    warnings: list[str] = []

    def program() -> None:
        net = PrivateNetwork("net", PrivateNetworkArgs(cidr="192.168.210.0/24"))
        vm = Vm(
            "calculator",
            VmArgs(
                network=net,
                image="ubuntu_20",
                flavor=flavor,
                previous_flavor=previous,
                flavor_sizes=sizes if sizes is not None else dict(DEFAULT_FLAVOR_SIZES),
            ),
        )
        if snapshot:
            snap = VmSnapshot(
                "calculator-snap",
                VmSnapshotArgs(
                    server_id=vm.instance.id,
                    image_name="calculator-snapshot",
                    environment={"OS_CLOUD": "insa"},
                ),
            )
            Vm(
                "restored",
                VmArgs(
                    network=net,
                    image="calculator-snapshot",
                    image_id=snap.image_id,
                    flavor="small2",
                    image_after=[snap],
                ),
            )

    original = pulumi.log.warn
    pulumi.log.warn = lambda msg, *a, **k: warnings.append(msg)  # type: ignore[assignment]
    try:
        rec = run_program(program)
    finally:
        pulumi.log.warn = original  # type: ignore[assignment]
    return rec, warnings


class TestResize:
    def test_the_provider_resizes_flavor_changes_in_place(self) -> None:
        """The bridged provider's own documentation of the schema: a new flavor_name resizes
        the existing server; a new image_name rebuilds it (the lab's "restore": later data lost)."""
        source = inspect.getsource(openstack.compute.instance)
        flat = " ".join(source[source.index("class InstanceArgs") :].split())
        assert "desired flavor for the server. Changing this resizes the existing server." in flat
        image = flat[flat.index("image_name: (Optional") :][:300]
        assert "desired image for the server. Changing this rebuilds the existing server." in image

    def test_the_flavor_comes_from_config_and_no_replacement_is_forced(self) -> None:
        rec, _ = lab(flavor="medium")
        (vm,) = rec.of_type(INSTANCE)
        assert vm.inputs["flavorName"] == "medium"
        assert vm.name == "calculator-vm"  # same logical name whatever the flavor: an update

    def test_growing_is_silent(self) -> None:
        assert lab(flavor="medium", previous="small2")[1] == []
        assert lab(flavor="small2", previous="small2")[1] == []
        assert lab(flavor="small2", previous=None)[1] == []  # first deployment

    def test_shrinking_warns(self) -> None:
        _, warnings = lab(flavor="nano", previous="small2")
        assert len(warnings) == 1
        assert (
            "calculator: resizing small2 -> nano shrinks the VM (RAM 1024 MB -> 512 MB)"
            in (warnings[0])
        )
        assert "crashed" in warnings[0]

    def test_unknown_sizes_warn_that_it_cannot_tell(self) -> None:
        _, warnings = lab(flavor="m1.huge", previous="small2")
        assert len(warnings) == 1
        assert "cannot tell" in warnings[0]
        assert "m1.huge" in warnings[0]

    def test_sizes_table_comes_from_config(self) -> None:
        sizes = parse_flavor_sizes(
            {"a": {"vcpus": 2, "ramMb": 2048}, "b": {"vcpus": 1, "ramMb": 4096, "diskGb": 10}}
        )
        assert resize_warning("vm", "a", "b", sizes) == (
            "vm: resizing a -> b shrinks the VM (vCPUs 2 -> 1); shrinking a running VM "
            "crashed it in the lab: stop it first, or pick a flavor at least as large"
        )
        assert resize_warning("vm", "b", "a", sizes) is not None  # less RAM
        assert parse_flavor_sizes(None) == dict(DEFAULT_FLAVOR_SIZES)
        assert DEFAULT_FLAVOR_SIZES["nano"] == FlavorSize(1, 512)  # docs/labs/openstack.md
        assert DEFAULT_FLAVOR_SIZES["small2"] == FlavorSize(1, 1024, 20)

    @pytest.mark.parametrize(
        "raw",
        [[], {"a": 1}, {"a": {"vcpus": 1}}, {"a": {"vcpus": -1, "ramMb": 1}},
         {"a": {"vcpus": 1, "ramMb": 1, "gpu": 1}}],
    )  # fmt: skip
    def test_invalid_sizes_table(self, raw: Any) -> None:
        with pytest.raises(ConfigError, match=r"cloudlab:vmOperations\.flavorSizes"):
            parse_flavor_sizes(raw)


class TestSnapshot:
    def test_snapshot_is_a_local_openstack_command(self) -> None:
        rec, _ = lab(snapshot=True)
        (cmd,) = rec.of_type(CMD)
        assert cmd.parent_type == "cloudlab:openstack:VmSnapshot"
        assert cmd.inputs["create"] == (
            "out=$(openstack server image create --name calculator-snapshot --wait "
            '-f value -c id calculator-vm-id) || exit $?; printf "%s\\n" "$out" | tail -n 1'
        )
        assert cmd.inputs["delete"] == 'openstack image delete "$PULUMI_COMMAND_STDOUT"'
        assert cmd.inputs["triggers"] == ["calculator-vm-id"]  # a new server: a new snapshot
        assert cmd.inputs["environment"] == {"OS_CLOUD": "insa"}

    def test_a_vm_boots_from_the_snapshot_after_it_exists(self) -> None:
        rec, _ = lab(snapshot=True)
        restored = rec.named("restored-vm")
        # by the id the snapshot's create printed, never by name (Glance names can repeat)
        assert "imageName" not in restored.inputs
        assert restored.inputs["imageId"] == "calculator-snap-image-stdout"
        (cmd,) = rec.of_type(CMD)
        snap_urns = {cmd.urn, cmd.urn.split("$pulumi-python")[0] + "::calculator-snap"}
        assert restored.dependencies & snap_urns

    def test_create_and_delete_against_a_fake_client(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        log = tmp_path / "calls.jsonl"
        fake = tmp_path / "openstack"
        fake.write_text(
            "#!/usr/bin/env python3\n"
            "import json, os, sys\n"
            f"open({str(log)!r}, 'a').write(json.dumps(sys.argv[1:]) + '\\n')\n"
            # with --wait the real client prints a progress line before the id
            "if sys.argv[1:3] == ['server', 'image']: print('\\nimg-1234')\n"
        )
        fake.chmod(0o755)
        monkeypatch.setenv("PATH", f"{tmp_path}:{Path('/usr/bin')}:{Path('/bin')}")
        create, delete = snapshot_commands("openstack", "srv-1", "calc snap")
        provider = LocalCommandProvider()
        outs = provider.create(LocalCommandArgs(create=create, delete=delete).to_props()).outs
        assert outs["stdout"] == "img-1234"
        provider.delete("id", outs)
        calls = [json.loads(line) for line in log.read_text().splitlines()]
        assert calls == [
            ["server", "image", "create", "--name", "calc snap", "--wait", "-f", "value",
             "-c", "id", "srv-1"],
            ["image", "delete", "img-1234"],  # by the id create printed, not by name
        ]  # fmt: skip
