"""The README's configuration reference is generated from the settings models, and stays so."""

from __future__ import annotations

from pathlib import Path

import pytest

from components import config_reference
from components.config import environment_configs


def test_the_readme_reference_is_current() -> None:
    # When this fails: venv/bin/python -m components.config_reference (then commit README.md).
    readme = config_reference.README.read_text()
    assert config_reference.updated(readme) == readme, (
        f"README.md's configuration reference is stale: run {config_reference.COMMAND}"
    )


def test_every_key_of_every_environment_is_in_the_reference() -> None:
    text = config_reference.reference()
    for model in environment_configs().values():
        for name, field in model.model_fields.items():
            assert f"#### `cloudlab:{field.alias or name}`" in text
    assert "| `backendCidr` | IPv4 CIDR, /29 or larger | `192.168.18.0/24` |" in text
    assert "| `servicePorts.mul` | TCP port 1-65535 | `50003` |" in text


def test_check_fails_on_a_stale_readme_and_the_command_fixes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    readme = tmp_path / "README.md"
    current = config_reference.README.read_text()
    readme.write_text(current.replace("| `backendCidr` |", "| `backendCidrOld` |"))
    monkeypatch.setattr(config_reference, "README", readme)
    assert config_reference.main(["--check"]) == 1
    assert config_reference.COMMAND in capsys.readouterr().err
    assert config_reference.main([]) == 0
    assert readme.read_text() == current
    assert config_reference.main(["--check"]) == 0
