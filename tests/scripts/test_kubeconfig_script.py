"""scripts/kubeconfig.sh: the stack's kubeconfig with mode 0600 in a 0700 directory outside the
clone, never inside it; and .gitignore covers kubeconfig files. A fake ``pulumi`` on PATH prints
the stack output."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "kubeconfig.sh"
KUBECONFIG = (
    "apiVersion: v1\nkind: Config\nusers:\n- name: admin\n  user:\n    client-key-data: c2VjcmV0\n"
)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "pulumi"
    fake.write_text(
        "#!/bin/sh\n"
        '[ "$1 $2 $3 $4" = "stack output kubeconfig --show-secrets" ] || exit 9\n'
        f"printf '%s' '{KUBECONFIG}'\n"
    )
    fake.chmod(0o755)
    return {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "CLOUDLAB_HOME": str(tmp_path / "home"),
    }


def run(env: dict[str, str], *args: str, umask: int = 0o022) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(SCRIPT), *args],
        env=env,
        capture_output=True,
        text=True,
        preexec_fn=lambda: os.umask(umask),
        check=False,
    )


def test_written_0600_outside_the_clone_whatever_the_umask(env: dict[str, str]) -> None:
    res = run(env, "kubernetes", umask=0o000)
    assert res.returncode == 0, res.stderr
    path = Path(res.stdout.strip())
    assert path == Path(env["CLOUDLAB_HOME"]) / "kube" / "kubernetes.kubeconfig"
    assert path.read_text() == KUBECONFIG
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert ROOT not in path.parents
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left


def test_a_file_inside_the_clone_is_refused(env: dict[str, str]) -> None:
    target = ROOT / "kubeconfig"
    res = run(env, "kubernetes", str(target))
    assert res.returncode == 2
    assert "inside the clone" in res.stderr
    assert not target.exists()


def test_gitignore_covers_kubeconfigs() -> None:
    names = ["kubeconfig", "kubeconfig.yaml", "admin.kubeconfig", "my-kubeconfig.yaml"]
    res = subprocess.run(
        ["git", "check-ignore", "--no-index", *names],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.stdout.split() == names
    code = ["localcloud/k8s/kubeconfig.py", "components/kubernetes/kubeconfig/__init__.py"]
    res = subprocess.run(
        ["git", "check-ignore", "--no-index", *code], cwd=ROOT, capture_output=True, check=False
    )
    assert res.stdout == b""  # the code that builds kubeconfigs is not ignored
