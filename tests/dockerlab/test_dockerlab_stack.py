"""The dockerlab stack under mocks: every fact of docs/labs/docker.md, and validation first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml

from components.errors import ConfigError
from tests import harness
from tests.harness import Recording, run_program

REPO = Path(__file__).resolve().parents[2]
IMAGE = "pulumi-python:dynamic/cloudlab/docker:LocalImage"
CONTAINER = "pulumi-python:dynamic/cloudlab/docker:Container"
COMMIT = "pulumi-python:dynamic/cloudlab/docker:CommittedImage"
NETWORK = "pulumi-python:dynamic/cloudlab/docker:Network"
LAB = "cloudlab:dockerlab:DockerLab"
TWIN = "cloudlab:docker:CalculatorTwin"


def stack_config() -> dict[str, Any]:
    return yaml.safe_load((REPO / "Pulumi.dockerlab.yaml").read_text())["config"]


def with_docker_outputs(new_resource):
    """The harness's mocks echo inputs only; the Docker providers' computed outputs (ids, refs)
    are filled in so that inputs made of them (and their dependencies) are recorded."""

    def wrapped(self, args):
        resource_id, outputs = new_resource(self, args)
        if args.typ in (IMAGE, COMMIT):
            outputs.update(image_id=f"sha256:{args.name}", ref=f"{args.name}:ref")
        elif args.typ == CONTAINER:
            outputs.update(container_id=f"{args.name}-cid", image_id=args.inputs.get("image"))
        return resource_id, outputs

    return wrapped


def run_dockerlab(config: dict[str, Any], recording: Recording | None = None) -> Recording:
    import stacks.dockerlab

    def program() -> None:
        stacks.dockerlab.run(pulumi.Config("cloudlab"))

    with pytest.MonkeyPatch.context() as mp:
        mocks = harness.RecordingMocks
        mp.setattr(mocks, "new_resource", with_docker_outputs(mocks.new_resource))
        return run_program(program, config, recording=recording)


@pytest.fixture(scope="module")
def lab() -> Recording:
    return run_dockerlab(stack_config())


def test_the_stack_file_selects_the_dockerlab_environment() -> None:
    assert stack_config()["cloudlab:environment"] == "dockerlab"


def test_ct1_is_the_plain_image_kept_up_on_the_default_bridge(lab: Recording) -> None:
    ct1 = lab.named("lab-ct1")
    assert ct1.parent_type == LAB
    assert ct1.inputs["name"] == "ct1"
    assert ct1.inputs["networks"] == []  # Docker's default bridge, 172.17.0.x
    assert ct1.inputs["ports"] == []
    image = lab.named("lab-ct1-image").inputs
    assert image["build_args"] == {"BASE_IMAGE": "cloudlab/base:bookworm"}
    assert image["context"] == str(REPO / "components" / "dockerlab" / "images" / "ct1")
    assert lab.named("lab-ct1-image").urn in ct1.dependencies
    assert (
        'CMD ["sleep", "infinity"]'
        in (REPO / "components/dockerlab/images/ct1/Dockerfile").read_text()
    )


def test_ct2_has_nano_and_sshd_and_publishes_2223_to_22_on_loopback(lab: Recording) -> None:
    ct2 = lab.named("lab-ct2").inputs
    assert ct2["name"] == "ct2"
    assert ct2["ports"] == [
        {"container_port": 22, "host_port": 2223, "host_ip": "127.0.0.1", "protocol": "tcp"}
    ]
    image = lab.named("lab-ct2-image").inputs
    assert image["build_args"] == {"BASE_IMAGE": "cloudlab/lab:bookworm"}
    dockerfile = (REPO / "components/dockerlab/images/ct2/Dockerfile").read_text()
    assert "apt-get install -y --no-install-recommends" in dockerfile
    assert "nano openssh-server" in dockerfile
    assert "sshd -D" in (REPO / "components/dockerlab/images/ct2/start-sshd.sh").read_text()


def test_the_snapshot_is_a_commit_of_ct2_named_in_lower_case(lab: Recording) -> None:
    snap = lab.named("lab-snapshot")
    assert snap.typ == COMMIT
    assert snap.parent_type == LAB
    assert (snap.inputs["name"], snap.inputs["tag"]) == ("dockerpictures", "version1")
    assert lab.named("lab-ct2").urn in snap.dependencies  # commits ct2's container id


def test_ct3_runs_the_snapshot(lab: Recording) -> None:
    ct3 = lab.named("lab-ct3")
    assert ct3.inputs["name"] == "ct3"
    assert ct3.inputs["image"] == "sha256:lab-snapshot"
    assert lab.named("lab-snapshot").inputs["container"] == "lab-ct2-cid"
    assert lab.named("lab-snapshot").urn in ct3.dependencies
    assert lab.named("lab-ct2-image").urn not in ct3.dependencies  # not rebuilt: the commit


def test_orchestration_row_reuses_the_flat_calculator_twin(lab: Recording) -> None:
    (net,) = lab.of_type(NETWORK)
    assert net.parent_type == TWIN
    assert net.inputs["subnet"] == "15.0.2.0/24"
    twin = [r for r in lab.of_type(CONTAINER) if r.parent_type == TWIN]
    assert sorted(r.name for r in twin) == sorted(
        f"calc-{n}" for n in ("calculator", "sum", "sub", "mul", "div")
    )
    images = {r.name for r in lab.of_type(IMAGE) if r.parent_type == TWIN}
    assert images == {"calc-image"}  # five containers from one image
    for r in twin:
        (attachment,) = r.inputs["networks"]
        assert attachment["network"] == "calc-test-frontend"
        assert attachment["ipv4_address"].startswith("15.0.2.")
    calculator = lab.named("calc-calculator").inputs
    assert calculator["ports"] == [
        {"container_port": 80, "host_port": 800, "host_ip": "127.0.0.1", "protocol": "tcp"}
    ]
    assert calculator["command"][:3] == ["calculator", "--port", "80"]
    assert all(r.inputs["ports"] == [] for r in twin if r.name != "calc-calculator")


def test_exports(lab: Recording) -> None:
    assert lab.exports["sshEndpoint"] == "127.0.0.1:2223"
    assert lab.exports["calculatorUrl"] == "http://127.0.0.1:800"
    assert lab.exports["containers"] == ["ct1", "ct2", "ct3"]
    assert lab.exports["snapshotImage"] == "lab-snapshot:ref"
    assert lab.exports["privateIps"] == {
        "calculator": "15.0.2.11", "sum": "15.0.2.12", "sub": "15.0.2.13",
        "mul": "15.0.2.14", "div": "15.0.2.15",
    }  # fmt: skip


def test_defaults_are_the_labs_public_images() -> None:
    rec = run_dockerlab({"cloudlab:dockerlab": {"orchestration": False}})
    assert rec.named("lab-ct1-image").inputs["build_args"] == {"BASE_IMAGE": "ubuntu"}
    assert rec.named("lab-ct2-image").inputs["build_args"] == {"BASE_IMAGE": "ubuntu"}
    assert rec.named("lab-snapshot").inputs["name"] == "dockerpictures"
    assert rec.of_type(NETWORK) == []
    assert "calculatorUrl" not in rec.exports


def with_lab(**lab: Any) -> dict[str, Any]:
    config = stack_config()
    config["cloudlab:dockerlab"] = {**config["cloudlab:dockerlab"], **lab}
    return config


@pytest.mark.parametrize(
    ("config", "key", "message"),
    [
        (with_lab(snapshotImage="DockerPictures:version1"),
         "cloudlab:dockerlab.snapshotImage", "repository name must be lowercase"),
        (with_lab(image="Ubuntu"), "cloudlab:dockerlab.image", "must be lowercase"),
        (with_lab(sshBaseImage="ubuntu:"), "cloudlab:dockerlab.sshBaseImage",
         "not a valid image reference"),
        (with_lab(snapshotImage="dockerpictures@sha256:" + "a" * 64),
         "cloudlab:dockerlab.snapshotImage", "has a digest"),
        (with_lab(snapshotImage="cloudlab/lab:bookworm"), "cloudlab:dockerlab.snapshotImage",
         "the snapshot would overwrite it"),
        (with_lab(snapshotImage="ubuntu", image="ubuntu:latest"),
         "cloudlab:dockerlab.snapshotImage", "the snapshot would overwrite it"),
        (with_lab(sshHostPort=0), "cloudlab:dockerlab.sshHostPort", "out of range"),
        (with_lab(publishHost="localhost"), "cloudlab:dockerlab.publishHost", "not an IPv4"),
        (with_lab(authorizedKeys=["hunter2"]), "cloudlab:dockerlab.authorizedKeys",
         "OpenSSH public keys"),
        (with_lab(orchestration="yes"), "cloudlab:dockerlab.orchestration", "true or false"),
        (with_lab(nano=True), "cloudlab:dockerlab.nano", "unknown setting"),
        ({**stack_config(), "cloudlab:calculator": {"topology": "secured"}},
         "cloudlab:calculator.topology", "one network"),
        ({**stack_config(), "cloudlab:docker": {"baseImage": "Python:3.12"}},
         "cloudlab:docker.baseImage", "must be lowercase"),
        ({**stack_config(), "cloudlab:docker": {"publishPort": 80000}},
         "cloudlab:docker.publishPort", "expected a TCP port"),
    ],
)  # fmt: skip
def test_invalid_config_fails_before_anything_is_registered(config, key, message) -> None:
    rec = Recording()
    with pytest.raises(ConfigError, match=message) as error:
        run_dockerlab(config, recording=rec)
    assert error.value.key == key
    assert rec.resources == []
