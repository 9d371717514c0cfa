"""The PaaS lab's settings: the manifest's rules, refused before any resource is registered."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from components.errors import ConfigError
from components.paas.settings import (
    AppEngineLocalSettings,
    AppEngineSettings,
    CloudFoundryManifest,
)
from components.settings import load_settings

KEY = "cloudlab:cloudfoundry"


def manifest(war: Path, **raw: Any) -> CloudFoundryManifest:
    return load_settings(CloudFoundryManifest, {"path": str(war), **raw}, KEY)


def refused(model: type, raw: dict[str, Any], key: str = KEY) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_settings(model, raw, key)
    return caught.value


def test_the_labs_manifest_is_refused_on_its_memory(war: Path) -> None:
    error = refused(CloudFoundryManifest, {"path": str(war)})
    assert error.key == "cloudlab:cloudfoundry.memory"
    assert error.problem.startswith(
        "Cannot calculate JVM memory configuration: There is insufficient memory remaining for "
        "heap. Memory limit 256M is less than allocated memory 654457K"
    )
    for term in (
        "-XX:ReservedCodeCacheSize=240M",
        "-XX:MaxDirectMemorySize=10M",
        "-XX:MaxMetaspaceSize=75931K",
        "-XX:CompressedClassSpaceSize=15326K",
        "-Xss1M * 300 threads",
    ):
        assert term in error.problem
    assert error.valid == "640M or more (1G leaves a 394118K heap)"


@pytest.mark.parametrize(("text", "size"), [("1G", 1024**3), ("1gb", 1024**3), ("640M", 640 << 20)])
def test_a_limit_that_fits_is_taken_in_the_manifests_units(war: Path, text: str, size: int) -> None:
    m = manifest(war, memory=text)
    assert m.memory_bytes == size
    assert m.budget.fits


def test_fewer_classes_and_threads_need_less(war: Path) -> None:
    m = manifest(war, memory="320M", loadedClasses=2000, stackThreads=10)
    assert m.budget.fits


@pytest.mark.parametrize(
    ("raw", "key", "words"),
    [
        ({"memory": "1.5G"}, "memory", "expected a memory size"),
        ({"memory": "512K"}, "memory", "expected a memory size"),
        ({"instances": 0}, "instances", "expected an instance count"),
        ({"instances": 21}, "instances", "expected an instance count"),
        ({"name": "Hello"}, "name", "is not valid"),
        ({"path": "app.jar"}, "path", "expected the path of a .war file"),
        ({"path": "/nowhere/app.war", "memory": "1G"}, "path", "no WAR at /nowhere/app.war"),
        ({"routeHost": "localhost"}, "routeHost", "is not an IPv4 address"),
        ({"memry": "1G"}, "memry", "unknown setting"),
    ],
)
def test_bad_manifests_name_the_key(war: Path, raw: dict[str, Any], key: str, words: str) -> None:
    error = refused(CloudFoundryManifest, {"path": str(war), "memory": "1G", **raw})
    assert error.key == f"{KEY}.{key}"
    assert words in str(error)


def test_the_stand_in_needs_jettys_runner_beside_the_war(war: Path) -> None:
    (war.parent / "jetty-runner.jar").unlink()
    error = refused(CloudFoundryManifest, {"path": str(war), "memory": "1G"})
    assert error.key == f"{KEY}.path"
    assert "no jetty-runner.jar beside the WAR" in error.problem


def test_app_engine_needs_a_project(war: Path) -> None:
    error = refused(AppEngineSettings, {"path": str(war)}, "cloudlab:appengine")
    assert error.key == "cloudlab:appengine.project"
    assert "the Google Cloud project id" in str(error)
    ok = load_settings(AppEngineSettings, {"path": str(war), "project": "my-lab-1"}, "x")
    assert (ok.runtime, ok.instance_class, ok.instances) == ("java8", "B1", 3)


def test_app_engine_manual_scaling_needs_a_basic_class(war: Path) -> None:
    raw = {"path": str(war), "project": "my-lab-1", "instanceClass": "F1"}
    assert refused(AppEngineSettings, raw, "cloudlab:appengine").key == (
        "cloudlab:appengine.instanceClass"
    )


def test_the_dev_server_binds_loopback_by_default(war: Path) -> None:
    s = load_settings(AppEngineLocalSettings, {"path": str(war)}, "cloudlab:appengineLocal")
    assert (s.host, s.port, s.instances) == ("127.0.0.1", 8081, 3)
