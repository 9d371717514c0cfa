"""What a bridged provider's installed Python SDK says about its tokens and property names, read
from the SDK's own files: the side the tests of the plugins we bridge (openstack, proxmoxve)
compare the built plugin's schema with.

The tokens are re-derived from the SDK's sources with regular expressions, a method independent
of the plugins' gen_tokens.py, which parses them.
"""

from __future__ import annotations

import importlib
import re
from functools import cached_property
from pathlib import Path
from typing import Any

from tests.engine.pulumi_project import REPO

FUNCTION_ARG = re.compile(r"__args__\['(\w+)'\]")
RESULT_CLASS = re.compile(r"^@pulumi\.output_type\nclass (\w+Result):", re.M)
CONFIG_KEY = re.compile(r"__config__\.get\w*\('(\w+)'")
OBJECT_KEYS = ("stateInputs", "inputs", "outputs")
"""Schema keys holding an object type; ``inputProperties`` and ``properties`` map names directly."""


def pulumi_names(cls: type) -> set[str]:
    """The Pulumi (schema) names of a class's properties: each getter is decorated with
    ``@pulumi.getter(name=...)``, which records the name the SDK sends for that Python name."""
    names = set()
    for klass in cls.__mro__:
        for attr in vars(klass).values():
            if isinstance(attr, property) and hasattr(attr.fget, "_pulumi_name"):
                names.add(attr.fget._pulumi_name)
    return names


def schema_names(spec: dict[str, Any], key: str) -> set[str]:
    """Property names of ``spec[key]`` in a schema resource or function."""
    value = spec.get(key) or {}
    return set(value.get("properties", {}) if key in OBJECT_KEYS else value)


class BridgedSdk:
    """The installed ``pulumi-<name>`` SDK of the plugin ``name`` we bridge."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.package = f"pulumi_{name}"
        self.dist = f"pulumi-{name}"
        self.tokens_file = REPO / "toolchain" / "plugins" / name / "tokens.json"
        self.provider_method = f"pulumi:providers:{name}/terraformConfig"
        """A function the bridge adds to every provider's schema; the SDK has it as Provider's
        method."""
        self._resource_token = re.compile(rf"\.__init__\(\s*'({name}:[^']+)'")
        self._function_token = re.compile(rf"\.invoke(?:_output)?\('({name}:[^']+)'")

    @cached_property
    def root(self) -> Path:
        return Path(importlib.import_module(self.package).__file__).parent

    @cached_property
    def files(self) -> dict[str, Path]:
        """Every resource and function token of the installed SDK -> the file defining it."""
        files: dict[str, Path] = {}
        for path in sorted(self.root.rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            found = set(self._resource_token.findall(text)) | set(
                self._function_token.findall(text)
            )
            for tok in found:
                files[tok] = path
        return files

    @cached_property
    def tokens(self) -> tuple[frozenset[str], frozenset[str]]:
        """(resource tokens, function tokens) of the installed SDK."""
        res, fns = set(), set()
        for path in set(self.files.values()):
            text = path.read_text(encoding="utf-8")
            res |= set(self._resource_token.findall(text))
            fns |= set(self._function_token.findall(text))
        return frozenset(res), frozenset(fns)

    def module_of(self, path: Path) -> Any:
        rel = path.relative_to(self.root.parent).with_suffix("")
        return importlib.import_module(".".join(rel.parts))

    def resource_names(self, token: str) -> dict[str, set[str]]:
        """Input, output and state property names of a resource, as the SDK sends and reads
        them."""
        module = self.module_of(self.files[token])
        name = token.rsplit(":", 1)[1]
        return {
            "inputProperties": pulumi_names(getattr(module, f"{name}Args")),
            "properties": pulumi_names(getattr(module, name)),
            "stateInputs": pulumi_names(getattr(module, f"_{name}State")),
        }

    def type_classes(self, token: str) -> list[type]:
        """The SDK classes of schema type ``token``: ``<Name>Args`` (inputs) and
        ``outputs.<Name>``. A module path ``cluster/firewall`` is the package
        ``pulumi_<name>.cluster.firewall``."""
        mod, name = token.split(":")[1].rsplit("/", 1)[0], token.rsplit(":", 1)[1]
        package = self.package + ("" if mod == "index" else "." + mod.replace("/", "."))
        upper = f"{name[0].upper()}{name[1:]}"
        candidates = (
            (package, f"{name}Args"),
            (f"{package}.outputs", name),
            # A type only functions return is generated as `<Name>Result`.
            (f"{package}.outputs", f"{upper}Result"),
            # The provider's config types (`config/ssh:ssh`) as `config.outputs.Ssh`.
            (f"{package}.outputs", upper),
        )
        found = []
        for module_name, cls_name in candidates:
            cls = getattr(importlib.import_module(module_name), cls_name, None)
            if cls is not None and cls not in found:
                found.append(cls)
        return found

    def function_names(self, token: str) -> dict[str, set[str]]:
        """Input and output names of a function: the keys of ``__args__`` and its result's
        getters."""
        path = self.files[token]
        text = path.read_text(encoding="utf-8")
        result = RESULT_CLASS.search(text)
        assert result, f"no result class in {path}"
        return {
            "inputs": set(FUNCTION_ARG.findall(text)),
            "outputs": pulumi_names(getattr(self.module_of(path), result[1])),
        }
