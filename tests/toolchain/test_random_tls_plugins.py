"""The pulumi-resource-random and pulumi-resource-tls we bridge ourselves answer to the pinned SDKs.

The Go proxy serves neither pulumi-random's nor pulumi-tls's provider module, so
toolchain/plugins/random/ and toolchain/plugins/tls/ bridge the upstream Terraform providers
(Plugin Framework, reached through a shim module) with the token list of each SDK (tokens.json).
Ways they could silently break, all checked here against the real artefacts, for each plugin:

- a bump of an SDK pin adds or renames tokens that tokens.json lacks (checked without Go or the
  plugin: the SDK's tokens are re-derived from its sources with a regular expression, a method
  independent of gen_tokens.py, which parses them);
- the plugin's schema disagrees with the SDK (the upstream version we can build is not the one the
  SDK was generated from): a token or a property name the SDK sends that the plugin does not know
  fails only at `pulumi up`. Checked over the plugin's own gRPC protocol (GetSchema), for every
  resource, function and type, and for what the kubeadm cluster's PKI uses, by name.

The schema tests FAIL (never skip) when a plugin has not been built: run `make toolchain`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from google.protobuf import empty_pb2
from pulumi.runtime.proto import provider_pb2_grpc

from tests.engine.pulumi_project import REPO, plugin_bin, plugin_version
from tests.toolchain.bridged_sdk import CONFIG_KEY, BridgedSdk, pulumi_names, schema_names
from tests.toolchain.plugin_grpc import package_schema, serve

PLUGINS = ("random", "tls")
# What the kubeadm cluster's PKI (the bootstrap token, the CA, the admin certificate) creates,
# with the inputs it sets: named, so that a failure says which of our calls would break.
USED: dict[str, dict[str, set[str]]] = {
    "random": {
        "random:index/randomString:RandomString": {"length", "lower", "numeric", "upper", "special"}
    },
    "tls": {
        "tls:index/privateKey:PrivateKey": {"algorithm", "rsaBits"},
        "tls:index/selfSignedCert:SelfSignedCert": {
            "privateKeyPem",
            "isCaCertificate",
            "validityPeriodHours",
            "allowedUses",
            "subject",
        },
        "tls:index/certRequest:CertRequest": {"privateKeyPem", "subject"},
        "tls:index/locallySignedCert:LocallySignedCert": {
            "certRequestPem",
            "caPrivateKeyPem",
            "caCertPem",
            "validityPeriodHours",
            "earlyRenewalHours",
            "allowedUses",
        },
    },
}


@pytest.fixture(scope="module", params=PLUGINS)
def sdk(request: pytest.FixtureRequest) -> BridgedSdk:
    return BridgedSdk(request.param)


# --- (a) tokens.json against the installed SDK: no plugin, no Go needed ------------------------


def test_token_list_is_for_the_pinned_sdk(sdk: BridgedSdk) -> None:
    import importlib.metadata

    pinned = re.search(rf"^{sdk.dist}==(\S+)$", (REPO / "requirements.txt").read_text(), re.M)
    assert pinned, f"requirements.txt pins no {sdk.dist}"
    installed = importlib.metadata.version(sdk.dist)
    assert installed == pinned[1]
    assert json.loads(sdk.tokens_file.read_text())["sdk"] == f"{sdk.dist} {installed}"
    assert plugin_version(sdk.name) == installed


def test_token_list_is_exactly_the_sdk_tokens(sdk: BridgedSdk) -> None:
    """Every token the SDK can send is listed, and nothing else."""
    tokens = json.loads(sdk.tokens_file.read_text())
    sdk_res, sdk_fns = sdk.tokens
    assert set(USED[sdk.name]) <= sdk_res, "the SDK scan missed what the project uses"
    assert sorted(sdk_res ^ set(tokens["resources"])) == []
    assert sorted(sdk_fns ^ set(tokens["functions"])) == []


# --- (b) the built plugin's schema against the SDK ---------------------------------------------


@pytest.fixture(scope="module")
def stub(sdk: BridgedSdk) -> Iterator[provider_pb2_grpc.ResourceProviderStub]:
    """A gRPC client of the built plugin (from the toolchain driver's cache; fails without)."""
    with serve(plugin_bin(sdk.name)) as client:
        yield client


@pytest.fixture(scope="module")
def schema(stub: provider_pb2_grpc.ResourceProviderStub) -> dict[str, Any]:
    return package_schema(stub)


@pytest.mark.engine
def test_plugin_reports_the_sdk_version(
    sdk: BridgedSdk, stub: provider_pb2_grpc.ResourceProviderStub
) -> None:
    """The SDK asks the engine for the plugin at its own version (pulumi-plugin.json)."""
    info = stub.GetPluginInfo(empty_pb2.Empty(), timeout=30)
    sdk_plugin = json.loads((sdk.root / "pulumi-plugin.json").read_text())
    assert info.version == plugin_version(sdk.name) == sdk_plugin["version"]


@pytest.mark.engine
def test_schema_has_exactly_the_sdk_tokens(sdk: BridgedSdk, schema: dict[str, Any]) -> None:
    assert schema["name"] == sdk.name
    sdk_res, sdk_fns = sdk.tokens
    assert set(schema["resources"]) == sdk_res
    assert set(schema.get("functions", {})) - {sdk.provider_method} == sdk_fns


@pytest.mark.engine
def test_every_resource_has_the_sdk_property_names(sdk: BridgedSdk, schema: dict[str, Any]) -> None:
    """Inputs, outputs and state of all resources: the names the SDK sends are the schema's."""
    wrong = []
    for tok in sorted(sdk.tokens[0]):
        for key, names in sdk.resource_names(tok).items():
            got = schema_names(schema["resources"][tok], key)
            if names != got:
                wrong.append(f"{tok} {key}: {sorted(names ^ got)}")
    assert wrong == []


@pytest.mark.engine
def test_every_function_has_the_sdk_argument_names(sdk: BridgedSdk, schema: dict[str, Any]) -> None:
    wrong = []
    for tok in sorted(sdk.tokens[1]):
        for key, names in sdk.function_names(tok).items():
            got = schema_names(schema["functions"][tok], key)
            if names != got:
                wrong.append(f"{tok} {key}: {sorted(names ^ got)}")
    assert wrong == []


@pytest.mark.engine
def test_every_type_has_the_sdk_property_names(sdk: BridgedSdk, schema: dict[str, Any]) -> None:
    """Nested types (a certificate's subject...) by their Args/output class."""
    wrong, missing = [], []
    for tok, spec in sorted(schema.get("types", {}).items()):
        names = set(spec.get("properties", {}))
        classes = sdk.type_classes(tok)
        if not classes:
            missing.append(tok)
        for cls in classes:
            if pulumi_names(cls) != names:
                wrong.append(f"{tok} {cls.__name__}: {sorted(pulumi_names(cls) ^ names)}")
    assert missing == [], "schema types without an SDK class"
    assert wrong == []


@pytest.mark.engine
def test_provider_settings_have_the_sdk_names(sdk: BridgedSdk, schema: dict[str, Any]) -> None:
    """What `<name>.Provider(...)` sends, and the `<name>:*` stack config the SDK reads."""
    import importlib

    provider_args = importlib.import_module(f"{sdk.package}.provider").ProviderArgs
    assert pulumi_names(provider_args) == set(schema["provider"].get("inputProperties", {}))
    config_vars = sdk.root / "config" / "vars.py"
    read = set(CONFIG_KEY.findall(config_vars.read_text())) if config_vars.exists() else set()
    assert read == set(schema.get("config", {}).get("variables", {}))


@pytest.mark.engine
def test_what_the_cluster_pki_uses_matches_by_name(sdk: BridgedSdk, schema: dict[str, Any]) -> None:
    for tok, inputs in USED[sdk.name].items():
        spec = schema["resources"][tok]
        assert inputs <= set(spec["inputProperties"]), tok
        for key, names in sdk.resource_names(tok).items():
            assert names == schema_names(spec, key), f"{tok} {key}"
