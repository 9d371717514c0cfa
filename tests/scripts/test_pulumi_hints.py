"""scripts/pulumi-hints.sh: Pulumi's own output and exit status pass through untouched, and a
failure a newcomer meets on this machine ends with what to do next."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HINTS = REPO / "scripts" / "pulumi-hints.sh"


def run(tmp_path: Path, output: str, status: int) -> subprocess.CompletedProcess:
    """The script, with a stand-in ``pulumi`` that prints ``output`` and exits ``status``."""
    fake = tmp_path / "pulumi"
    fake.write_text(f"#!/bin/sh\ncat <<'OUT'\n{output}\nOUT\nexit {status}\n")
    fake.chmod(0o755)
    env = {**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}"}
    return subprocess.run(
        [str(HINTS), "preview", "--stack", "x"],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
        check=False,
    )


@pytest.mark.parametrize(
    ("error", "hint"),
    [
        ("error: no resource plugin 'pulumi-resource-openstack' found in the workspace",
         "the openstack plugin is built by 'make toolchain'"),
        ("error: no resource plugin 'pulumi-resource-random' found in the workspace",
         "the random plugin is built by 'make toolchain'"),
        ("error: no resource plugin 'pulumi-resource-gcp' found in the workspace",
         "no gcp plugin can be built on this machine"),
        ("error: no resource plugin 'pulumi-resource-proxmoxve' found in the workspace",
         "the proxmoxve plugin is not built on this machine yet"),
        ("error: One of 'auth_url' or 'cloud' must be specified", "export OS_CLOUD="),
        ("error: configured Kubernetes cluster is unreachable: dial tcp", "make k8s"),
    ],
)  # fmt: skip
def test_a_known_failure_ends_with_a_hint(tmp_path: Path, error: str, hint: str) -> None:
    res = run(tmp_path, f"Previewing update (x):\n{error}", 255)
    assert res.returncode == 255
    assert error in res.stdout  # Pulumi's words, untouched
    assert res.stderr.startswith("cloudlab: ") and hint in res.stderr, res.stderr


def test_success_and_unknown_failures_add_nothing(tmp_path: Path) -> None:
    ok = run(tmp_path, "Resources:\n    + 6 to create", 0)
    assert (ok.returncode, ok.stdout.strip(), ok.stderr) == (0, "Resources:\n    + 6 to create", "")
    other = run(tmp_path, "error: something else", 1)
    assert (other.returncode, other.stderr) == (1, "")
