"""The pulumi-resource-openstack we bridge ourselves answers to the pinned pulumi-openstack SDK.

The Go proxy refuses the provider's own module, so toolchain/plugins/openstack/ bridges the
upstream Terraform provider with a token map derived from the SDK (tokens.json). Two ways it could
silently break, both checked here against the real artefacts:

- a bump of the SDK pin adds or renames tokens that tokens.json lacks (checked without Go or the
  plugin: the SDK's tokens are re-derived from its sources with a method independent of
  gen_tokens.py, which parses them);
- the plugin's schema disagrees with the SDK: a token or a property name the SDK sends that the
  plugin does not know fails only at `pulumi up`. Checked over the plugin's own gRPC protocol
  (GetSchema), for every resource, function and type, and by name for what components/ and
  stacks/ use.

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

SDK = BridgedSdk("openstack")
TOKENS_FILE, SDK_DIST, PROVIDER_METHOD = SDK.tokens_file, SDK.dist, SDK.provider_method
# `openstack.networking.Port(` / `openstack.networking.get_network_output(` in the project.
USE = re.compile(r"\bopenstack\.([a-z]+)\.([A-Za-z_]+)\(")


def sdk_type_classes(token: str) -> list[type]:
    """The SDK classes of schema type ``token``: ``<Name>Args`` (inputs) and ``outputs.<Name>``."""
    mod, name = token.split(":")[1].split("/")[0], token.rsplit(":", 1)[1]
    package = "pulumi_openstack" + ("" if mod == "index" else f".{mod}")
    found = []
    for module_name, cls_name in ((package, f"{name}Args"), (f"{package}.outputs", name)):
        cls = getattr(importlib.import_module(module_name), cls_name, None)
        if cls is not None:
            found.append(cls)
    return found


@cache
def project_uses() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(resource tokens, function tokens, Args class names) that components/ and stacks/ call."""
    res_by_class, fn_by_name = {}, {}
    for tok, path in SDK.files.items():
        mod = tok.split(":")[1].split("/")[0]
        if tok in SDK.tokens[0]:
            res_by_class[(mod, tok.rsplit(":", 1)[1])] = tok
        else:
            fn_by_name[(mod, path.stem)] = tok
    res, fns, args = set(), set(), set()
    sources = [*REPO.joinpath("components").rglob("*.py"), *REPO.joinpath("stacks").rglob("*.py")]
    for path in sources:
        for mod, name in USE.findall(path.read_text(encoding="utf-8")):
            if name.endswith("Args"):
                args.add(f"{mod}.{name}")
            elif (mod, name) in res_by_class:
                res.add(res_by_class[(mod, name)])
            elif (mod, name.removesuffix("_output")) in fn_by_name:
                fns.add(fn_by_name[(mod, name.removesuffix("_output"))])
            else:
                pytest.fail(f"{path}: openstack.{mod}.{name} is no SDK resource or function")
    return frozenset(res), frozenset(fns), frozenset(args)


# --- (a) tokens.json against the installed SDK: no plugin, no Go needed ------------------------


def test_token_map_is_for_the_pinned_sdk() -> None:
    pinned = re.search(r"^pulumi-openstack==(\S+)$", (REPO / "requirements.txt").read_text(), re.M)
    assert pinned, "requirements.txt pins no pulumi-openstack"
    installed = importlib.metadata.version(SDK_DIST)
    assert installed == pinned[1]
    assert json.loads(TOKENS_FILE.read_text())["sdk"] == f"{SDK_DIST} {installed}"


def test_token_map_covers_every_sdk_token() -> None:
    """Every token the SDK can send is mapped, and nothing else (an extra token would be a
    resource the SDK cannot create: a sign the map was made for another SDK)."""
    tokens = json.loads(TOKENS_FILE.read_text())
    mapped_res = set(tokens["resources"].values()) | {a["token"] for a in tokens["resourceAliases"]}
    mapped_fns = set(tokens["dataSources"].values()) | {
        a["token"] for a in tokens["dataSourceAliases"]
    }
    sdk_res, sdk_fns = SDK.tokens
    assert len(sdk_res) > 100 and len(sdk_fns) > 50, "the SDK scan found too little"
    assert sorted(sdk_res - mapped_res) == [], "SDK resources missing from tokens.json"
    assert sorted(mapped_res - sdk_res) == [], "tokens.json resources the SDK does not have"
    assert sorted(sdk_fns - mapped_fns) == [], "SDK functions missing from tokens.json"
    assert sorted(mapped_fns - sdk_fns) == [], "tokens.json functions the SDK does not have"
    # One TF name per primary token: two names on one token would make tfgen drop one.
    assert len(set(tokens["resources"].values())) == len(tokens["resources"])
    assert len(set(tokens["dataSources"].values())) == len(tokens["dataSources"])


# --- (b) the built plugin's schema against the SDK ---------------------------------------------


@pytest.fixture(scope="module")
def stub() -> Iterator[provider_pb2_grpc.ResourceProviderStub]:
    """A gRPC client of the built plugin (from the toolchain driver's cache; fails without)."""
    with serve(plugin_bin("openstack")) as client:
        yield client


@pytest.fixture(scope="module")
def schema(stub: provider_pb2_grpc.ResourceProviderStub) -> dict[str, Any]:
    return package_schema(stub)


@pytest.mark.engine
def test_plugin_reports_the_sdk_version(stub: provider_pb2_grpc.ResourceProviderStub) -> None:
    """The SDK asks the engine for the plugin at its own version (pulumi-plugin.json)."""
    info = stub.GetPluginInfo(empty_pb2.Empty(), timeout=30)
    sdk_plugin = json.loads((SDK.root / "pulumi-plugin.json").read_text())
    assert info.version == plugin_version("openstack") == sdk_plugin["version"]


@pytest.mark.engine
def test_schema_has_exactly_the_sdk_tokens(schema: dict[str, Any]) -> None:
    assert schema["name"] == "openstack"
    sdk_res, sdk_fns = SDK.tokens
    assert set(schema["resources"]) == sdk_res
    assert set(schema["functions"]) - {PROVIDER_METHOD} == sdk_fns


@pytest.mark.engine
def test_every_resource_has_the_sdk_property_names(schema: dict[str, Any]) -> None:
    """Inputs, outputs and state of all resources: the names the SDK sends are the schema's."""
    wrong = []
    for tok in sorted(SDK.tokens[0]):
        for key, names in SDK.resource_names(tok).items():
            got = schema_names(schema["resources"][tok], key)
            if names != got:
                wrong.append(f"{tok} {key}: {sorted(names ^ got)}")
    assert wrong == []


@pytest.mark.engine
def test_every_function_has_the_sdk_argument_names(schema: dict[str, Any]) -> None:
    wrong = []
    for tok in sorted(SDK.tokens[1]):
        for key, names in SDK.function_names(tok).items():
            got = schema_names(schema["functions"][tok], key)
            if names != got:
                wrong.append(f"{tok} {key}: {sorted(names ^ got)}")
    assert wrong == []


@pytest.mark.engine
def test_every_type_has_the_sdk_property_names(schema: dict[str, Any]) -> None:
    """Nested types (a port's fixed IPs, an instance's networks...) by their Args/output class."""
    wrong, checked = [], 0
    for tok, spec in sorted(schema["types"].items()):
        names = set(spec.get("properties", {}))
        for cls in sdk_type_classes(tok):
            checked += 1
            if pulumi_names(cls) != names:
                wrong.append(f"{tok} {cls.__name__}: {sorted(pulumi_names(cls) ^ names)}")
    assert checked >= len(schema["types"]), "some schema types have no SDK class"
    assert wrong == []


@pytest.mark.engine
def test_provider_settings_have_the_sdk_names(schema: dict[str, Any]) -> None:
    """What `openstack.Provider(...)` sends, and the `openstack:*` stack config the SDK reads.

    (The provider's outputs are not compared: our bridge also lists its non-string settings
    there, which the SDK never reads.)"""
    from pulumi_openstack.provider import ProviderArgs

    assert pulumi_names(ProviderArgs) == set(schema["provider"]["inputProperties"])
    config_vars = (SDK.root / "config" / "vars.py").read_text(encoding="utf-8")
    assert set(CONFIG_KEY.findall(config_vars)) == set(schema["config"]["variables"])


@pytest.mark.engine
def test_what_the_project_uses_matches_by_name(schema: dict[str, Any]) -> None:
    """The resources, functions and nested Args of components/ and stacks/, named, so that a
    failure says which of our calls would break."""
    res, fns, args = project_uses()
    assert "openstack:networking/getNetwork:getNetwork" in fns
    assert len(res) >= 12, f"found only {sorted(res)} in components/ and stacks/"
    for tok in sorted(res):
        spec = schema["resources"][tok]
        for key, names in SDK.resource_names(tok).items():
            assert names == schema_names(spec, key), f"{tok} {key}"
    for tok in sorted(fns):
        for key, names in SDK.function_names(tok).items():
            assert names == schema_names(schema["functions"][tok], key), f"{tok} {key}"
    for dotted in sorted(args):
        mod, cls_name = dotted.split(".")
        name = cls_name.removesuffix("Args")
        spec = schema["types"][f"openstack:{mod}/{name}:{name}"]
        cls = getattr(importlib.import_module(f"pulumi_openstack.{mod}"), cls_name)
        assert pulumi_names(cls) == set(spec["properties"]), dotted
