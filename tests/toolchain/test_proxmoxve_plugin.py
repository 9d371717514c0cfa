"""The pulumi-resource-proxmoxve we bridge ourselves answers to the pinned pulumi-proxmoxve SDK.

The Go proxy does not serve pulumi-proxmoxve's provider module, so toolchain/plugins/proxmoxve/
bridges the upstream Terraform provider (bpg/terraform-provider-proxmox, SDKv2 and Plugin
Framework muxed) with the token list of the SDK (tokens.json). Ways it could silently break, all
checked here against the real artefacts:

- a bump of the SDK pin adds or renames tokens that tokens.json lacks (checked without Go or the
  plugin: the SDK's tokens are re-derived from its sources with a regular expression, a method
  independent of gen_tokens.py, which parses them);
- the plugin's schema disagrees with the SDK: a token or a property name the SDK sends that the
  plugin does not know fails only at `pulumi up`. Checked over the plugin's own gRPC protocol
  (GetSchema), for every resource, function and type, and by name for what components/ and
  stacks/ use (the container fleet).

The schema tests FAIL (never skip) when the plugin has not been built: run `make toolchain`.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import re
from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest
from google.protobuf import empty_pb2
from pulumi.runtime.proto import provider_pb2_grpc

from tests.engine.pulumi_project import REPO, plugin_bin, plugin_version
from tests.toolchain.bridged_sdk import CONFIG_KEY, BridgedSdk, pulumi_names, schema_names
from tests.toolchain.plugin_grpc import package_schema, serve

SDK = BridgedSdk("proxmoxve")
TOKENS_FILE, SDK_DIST, PROVIDER_METHOD = SDK.tokens_file, SDK.dist, SDK.provider_method
# `proxmoxve.ContainerLegacy(` / `proxmoxve.ContainerLegacyCpuArgs(` in the project.
USE = re.compile(r"\bproxmoxve\.((?:[a-z_]+\.)*)([A-Za-z_]\w*)\(")
FLEET_RESOURCE = "proxmoxve:index/containerLegacy:ContainerLegacy"


@cache
def project_uses() -> tuple[frozenset[str], frozenset[str]]:
    """(resource tokens, Args class names) that components/ and stacks/ call."""
    res_by_class = {}
    for tok in SDK.tokens[0]:
        mod = tok.split(":")[1].rsplit("/", 1)[0]
        res_by_class[(mod, tok.rsplit(":", 1)[1])] = tok
    res, args = set(), set()
    sources = [*REPO.joinpath("components").rglob("*.py"), *REPO.joinpath("stacks").rglob("*.py")]
    for path in sources:
        for dotted, name in USE.findall(path.read_text(encoding="utf-8")):
            mod = dotted.rstrip(".").replace(".", "/") or "index"
            if name.endswith("Args"):
                args.add((mod, name))
            elif (mod, name) in res_by_class:
                res.add(res_by_class[(mod, name)])
            elif not name[0].isupper():
                continue  # a function (get_...), or the module's own helpers
            else:
                pytest.fail(f"{path}: proxmoxve.{dotted}{name} is no SDK resource")
    return frozenset(res), frozenset(f"{m}:{n}" for m, n in args)


# --- (a) tokens.json against the installed SDK: no plugin, no Go needed ------------------------


def test_token_list_is_for_the_pinned_sdk() -> None:
    pinned = re.search(r"^pulumi-proxmoxve==(\S+)$", (REPO / "requirements.txt").read_text(), re.M)
    assert pinned, "requirements.txt pins no pulumi-proxmoxve"
    installed = importlib.metadata.version(SDK_DIST)
    assert installed == pinned[1]
    assert json.loads(TOKENS_FILE.read_text())["sdk"] == f"{SDK_DIST} {installed}"
    assert plugin_version("proxmoxve") == installed


def test_token_list_is_exactly_the_sdk_tokens() -> None:
    """Every token the SDK can send is listed, and nothing else (an extra token would be a
    resource the SDK cannot create: a sign the list was made for another SDK)."""
    tokens = json.loads(TOKENS_FILE.read_text())
    sdk_res, sdk_fns = SDK.tokens
    assert len(sdk_res) > 100 and len(sdk_fns) > 80, "the SDK scan found too little"
    assert FLEET_RESOURCE in sdk_res
    assert sorted(sdk_res - set(tokens["resources"])) == [], "SDK resources missing"
    assert sorted(set(tokens["resources"]) - sdk_res) == [], "resources the SDK does not have"
    assert sorted(sdk_fns - set(tokens["functions"])) == [], "SDK functions missing"
    assert sorted(set(tokens["functions"]) - sdk_fns) == [], "functions the SDK does not have"


# --- (b) the built plugin's schema against the SDK ---------------------------------------------


@pytest.fixture(scope="module")
def stub() -> Iterator[provider_pb2_grpc.ResourceProviderStub]:
    """A gRPC client of the built plugin (from the toolchain driver's cache; fails without)."""
    with serve(plugin_bin("proxmoxve")) as client:
        yield client


@pytest.fixture(scope="module")
def schema(stub: provider_pb2_grpc.ResourceProviderStub) -> dict[str, Any]:
    return package_schema(stub)


@pytest.mark.engine
def test_plugin_reports_the_sdk_version(stub: provider_pb2_grpc.ResourceProviderStub) -> None:
    """The SDK asks the engine for the plugin at its own version (pulumi-plugin.json)."""
    info = stub.GetPluginInfo(empty_pb2.Empty(), timeout=30)
    sdk_plugin = json.loads((SDK.root / "pulumi-plugin.json").read_text())
    assert info.version == plugin_version("proxmoxve") == sdk_plugin["version"]


@pytest.mark.engine
def test_schema_has_exactly_the_sdk_tokens(schema: dict[str, Any]) -> None:
    assert schema["name"] == "proxmoxve"
    sdk_res, sdk_fns = SDK.tokens
    assert set(schema["resources"]) == sdk_res
    assert set(schema["functions"]) - {PROVIDER_METHOD} == sdk_fns


@pytest.mark.engine
def test_every_resource_has_the_sdk_property_names(schema: dict[str, Any]) -> None:
    """Inputs, outputs and state of all resources: the names the SDK sends are the schema's
    (this covers the renamed "id" of storages, SDN zones and VMs: "resourceId")."""
    wrong = []
    for tok in sorted(SDK.tokens[0]):
        for key, names in SDK.resource_names(tok).items():
            got = schema_names(schema["resources"][tok], key)
            if names != got:
                wrong.append(f"{tok} {key}: {sorted(names ^ got)}")
    assert wrong == []


@pytest.mark.engine
def test_every_function_has_the_sdk_argument_names(schema: dict[str, Any]) -> None:
    """Arguments exactly; results may have one more output than the SDK reads: an "id", which
    our bridge (v3.120) adds to a framework data source that has none and pulumi-proxmoxve's
    newer one does not. The SDK builds its result from the names it knows, so it is ignored."""
    wrong, extra_ids = [], 0
    for tok in sorted(SDK.tokens[1]):
        for key, names in SDK.function_names(tok).items():
            got = schema_names(schema["functions"][tok], key)
            if key == "outputs" and got - names == {"id"}:
                extra_ids += 1
                got = got - {"id"}
            if names != got:
                wrong.append(f"{tok} {key}: {sorted(names ^ got)}")
    assert wrong == []
    assert extra_ids < 25, "the extra id is the exception, not the rule"


@pytest.mark.engine
def test_every_type_has_the_sdk_property_names(schema: dict[str, Any]) -> None:
    """Nested types (a container's cpu, disk, network interfaces...) by their Args/output class."""
    wrong, missing, checked = [], [], 0
    for tok, spec in sorted(schema["types"].items()):
        names = set(spec.get("properties", {}))
        classes = SDK.type_classes(tok)
        if not classes:
            missing.append(tok)
        for cls in classes:
            checked += 1
            if pulumi_names(cls) != names:
                wrong.append(f"{tok} {cls.__name__}: {sorted(pulumi_names(cls) ^ names)}")
    assert missing == [], "schema types without an SDK class"
    assert checked >= len(schema["types"])
    assert wrong == []


@pytest.mark.engine
def test_provider_settings_have_the_sdk_names(schema: dict[str, Any]) -> None:
    """What `proxmoxve.Provider(...)` sends, and the `proxmoxve:*` stack config the SDK reads."""
    from pulumi_proxmoxve.provider import ProviderArgs

    assert pulumi_names(ProviderArgs) == set(schema["provider"]["inputProperties"])
    config_vars = (SDK.root / "config" / "vars.py").read_text(encoding="utf-8")
    assert set(CONFIG_KEY.findall(config_vars)) == set(schema["config"]["variables"])


@pytest.mark.engine
def test_what_the_fleet_uses_matches_by_name(schema: dict[str, Any]) -> None:
    """The resources and nested Args of components/ and stacks/ (the container fleet), named, so
    that a failure says which of our calls would break."""
    res, args = project_uses()
    assert FLEET_RESOURCE in res, f"found only {sorted(res)} in components/ and stacks/"
    for tok in sorted(res):
        spec = schema["resources"][tok]
        for key, names in SDK.resource_names(tok).items():
            assert names == schema_names(spec, key), f"{tok} {key}"
    assert len(args) >= 6, f"found only {sorted(args)}"
    for entry in sorted(args):
        mod, cls_name = entry.split(":")
        name = cls_name.removesuffix("Args")
        spec = schema["types"][f"proxmoxve:{mod}/{name}:{name}"]
        package = "pulumi_proxmoxve" + ("" if mod == "index" else "." + mod.replace("/", "."))
        cls = getattr(importlib.import_module(package), cls_name)
        assert pulumi_names(cls) == set(spec["properties"]), entry
