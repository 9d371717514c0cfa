"""Derive tokens.json (TF name -> Pulumi token) from the installed pulumi-openstack SDK.

Why: the plugin we bridge ourselves must answer to exactly the tokens the pinned Python SDK sends
(each resource class passes its token to ``super().__init__``, each function to ``invoke``), so the
SDK itself is the source of truth, not a hand-written list. The TF names come from the upstream
provider's ``provider.go`` in the Go module cache. The Go build embeds the committed JSON and needs
no Python.

Run (from the repo root, after a bump of the SDK pin or of the upstream provider):
    venv/bin/python toolchain/plugins/openstack/gen_tokens.py
``--check`` only compares with the committed file (exit 1 when stale).
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TOKENS_FILE = HERE / "tokens.json"
UPSTREAM = "github.com/terraform-provider-openstack/terraform-provider-openstack/v3"
PROVIDER_TOKEN_PREFIX = "pulumi:providers:"

# TF name prefixes whose Pulumi module is spelled out.
MODULE_OF_PREFIX = {"lb": "loadbalancer", "fw": "firewall", "db": "database"}

# Hand fixes: tokens whose name cannot be derived from the TF name by the rule in `_keys`.
HAND_FIXES: dict[str, str] = {
    # The SDK keeps a typo ("Quote") from an old release.
    "openstack:blockstorage/quoteSetV3:QuoteSetV3": "openstack_blockstorage_quotaset_v3",
    # Named after Swift's terms, not the TF resource's.
    "openstack:objectstorage/containerObject:ContainerObject": "openstack_objectstorage_object_v1",
    # The SDK keeps a typo ("Availbility") from an old release.
    "openstack:sharedfilesystem/getAvailbilityZones:getAvailbilityZones": (
        "openstack_sharedfilesystem_availability_zones_v2"
    ),
    # Two upstream data sources for Octavia flavors: the one upstream deprecates in favor of
    # openstack_lb_flavor_v2 (its docs, in this function's docstring, say so) got this name.
    "openstack:loadbalancer/getLbFlavorDeprecated:getLbFlavorDeprecated": (
        "openstack_loadbalancer_flavor_v2"
    ),
}

# "openstack.index/getfwgroupv2.getFwGroupV2 has been deprecated in favor of
#  openstack.firewall/getgroupv2.getGroupV2": the SDK's own record of a legacy alias.
DEPRECATED_ALIAS = re.compile(
    r"openstack\.([\w]+)/(\w+)\.(\w+) has been deprecated in favor of openstack\.(\w+)/(\w+)\.(\w+)"
)


def sdk_dir() -> Path:
    """Locate the installed pulumi_openstack package without importing it (imports warn)."""
    spec = importlib.util.find_spec("pulumi_openstack")
    if spec is None or spec.origin is None:
        raise SystemExit("pulumi_openstack is not installed in this interpreter")
    return Path(spec.origin).parent


def _first_str_arg(call: ast.Call) -> str | None:
    if call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str):
        return call.args[0].value
    return None


def sdk_tokens(pkg: Path) -> tuple[set[str], set[str], dict[str, str]]:
    """Return (resource tokens, function tokens, {legacy token: token it is deprecated for})."""
    resources: set[str] = set()
    functions: set[str] = set()
    deprecated_for: dict[str, str] = {}
    for path in sorted(pkg.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                for m in DEPRECATED_ALIAS.finditer(node.value):
                    old = f"openstack:{m[1]}/{m[2]}:{m[3]}"
                    deprecated_for[old.lower()] = f"openstack:{m[4]}/{m[5]}:{m[6]}".lower()
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                continue
            tok = _first_str_arg(node)
            if tok is None or not tok.startswith("openstack:"):
                continue
            func = node.func
            if (
                func.attr == "__init__"
                and isinstance(func.value, ast.Call)
                and isinstance(func.value.func, ast.Name)
                and func.value.func.id == "super"
            ):
                resources.add(tok)
            elif func.attr in ("invoke", "invoke_output", "invoke_async"):
                functions.add(tok)
    return resources, functions, deprecated_for


def upstream_dir() -> Path:
    """The upstream provider's source in the Go module cache, as resolved by our go.mod."""
    env = dict(os.environ, GOTOOLCHAIN="local", GOFLAGS="-buildvcs=false -mod=mod")
    out = subprocess.run(
        ["go", "list", "-m", "-f", "{{.Dir}}", UPSTREAM],
        cwd=HERE,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    if not out:
        raise SystemExit(f"{UPSTREAM} is not in the module cache: run `go mod download` in {HERE}")
    return Path(out)


def tf_names(upstream: Path) -> tuple[list[str], list[str]]:
    """Keys of DataSourcesMap and ResourcesMap in provider.go."""
    src = (upstream / "openstack" / "provider.go").read_text(encoding="utf-8")

    def keys(block: str) -> list[str]:
        start = src.index(block + ": map[string]*schema.Resource{")
        end = src.index("\n\t\t},", start)
        return re.findall(r'^\s+"(openstack_[a-z0-9_]+)":', src[start:end], flags=re.M)

    return keys("ResourcesMap"), keys("DataSourcesMap")


def _keys(tf_name: str) -> set[str]:
    """Comparison keys of a TF name: module + name, lower case, with and without the _vN suffix."""
    rest = tf_name.removeprefix("openstack_")
    keys = set()
    for variant in {rest, re.sub(r"_v\d+$", "", rest)}:
        keys.add("index/" + variant.replace("_", ""))  # tokens in the index module keep it all
        head, _, tail = variant.partition("_")
        if tail:
            module = MODULE_OF_PREFIX.get(head, head)
            keys.add(f"{module}/{tail.replace('_', '')}")
            keys.add(f"{module}/{variant.replace('_', '')}")  # module repeated in the name
    return keys


def _token_key(token: str, function: bool) -> str:
    module, name = token.split(":")[1].split("/")
    if function:
        name = name.removeprefix("get")
    return f"{module}/{name.lower()}"


def match(tf: list[str], toks: set[str], function: bool) -> tuple[dict[str, str], set[str]]:
    """Map each TF name to the one SDK token it derives to; return (map, unmatched tokens)."""
    by_key: dict[str, list[str]] = {}
    for tok in toks:
        by_key.setdefault(_token_key(tok, function), []).append(tok)
    result: dict[str, str] = {}
    used: set[str] = set()
    for tok, name in HAND_FIXES.items():
        if tok in toks and name in tf:
            result[name] = tok
            used.add(tok)
    for name in tf:
        if name in result:
            continue
        found = {t for k in _keys(name) for t in by_key.get(k, []) if t not in used}
        if len(found) > 1:
            raise SystemExit(f"{name}: ambiguous tokens {sorted(found)}; add a hand fix")
        if found:
            (tok,) = found
            result[name] = tok
            used.add(tok)
    return result, toks - used


def build() -> dict[str, object]:
    """The content of tokens.json for the installed SDK and the upstream provider in go.mod."""
    pkg = sdk_dir()
    res_toks, fn_toks, deprecated_for = sdk_tokens(pkg)
    res_tf, ds_tf = tf_names(upstream_dir())
    # Legacy tokens the SDK marks as deprecated are aliases, never the primary token of a TF name.
    legacy = {t for t in res_toks | fn_toks if t.lower() in deprecated_for}
    resources, res_left = match(res_tf, res_toks - legacy, function=False)
    data_sources, fn_left = match(ds_tf, fn_toks - legacy, function=True)
    res_left |= res_toks & legacy
    fn_left |= fn_toks & legacy
    problems = [f"TF resource {n} has no SDK token" for n in res_tf if n not in resources]
    problems += [f"TF data source {n} has no SDK token" for n in ds_tf if n not in data_sources]

    def aliases(left: set[str], mapped: dict[str, str], kind: str) -> list[dict[str, str]]:
        tf_of = {tok.lower(): name for name, tok in mapped.items()}
        out = []
        for tok in sorted(left):
            target = tf_of.get(deprecated_for.get(tok.lower(), ""))
            if target is None:
                problems.append(f"SDK {kind} token {tok} matches no TF name and is no known alias")
                continue
            out.append(
                {
                    "token": tok,
                    "target": target,
                    "deprecation": f"{tok} has been deprecated in favor of {mapped[target]}",
                }
            )
        return out

    res_aliases = aliases(res_left, resources, "resource")
    ds_aliases = aliases(fn_left, data_sources, "function")
    if problems:
        raise SystemExit("\n".join(problems))
    version = json.loads((pkg / "pulumi-plugin.json").read_text())["version"]
    return {
        "sdk": f"pulumi-openstack {version}",
        "resources": dict(sorted(resources.items())),
        "dataSources": dict(sorted(data_sources.items())),
        "resourceAliases": res_aliases,
        "dataSourceAliases": ds_aliases,
    }


def main() -> int:
    """Write (or with --check, verify) tokens.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if tokens.json is stale")
    args = parser.parse_args()
    text = json.dumps(build(), indent=2) + "\n"
    if args.check:
        if TOKENS_FILE.read_text(encoding="utf-8") != text:
            print(f"{TOKENS_FILE} is stale: rerun {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    TOKENS_FILE.write_text(text, encoding="utf-8")
    data = json.loads(text)
    print(
        f"wrote {TOKENS_FILE}: {len(data['resources'])} resources, "
        f"{len(data['dataSources'])} data sources, "
        f"{len(data['resourceAliases']) + len(data['dataSourceAliases'])} aliases",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
