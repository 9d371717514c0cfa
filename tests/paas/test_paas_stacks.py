"""The PaaS lab's three stacks under mocks: exactly what each registers, and nothing before a
bad config is refused."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.errors import ConfigError
from components.paas import memory as jvm
from components.paas.cloudfoundry import ROUTER_MEMORY, droplet_hash, router_source
from components.paas.war import war_digest
from tests.harness import Recording

REPO = Path(__file__).resolve().parents[2]
IMAGE = "pulumi-python:dynamic/cloudlab/docker:LocalImage"
CONTAINER = "pulumi-python:dynamic/cloudlab/docker:Container"
NETWORK = "pulumi-python:dynamic/cloudlab/docker:Network"
DEVAPPSERVER = "pulumi-python:dynamic/cloudlab/appengine:DevAppServer"
CF = "cloudlab:paas:CloudFoundryApp"


def stack_file(name: str) -> dict[str, Any]:
    return yaml.safe_load((REPO / f"Pulumi.{name}.yaml").read_text())["config"]


def with_key(name: str, key: str, **changes: Any) -> dict[str, Any]:
    config = stack_file(name)
    config[key] = {**config[key], **changes}
    return config


# --- cloudfoundry -------------------------------------------------------------------------------


def test_the_stack_files_are_the_labs_defaults() -> None:
    manifest = stack_file("cloudfoundry")["cloudlab:cloudfoundry"]
    assert (manifest["name"], manifest["memory"], manifest["instances"]) == (
        "hello-servlet",
        "256M",
        1,
    )
    assert manifest["path"] == "apps/hello-servlet/target/hello.war"
    assert stack_file("appengine-local")["cloudlab:environment"] == "appengine-local"
    assert stack_file("appengine")["cloudlab:appengine"]["instances"] == 3


def test_the_labs_manifest_registers_nothing(run_stack, war: Path) -> None:
    recording = Recording()
    with pytest.raises(ConfigError) as caught:
        run_stack(
            "cloudfoundry",
            with_key("cloudfoundry", "cloudlab:cloudfoundry", path=str(war)),
            recording,
        )
    assert caught.value.key == "cloudlab:cloudfoundry.memory"
    assert "Memory limit 256M is less than allocated memory 654457K" in str(caught.value)
    assert recording.resources == []


def cloudfoundry(run_stack, war: Path, **changes: Any) -> Recording:
    changes = {"path": str(war), "memory": "1G", **changes}
    return run_stack("cloudfoundry", with_key("cloudfoundry", "cloudlab:cloudfoundry", **changes))


def test_one_gig_deploys_the_droplet_one_instance_and_the_route(run_stack, war: Path) -> None:
    rec = cloudfoundry(run_stack, war)
    assert rec.types() == {CF: 1, IMAGE: 1, NETWORK: 1, CONTAINER: 2}
    droplet = rec.named("cf-droplet")
    assert droplet.parent_type == CF
    assert droplet.inputs["name"] == "cloudlab/cf-hello-servlet"
    assert droplet.inputs["context"] == str(war.parent)
    assert droplet.inputs["context_hash"] == droplet_hash(war)
    assert droplet.inputs["dockerfile"].endswith("components/paas/droplet/Dockerfile")
    assert droplet.inputs["build_args"] == {
        "BASE_IMAGE": "cloudlab/jre:bookworm",
        "WAR": "hello.war",
    }
    network = rec.named("cf-network").inputs
    assert (network["name"], network["subnet"]) == ("hello-servlet-net", "10.122.0.0/24")
    instance = rec.named("cf-0")
    assert instance.parent_type == CF
    assert instance.inputs["name"] == "hello-servlet-0"
    assert instance.inputs["memory"] == jvm.GIB
    assert instance.inputs["ports"] == []  # reached through the route only
    assert instance.inputs["env"] == {
        "JAVA_OPTS": "-Xmx394118K -Xss1M -XX:ReservedCodeCacheSize=240M "
        "-XX:MaxDirectMemorySize=10M -XX:MaxMetaspaceSize=75931K "
        "-XX:CompressedClassSpaceSize=15326K",
        "HELLO_INSTANCE": "hello-servlet-0",
        "CF_INSTANCE_INDEX": "0",
        "MEMORY_LIMIT": "1G",
    }
    assert instance.inputs["networks"][0]["aliases"] == ["hello-servlet"]
    assert rec.named("cf-droplet").urn in instance.dependencies
    gateway = rec.named("cf-router").inputs
    assert gateway["name"] == "hello-servlet-gateway"
    assert gateway["image"] == "cloudlab/jre:bookworm"
    assert gateway["command"] == [
        *("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"),
        *("python3", "-c", router_source(), "hello-servlet", "8080", "8080"),
    ]
    assert gateway["ports"] == [
        {"container_port": 8080, "host_port": 8080, "host_ip": "127.0.0.1", "protocol": "tcp"}
    ]
    assert gateway["memory"] == ROUTER_MEMORY
    assert rec.exports["routeUrl"] == "http://127.0.0.1:8080"
    assert rec.exports["instances"] == ["hello-servlet-0"]


def test_scaling_out_adds_instances_and_leaves_the_first_as_it_was(run_stack, war: Path) -> None:
    one = cloudfoundry(run_stack, war)
    three = cloudfoundry(run_stack, war, instances=3)
    assert sorted(r.name for r in three.of_type(CONTAINER)) == ["cf-0", "cf-1", "cf-2", "cf-router"]
    assert three.named("cf-0").inputs == one.named("cf-0").inputs
    assert three.named("cf-router").inputs == one.named("cf-router").inputs
    assert three.named("cf-2").inputs["env"]["HELLO_INSTANCE"] == "hello-servlet-2"
    assert three.exports["instances"] == [f"hello-servlet-{i}" for i in range(3)]


def test_a_changed_war_rebuilds_the_droplet(war: Path) -> None:
    before = droplet_hash(war)
    import zipfile

    with zipfile.ZipFile(war, "a") as archive:
        archive.writestr("index.html", "new")
    assert droplet_hash(war) != before


def test_a_rebuilt_war_of_the_same_entries_keeps_its_digest(war: Path, tmp_path: Path) -> None:
    import zipfile

    copy = tmp_path / "copy.war"
    with zipfile.ZipFile(war) as src, zipfile.ZipFile(copy, "w") as dst:
        for info in reversed(src.infolist()):
            dst.writestr(info.filename, src.read(info))  # other order, other timestamps
    assert war_digest(copy) == war_digest(war)


# --- appengine-local ----------------------------------------------------------------------------


@pytest.fixture
def sdk(tmp_path: Path) -> Path:
    launcher = tmp_path / "sdk" / "bin" / "java_dev_appserver.sh"
    launcher.parent.mkdir(parents=True)
    launcher.write_text("#!/bin/sh\n")
    launcher.chmod(0o755)
    return tmp_path / "sdk"


def test_appengine_local_registers_one_dev_server(
    run_stack, war: Path, sdk: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CLOUDLAB_HOME", str(tmp_path / "home"))
    config = with_key("appengine-local", "cloudlab:appengineLocal", path=str(war), sdkRoot=str(sdk))
    rec = run_stack("appengine-local", config)
    (server,) = rec.of_type(DEVAPPSERVER)
    assert server.parent_type == "cloudlab:paas:AppEngineLocal"
    assert {k: server.inputs[k] for k in ("war", "war_hash", "instances", "host", "port")} == {
        "war": str(war),
        "war_hash": war_digest(war),
        "instances": 3,
        "host": "127.0.0.1",
        "port": 8081,
    }
    assert server.inputs["sdk_root"] == str(sdk)
    assert server.inputs["work_dir"] == str(tmp_path / "home" / "appengine" / "test")


def test_appengine_local_without_the_dev_server_is_refused(
    run_stack, war: Path, tmp_path: Path
) -> None:
    recording = Recording()
    config = with_key(
        "appengine-local", "cloudlab:appengineLocal", path=str(war), sdkRoot=str(tmp_path)
    )
    with pytest.raises(ConfigError) as caught:
        run_stack("appengine-local", config, recording)
    assert caught.value.key == "cloudlab:appengineLocal.sdkRoot"
    assert recording.resources == []


# --- appengine ----------------------------------------------------------------------------------

VERSION = "gcp:appengine/standardAppVersion:StandardAppVersion"


def appengine(run_stack, war: Path, **changes: Any) -> Recording:
    changes = {"path": str(war), "project": "cloudlab-paas-lab", **changes}
    return run_stack("appengine", with_key("appengine", "cloudlab:appengine", **changes))


def test_appengine_deploys_a_manually_scaled_version_from_a_private_bucket(
    run_stack, war: Path
) -> None:
    rec = appengine(run_stack, war)
    assert rec.types() == {
        "cloudlab:paas:AppEngineApp": 1,
        "gcp:storage/bucket:Bucket": 1,
        "gcp:storage/bucketIAMMember:BucketIAMMember": 1,
        "gcp:storage/bucketObject:BucketObject": 1,
        VERSION: 1,
    }
    bucket = rec.named("appengine-source").inputs
    assert bucket["name"] == "cloudlab-paas-lab-default-source"
    assert bucket["publicAccessPrevention"] == "enforced"
    assert bucket["uniformBucketLevelAccess"] is True
    reader = rec.named("appengine-appengine-reads-source").inputs
    assert reader["role"] == "roles/storage.objectViewer"
    assert reader["member"] == "serviceAccount:cloudlab-paas-lab@appspot.gserviceaccount.com"
    obj = rec.named("appengine-war").inputs
    assert obj["name"] == f"v1/{war_digest(war)[:16]}/hello.war"
    version = rec.named("appengine-version")
    assert version.parent_type == "cloudlab:paas:AppEngineApp"
    assert {k: version.inputs[k] for k in ("project", "service", "versionId", "runtime")} == {
        "project": "cloudlab-paas-lab",
        "service": "default",
        "versionId": "v1",
        "runtime": "java8",
    }
    assert version.inputs["instanceClass"] == "B1"
    assert version.inputs["entrypoint"] == {"shell": ""}  # a WAR: the runtime's own Jetty
    assert version.inputs["manualScaling"] == {"instances": 3}
    assert version.inputs["deployment"] == {
        "zip": {
            "sourceUrl": "https://storage.googleapis.com/cloudlab-paas-lab-default-source/"
            f"v1/{war_digest(war)[:16]}/hello.war",
            "filesCount": 3,
        }
    }
    assert version.inputs["deleteServiceOnDestroy"] is False  # never the default service
    assert rec.named("appengine-appengine-reads-source").urn in version.dependencies
    assert rec.exports["url"] == "https://v1-dot-cloudlab-paas-lab.appspot.com"


def test_appengine_can_create_the_application_and_a_service_of_its_own(
    run_stack, war: Path
) -> None:
    rec = appengine(run_stack, war, location="europe-west", service="hello")
    app = rec.named("appengine-application").inputs
    assert (app["project"], app["locationId"]) == ("cloudlab-paas-lab", "europe-west")
    version = rec.named("appengine-version")
    assert version.inputs["deleteServiceOnDestroy"] is True
    assert rec.named("appengine-application").urn in version.dependencies
    assert rec.exports["url"] == "https://v1-dot-hello-dot-cloudlab-paas-lab.appspot.com"


def test_appengine_without_a_project_registers_nothing(run_stack, war: Path) -> None:
    recording = Recording()
    config = with_key("appengine", "cloudlab:appengine", path=str(war))
    with pytest.raises(ConfigError) as caught:
        run_stack("appengine", config, recording)
    assert caught.value.key == "cloudlab:appengine.project"
    assert recording.resources == []


def test_the_scaled_instances_reach_the_version(run_stack, war: Path) -> None:
    rec = appengine(run_stack, war, instances=5)
    assert rec.named("appengine-version").inputs["manualScaling"] == {"instances": 5}
    assert json.dumps(rec.exports["instances"]) == "5"
    assert os.path.basename(rec.named("appengine-war").inputs["name"]) == "hello.war"
