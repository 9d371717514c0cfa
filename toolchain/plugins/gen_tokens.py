"""Derive toolchain/plugins/<name>/tokens.json (the Pulumi tokens of every resource and function)
from the installed SDK pulumi-<name>, for the plugins whose TF names map to tokens by one rule
(random, tls; proxmoxve and openstack have their own script).

Why: the plugin we bridge ourselves must answer to exactly the tokens the pinned Python SDK sends
(each resource class passes its token to ``super().__init__``, each function to ``invoke``), so
the SDK itself is the source of truth, not a hand-written list. The plugin's provider.go derives
each upstream TF name's token by its SDK's naming rule and checks, both ways, against this list: a
TF name whose token the SDK lacks, or an SDK token no TF name gives, fails the build. The Go build
embeds the committed JSON and needs no Python.

Run (from the repo root, after a bump of the SDK pin):
    venv/bin/python toolchain/plugins/gen_tokens.py random tls
``--check`` only compares with the committed files (exit 1 when one is stale).
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def sdk_dir(name: str) -> Path:
    """Locate the installed pulumi_<name> package without importing it."""
    spec = importlib.util.find_spec(f"pulumi_{name}")
    if spec is None or spec.origin is None:
        raise SystemExit(f"pulumi_{name} is not installed in this interpreter")
    return Path(spec.origin).parent


def _first_str_arg(call: ast.Call) -> str | None:
    if call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str):
        return call.args[0].value
    return None


def _is_super_init(func: ast.Attribute) -> bool:
    return (
        func.attr == "__init__"
        and isinstance(func.value, ast.Call)
        and isinstance(func.value.func, ast.Name)
        and func.value.func.id == "super"
    )


def sdk_tokens(pkg: Path, name: str) -> tuple[set[str], set[str]]:
    """Return (resource tokens, function tokens) that the SDK's code sends."""
    prefix = f"{name}:"
    resources: set[str] = set()
    functions: set[str] = set()
    for path in sorted(pkg.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                continue
            tok = _first_str_arg(node)
            if tok is None or not tok.startswith(prefix):
                continue
            if _is_super_init(node.func):
                resources.add(tok)
            elif node.func.attr in ("invoke", "invoke_output", "invoke_async"):
                functions.add(tok)
    return resources, functions


def build(name: str) -> dict[str, object]:
    """The content of tokens.json for the installed SDK of plugin ``name``."""
    pkg = sdk_dir(name)
    resources, functions = sdk_tokens(pkg, name)
    if not resources:
        raise SystemExit(f"found no resource token in {pkg}")
    version = json.loads((pkg / "pulumi-plugin.json").read_text())["version"]
    return {
        "sdk": f"pulumi-{name} {version}",
        "resources": sorted(resources),
        "functions": sorted(functions),
    }


def main() -> int:
    """Write (or with --check, verify) the tokens.json of each named plugin."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="+", help="plugin names (random, tls)")
    parser.add_argument("--check", action="store_true", help="fail if a tokens.json is stale")
    args = parser.parse_args()
    stale = 0
    for name in args.names:
        target = HERE / name / "tokens.json"
        text = json.dumps(build(name), indent=2) + "\n"
        if args.check:
            if not target.exists() or target.read_text(encoding="utf-8") != text:
                print(f"{target} is stale: rerun {Path(__file__).name} {name}", file=sys.stderr)
                stale += 1
            continue
        target.write_text(text, encoding="utf-8")
        data = json.loads(text)
        print(
            f"wrote {target}: {len(data['resources'])} resources, "
            f"{len(data['functions'])} functions",
            file=sys.stderr,
        )
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
