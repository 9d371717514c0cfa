"""The make targets' stack config (scripts/stack-config.sh) on the real engine: a preview from
the repository leaves every tracked ``Pulumi.<stack>.yaml`` byte for byte as it was, Pulumi's
encryption salt goes into the per-user copy and survives the next sync, and edits to the
tracked file reach the copy.

Runs against a temporary backend and config dir, never the user's ``~/.cloudlab``.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import pytest

from tests.engine.pulumi_project import REPO, toolchain_bin

pytestmark = pytest.mark.engine


def tracked_stack_files() -> dict[str, str]:
    """sha256 of every Pulumi*.yaml at the repository's root."""
    files = sorted(REPO.glob("Pulumi*.yaml"))
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "state").mkdir()
    return {
        **os.environ,
        "PATH": f"{toolchain_bin()}{os.pathsep}{os.environ.get('PATH', '')}",
        "PULUMI_BACKEND_URL": f"file://{tmp_path / 'state'}?metadata=skip",
        "PULUMI_CONFIG_PASSPHRASE": "cloudlab-tests",
        "PULUMI_CONFIG_PASSPHRASE_FILE": "",
        "PULUMI_HOME": str(tmp_path / "pulumi-home"),
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        "PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER": "true",
        "CLOUDLAB_STACK_CONFIG_DIR": str(tmp_path / "stacks"),
    }


def run(env: dict[str, str], *argv: str) -> str:
    res = subprocess.run(
        list(argv), cwd=REPO, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    if res.returncode != 0:
        pytest.fail(f"{' '.join(argv)} exited {res.returncode}:\n{res.stdout}\n{res.stderr}")
    return res.stdout


def salt(path: Path) -> str:
    lines = [ln for ln in path.read_text().splitlines() if ln.startswith("encryptionsalt:")]
    assert len(lines) == 1, path.read_text()
    return lines[0]


def test_preview_from_the_repository_leaves_the_tracked_stack_files_alone(
    env: dict[str, str],
) -> None:
    before = tracked_stack_files()
    copy = Path(run(env, str(REPO / "scripts" / "stack-config.sh"), "dev").strip())
    assert copy.parent == Path(env["CLOUDLAB_STACK_CONFIG_DIR"])
    first_salt = salt(copy)
    tracked = (REPO / "Pulumi.dev.yaml").read_text().splitlines()
    assert [ln for ln in copy.read_text().splitlines() if ln != first_salt] == [
        ln for ln in tracked if not ln.startswith("encryptionsalt:")
    ]

    run(env, "pulumi", "preview", "--non-interactive", "--stack", "dev", "--config-file", str(copy))
    run(env, "pulumi", "config", "--stack", "dev", "--config-file", str(copy))
    assert tracked_stack_files() == before

    # The next sync keeps this machine's salt (the stack's secrets depend on it).
    again = Path(run(env, str(REPO / "scripts" / "stack-config.sh"), "dev").strip())
    assert again == copy and salt(copy) == first_salt
    assert tracked_stack_files() == before


def test_a_copy_that_lost_its_salt_takes_it_from_the_stack_state(env: dict[str, str]) -> None:
    copy = Path(run(env, str(REPO / "scripts" / "stack-config.sh"), "dev").strip())
    original = salt(copy)
    copy.write_text("\n".join(ln for ln in copy.read_text().splitlines() if ln != original))
    run(env, "pulumi", "preview", "--non-interactive", "--stack", "dev", "--config-file", str(copy))
    assert salt(copy) == original


def test_the_per_user_overrides_reach_the_copy_at_every_sync(env: dict[str, str]) -> None:
    """``python -m edge migrate`` writes the placement to Pulumi.<stack>.overrides: each sync
    applies it to the copy (so `make up` keeps it), and the tracked file never sees it."""
    before = tracked_stack_files()
    overrides = Path(env["CLOUDLAB_STACK_CONFIG_DIR"]) / "Pulumi.k8s-local.overrides"
    overrides.parent.mkdir(parents=True)
    overrides.write_text("cloudlab:workload.placement=worker2\n")
    sync = str(REPO / "scripts" / "stack-config.sh")
    copy = Path(run(env, sync, "k8s-local").strip())
    get = ("pulumi", "config", "get", "--path", "cloudlab:workload.placement", "--stack")
    assert run(env, *get, "k8s-local", "--config-file", str(copy)).strip() == "worker2"
    again = Path(run(env, sync, "k8s-local").strip())
    assert run(env, *get, "k8s-local", "--config-file", str(again)).strip() == "worker2"
    assert run(env, *get, "k8s-local").strip() == "worker1"  # the tracked file's own value
    assert tracked_stack_files() == before
