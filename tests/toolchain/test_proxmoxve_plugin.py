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
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import empty_pb2
from pulumi.runtime.proto import provider_pb2_grpc

from tests.engine.pulumi_project import REPO, plugin_bin, plugin_version
from tests.toolchain.plugin_grpc import package_schema, serve

TOKENS_FILE = REPO / "toolchain" / "plugins" / "proxmoxve" / "tokens.json"
SDK_DIST = "pulumi-proxmoxve"
PROVIDER_METHOD = "pulumi:providers:proxmoxve/terraformConfig"
"""A function the bridge adds to every provider's schema; the SDK has it as Provider's method."""

RESOURCE_TOKEN = re.compile(r"\.__init__\(\s*'(proxmoxve:[^']+)'")
FUNCTION_TOKEN = re.compile(r"\.invoke(?:_output)?\('(proxmoxve:[^']+)'")
FUNCTION_ARG = re.compile(r"__args__\['(\w+)'\]")
RESULT_CLASS = re.compile(r"^@pulumi\.output_type\nclass (\w+Result):", re.M)
CONFIG_KEY = re.compile(r"__config__\.get\w*\('(\w+)'")
# `proxmoxve.ContainerLegacy(` / `proxmoxve.ContainerLegacyCpuArgs(` in the project.
USE = re.compile(r"\bproxmoxve\.((?:[a-z_]+\.)*)([A-Za-z_]\w*)\(")
FLEET_RESOURCE = "proxmoxve:index/containerLegacy:ContainerLegacy"


def _sdk_package() -> Path:
    import pulumi_proxmoxve

    return Path(pulumi_proxmoxve.__file__).parent


@cache
def sdk_files() -> dict[str, Path]:
    """Every resource and function token of the installed SDK -> the file defining it."""
    files: dict[str, Path] = {}
    for path in sorted(_sdk_package().rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        for tok in set(RESOURCE_TOKEN.findall(text)) | set(FUNCTION_TOKEN.findall(text)):
            files[tok] = path
    return files


@cache
def sdk_tokens() -> tuple[frozenset[str], frozenset[str]]:
    """(resource tokens, function tokens) of the installed SDK."""
    res, fns = set(), set()
    for path in set(sdk_files().values()):
        text = path.read_text(encoding="utf-8")
        res |= set(RESOURCE_TOKEN.findall(text))
        fns |= set(FUNCTION_TOKEN.findall(text))
    return frozenset(res), frozenset(fns)


def _module_of(path: Path) -> Any:
    rel = path.relative_to(_sdk_package().parent).with_suffix("")
    return importlib.import_module(".".join(rel.parts))


def _pulumi_names(cls: type) -> set[str]:
    """The Pulumi (schema) names of a class's properties: each getter is decorated with
    ``@pulumi.getter(name=...)``, which records the name the SDK sends for that Python name."""
    names = set()
    for klass in cls.__mro__:
        for attr in vars(klass).values():
            if isinstance(attr, property) and hasattr(attr.fget, "_pulumi_name"):
                names.add(attr.fget._pulumi_name)
    return names


def sdk_resource_names(token: str) -> dict[str, set[str]]:
    """Input, output and state property names of a resource, as the SDK sends and reads them."""
    module = _module_of(sdk_files()[token])
    name = token.rsplit(":", 1)[1]
    return {
        "inputProperties": _pulumi_names(getattr(module, f"{name}Args")),
        "properties": _pulumi_names(getattr(module, name)),
        "stateInputs": _pulumi_names(getattr(module, f"_{name}State")),
    }


def sdk_function_names(token: str) -> dict[str, set[str]]:
    """Input and output names of a function: the keys of ``__args__`` and its result's getters."""
    path = sdk_files()[token]
    text = path.read_text(encoding="utf-8")
    result = RESULT_CLASS.search(text)
    assert result, f"no result class in {path}"
    return {
        "inputs": set(FUNCTION_ARG.findall(text)),
        "outputs": _pulumi_names(getattr(_module_of(path), result[1])),
    }


def sdk_type_classes(token: str) -> list[type]:
    """The SDK classes of schema type ``token``: ``<Name>Args`` (inputs) and ``outputs.<Name>``.
    A module path ``cluster/firewall`` is the package ``pulumi_proxmoxve.cluster.firewall``."""
    mod, name = token.split(":")[1].rsplit("/", 1)[0], token.rsplit(":", 1)[1]
    package = "pulumi_proxmoxve" + ("" if mod == "index" else "." + mod.replace("/", "."))
    found = []
    candidates = (
        (package, f"{name}Args"),
        (f"{package}.outputs", name),
        # A type only functions return is generated as `<Name>Result`.
        (f"{package}.outputs", f"{name[0].upper()}{name[1:]}Result"),
        # The provider's config types (`config/ssh:ssh`) as `config.outputs.Ssh`.
        (f"{package}.outputs", f"{name[0].upper()}{name[1:]}"),
    )
    for module_name, cls_name in candidates:
        cls = getattr(importlib.import_module(module_name), cls_name, None)
        if cls is not None:
            found.append(cls)
    return found


OBJECT_KEYS = ("stateInputs", "inputs", "outputs")
"""Schema keys holding an object type; ``inputProperties`` and ``properties`` map names directly."""


def schema_names(spec: dict[str, Any], key: str) -> set[str]:
    """Property names of ``spec[key]`` in a schema resource or function."""
    value = spec.get(key) or {}
    return set(value.get("properties", {}) if key in OBJECT_KEYS else value)


@cache
def project_uses() -> tuple[frozenset[str], frozenset[str]]:
    """(resource tokens, Args class names) that components/ and stacks/ call."""
    res_by_class = {}
    for tok in sdk_tokens()[0]:
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
    sdk_res, sdk_fns = sdk_tokens()
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
    sdk_plugin = json.loads((_sdk_package() / "pulumi-plugin.json").read_text())
    assert info.version == plugin_version("proxmoxve") == sdk_plugin["version"]


@pytest.mark.engine
def test_schema_has_exactly_the_sdk_tokens(schema: dict[str, Any]) -> None:
    assert schema["name"] == "proxmoxve"
    sdk_res, sdk_fns = sdk_tokens()
    assert set(schema["resources"]) == sdk_res
    assert set(schema["functions"]) - {PROVIDER_METHOD} == sdk_fns


@pytest.mark.engine
def test_every_resource_has_the_sdk_property_names(schema: dict[str, Any]) -> None:
    """Inputs, outputs and state of all resources: the names the SDK sends are the schema's
    (this covers the renamed "id" of storages, SDN zones and VMs: "resourceId")."""
    wrong = []
    for tok in sorted(sdk_tokens()[0]):
        for key, names in sdk_resource_names(tok).items():
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
    for tok in sorted(sdk_tokens()[1]):
        for key, names in sdk_function_names(tok).items():
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
        classes = sdk_type_classes(tok)
        if not classes:
            missing.append(tok)
        for cls in classes:
            checked += 1
            if _pulumi_names(cls) != names:
                wrong.append(f"{tok} {cls.__name__}: {sorted(_pulumi_names(cls) ^ names)}")
    assert missing == [], "schema types without an SDK class"
    assert checked >= len(schema["types"])
    assert wrong == []


@pytest.mark.engine
def test_provider_settings_have_the_sdk_names(schema: dict[str, Any]) -> None:
    """What `proxmoxve.Provider(...)` sends, and the `proxmoxve:*` stack config the SDK reads."""
    from pulumi_proxmoxve.provider import ProviderArgs

    assert _pulumi_names(ProviderArgs) == set(schema["provider"]["inputProperties"])
    config_vars = (_sdk_package() / "config" / "vars.py").read_text(encoding="utf-8")
    assert set(CONFIG_KEY.findall(config_vars)) == set(schema["config"]["variables"])


@pytest.mark.engine
def test_what_the_fleet_uses_matches_by_name(schema: dict[str, Any]) -> None:
    """The resources and nested Args of components/ and stacks/ (the container fleet), named, so
    that a failure says which of our calls would break."""
    res, args = project_uses()
    assert FLEET_RESOURCE in res, f"found only {sorted(res)} in components/ and stacks/"
    for tok in sorted(res):
        spec = schema["resources"][tok]
        for key, names in sdk_resource_names(tok).items():
            assert names == schema_names(spec, key), f"{tok} {key}"
    assert len(args) >= 6, f"found only {sorted(args)}"
    for entry in sorted(args):
        mod, cls_name = entry.split(":")
        name = cls_name.removesuffix("Args")
        spec = schema["types"][f"proxmoxve:{mod}/{name}:{name}"]
        package = "pulumi_proxmoxve" + ("" if mod == "index" else "." + mod.replace("/", "."))
        cls = getattr(importlib.import_module(package), cls_name)
        assert _pulumi_names(cls) == set(spec["properties"]), entry
