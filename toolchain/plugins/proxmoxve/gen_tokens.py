"""Derive tokens.json (the Pulumi tokens of every resource and function) from the installed SDK.

Why: the plugin we bridge ourselves must answer to exactly the tokens the pinned Python SDK
pulumi-proxmoxve sends (each resource class passes its token to ``super().__init__``, each
function to ``invoke``), so the SDK itself is the source of truth, not a hand-written list.

Unlike OpenStack, the TF names need no table here: the SDK's tokens follow one rule from the TF
names (``proxmox_virtual_environment_<mod..>_<name>`` -> ``<mod>/<name>Legacy``,
``proxmox_<mod..>_<name>`` -> ``<mod>/<name>``; no module: ``index``), which provider.go applies to
every resource and data source of the upstream provider and then checks, both ways, against this
list: a TF name whose token the SDK lacks, or an SDK token no TF name gives, fails the build.
The Go build embeds the committed JSON and needs no Python.

Run (from the repo root, after a bump of the SDK pin):
    venv/bin/python toolchain/plugins/proxmoxve/gen_tokens.py
``--check`` only compares with the committed file (exit 1 when stale).
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TOKENS_FILE = HERE / "tokens.json"
PREFIX = "proxmoxve:"


def sdk_dir() -> Path:
    """Locate the installed pulumi_proxmoxve package without importing it."""
    spec = importlib.util.find_spec("pulumi_proxmoxve")
    if spec is None or spec.origin is None:
        raise SystemExit("pulumi_proxmoxve is not installed in this interpreter")
    return Path(spec.origin).parent


def _first_str_arg(call: ast.Call) -> str | None:
    if call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str):
        return call.args[0].value
    return None


def sdk_tokens(pkg: Path) -> tuple[set[str], set[str]]:
    """Return (resource tokens, function tokens) that the SDK's code sends."""
    resources: set[str] = set()
    functions: set[str] = set()
    for path in sorted(pkg.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                continue
            tok = _first_str_arg(node)
            if tok is None or not tok.startswith(PREFIX):
                continue
            func = node.func
            if (
                func.attr == "__init__"
                and isinstance(func.value, ast.Call)
                and isinstance(func.value.func, ast.Name)
                and func.value.func.id == "super"
            ):
                if not tok.startswith("pulumi:providers:"):
                    resources.add(tok)
            elif func.attr in ("invoke", "invoke_output", "invoke_async"):
                functions.add(tok)
    return resources, functions


def build() -> dict[str, object]:
    """The content of tokens.json for the installed SDK."""
    pkg = sdk_dir()
    resources, functions = sdk_tokens(pkg)
    if len(resources) < 50 or len(functions) < 50:
        raise SystemExit(f"found only {len(resources)} resources, {len(functions)} functions")
    version = json.loads((pkg / "pulumi-plugin.json").read_text())["version"]
    return {
        "sdk": f"pulumi-proxmoxve {version}",
        "resources": sorted(resources),
        "functions": sorted(functions),
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
        f"{len(data['functions'])} functions",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
