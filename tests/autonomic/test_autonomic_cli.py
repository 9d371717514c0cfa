"""``python -m autonomic``: thresholds config, the stack file, and the commands end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

import autonomic.cli
from autonomic.cli import main
from autonomic.settings import AutonomicSettings, load_stack_file, parse_autonomic_settings
from components.errors import ConfigError
from tests.autonomic.fake_pve import FakeProxmox, Fault, GiB
from tests.autonomic.fake_stack import FakeStack

ROOT = Path(__file__).resolve().parents[2]


def stack_file(tmp_path: Path, **autonomic: Any) -> Path:
    document = yaml.safe_load((ROOT / "Pulumi.proxmox.yaml").read_text())
    document["config"]["cloudlab:proxmox"]["placement"] = {}
    document["config"]["cloudlab:autonomic"].update(
        {"pollInterval": 0.01, "interval": 0.01, "backoff": 0.01, **autonomic}
    )
    path = tmp_path / "Pulumi.proxmox.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def test_the_shipped_stack_file_loads() -> None:
    proxmox, autonomic = load_stack_file(ROOT / "Pulumi.proxmox.yaml")
    assert (proxmox.group, proxmox.base_id, proxmox.nodes) == ("g07", 42, ("srv-px1", "srv-px2"))
    assert autonomic.creation_limit == 0.16
    assert autonomic.migration_threshold < autonomic.dropping_threshold


def test_thresholds_default_to_the_labs() -> None:
    assert parse_autonomic_settings(None) == AutonomicSettings()
    assert AutonomicSettings().creation_limit == 0.16


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ({"creationLimit": 16}, "creationLimit"),
        ({"creationLimit": 0}, "creationLimit"),
        ({"creationLimit": "0.16"}, "creationLimit"),
        ({"migrationThreshold": 0.16}, "migrationThreshold"),
        ({"droppingThreshold": 0.30}, "droppingThreshold"),
        ({"attempts": 0}, "attempts"),
        ({"attempts": True}, "attempts"),
        ({"interval": 0}, "interval"),
        ({"taskTimeout": -1}, "taskTimeout"),
        ({"backoff": -0.5}, "backoff"),
        ({"threshold": 0.5}, "threshold"),
    ],
)
def test_bad_thresholds_name_their_key(raw: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_autonomic_settings(raw)
    assert info.value.key == f"cloudlab:autonomic.{key}"


def test_a_zero_backoff_is_allowed() -> None:
    assert parse_autonomic_settings({"backoff": 0}).backoff == 0


def test_a_broken_stack_file_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.x.yaml"
    path.write_text("config: [1, 2")
    with pytest.raises(ConfigError, match="cannot read"):
        load_stack_file(path)
    with pytest.raises(ConfigError, match="cannot read"):
        load_stack_file(tmp_path / "missing.yaml")


def test_plan_prints_and_changes_nothing(
    fake: FakeProxmox,
    env: dict[str, str],
    certificate: tuple[Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = stack_file(tmp_path)
    argv = ["--config", str(config), "--ca-file", str(certificate[0]), "plan"]
    assert main(argv, env) == 0
    out, err = capsys.readouterr()
    assert out.splitlines()[0].split()[:5] == ["generator", "create", "4201", "on", "srv-px1"]
    events = [json.loads(line)["event"] for line in err.splitlines()]
    assert events == ["snapshot", "decision", "decision"]
    assert fake.submitted == []


def test_run_then_cleanup_through_the_command(
    fake: FakeProxmox,
    env: dict[str, str],
    certificate: tuple[Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    common = ["--config", str(stack_file(tmp_path)), "--ca-file", str(certificate[0])]
    assert main([*common, "run", "--iterations", "3"], env) == 0
    assert sorted(fake.cts) == [4201, 4202, 4203]
    assert main([*common, "cleanup", "--dry-run"], env) == 0
    assert len(fake.cts) == 3
    assert main([*common, "cleanup"], env) == 0
    assert fake.cts == {}
    records = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert records[-1] == {**records[-1], "event": "cleanup-done", "left": []}


def test_a_failing_action_exits_1(
    fake: FakeProxmox, env: dict[str, str], certificate: tuple[Path, Path], tmp_path: Path
) -> None:
    fake.add_ct(4202, "srv-px1")
    fake.nodes["srv-px1"].base_used = 10 * GiB  # 65.6%: the offloader stops 4202
    fake.inject("stop", Fault("task", "got timeout"), times=3)
    argv = ["--config", str(stack_file(tmp_path)), "--ca-file", str(certificate[0])]
    assert main([*argv, "run", "--once"], env) == 1
    assert fake.count("stop", 4202) == 3
    assert fake.cts[4202].status == "running"


def test_missing_credentials_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(stack_file(tmp_path)), "plan"], {}) == 2
    assert "PROXMOX_VE_ENDPOINT" in capsys.readouterr().err


def test_bad_config_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    env = {"PROXMOX_VE_ENDPOINT": "https://127.0.0.1:1/", "PROXMOX_VE_API_TOKEN": "u@pve!t=s"}
    assert main(["--config", str(stack_file(tmp_path, creationLimit=2)), "plan"], env) == 2
    assert "cloudlab:autonomic.creationLimit" in capsys.readouterr().err


def test_the_module_runs_and_documents_its_commands() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "autonomic", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    for command in ("run", "plan", "cleanup", "--executor"):
        assert command in done.stdout


def test_the_pulumi_executor_writes_the_placement_and_runs_up(
    fake: FakeProxmox,
    env: dict[str, str],
    certificate: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = stack_file(tmp_path)
    stack = FakeStack(yaml.safe_load(config.read_text())["config"]["cloudlab:proxmox"])
    chosen: list[tuple[str, Path]] = []
    monkeypatch.setattr(
        autonomic.cli, "automation_stack", lambda name, wd: chosen.append((name, wd)) or stack
    )
    argv = ["--config", str(config), "--ca-file", str(certificate[0]), "--executor", "pulumi"]
    assert main([*argv, "run", "--once"], env) == 0
    assert chosen == [("proxmox", tmp_path.resolve())]
    assert stack.calls == [("set", "cloudlab:proxmox.placement.ct01", "srv-px1"), ("up", "never")]
    assert fake.submitted == []  # the API was only read; pulumi up is what acts
