"""Every make target that runs ``pulumi up`` or ``pulumi preview`` passes the policy pack, with
the stack's own pack config when it has one (``make -n``: the commands, nothing run)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def pulumi_lines(stack: str) -> dict[str, str]:
    res = subprocess.run(
        ["make", "-n", "up", "preview", "policy", f"STACK={stack}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    found: dict[str, str] = {}
    for line in res.stdout.splitlines():
        match = re.search(r"pulumi-hints\.sh (up|preview) ", line)
        if match:
            found.setdefault(match.group(1), line)
            if match.group(1) == "preview":
                found["policy"] = line  # the policy target's preview comes last
    return found


@pytest.mark.parametrize(
    ("stack", "config"), [("dev", None), ("dockerlab", "policy/dockerlab.json")]
)
def test_up_and_preview_run_the_pack(stack: str, config: str | None) -> None:
    lines = pulumi_lines(stack)
    assert set(lines) == {"up", "preview", "policy"}
    for target, line in lines.items():
        assert "--policy-pack policy" in line, target
        if config:
            assert f"--policy-pack-config {config}" in line, target
        else:
            assert "--policy-pack-config" not in line, target
