"""The docs site's configuration reference is generated from the settings models, and stays so."""

from __future__ import annotations

from pathlib import Path

import pytest

from components.config import environment_configs
from docs_tools import config_reference


def test_the_page_is_current() -> None:
    # When this fails: venv/bin/python -m docs_tools.config_reference (then commit the page).
    assert config_reference.PAGE.read_text() == config_reference.reference(), (
        f"docs/reference/config.md is stale: run {config_reference.COMMAND}"
    )


def test_every_key_of_every_environment_is_in_the_reference() -> None:
    text = config_reference.reference()
    for model in environment_configs().values():
        for name, field in model.model_fields.items():
            assert f"## `cloudlab:{field.alias or name}`" in text
    assert "## `cloudlab:autonomic`" in text
    assert "| `backendCidr` | IPv4 CIDR, /29 or larger | `192.168.18.0/24` |" in text
    assert "| `servicePorts.mul` | TCP port 1-65535 | `50003` |" in text


def test_check_fails_on_a_stale_page_and_the_command_fixes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "reference" / "config.md"
    current = config_reference.PAGE.read_text()
    monkeypatch.setattr(config_reference, "PAGE", page)
    assert config_reference.main(["--check"]) == 1
    page.parent.mkdir()
    page.write_text(current.replace("| `backendCidr` |", "| `backendCidrOld` |"))
    assert config_reference.main(["--check"]) == 1
    assert config_reference.COMMAND in capsys.readouterr().err
    assert config_reference.main([]) == 0
    assert page.read_text() == current
    assert config_reference.main(["--check"]) == 0


def test_the_components_do_not_import_the_docs_tooling_or_the_autonomic_manager() -> None:
    """The generator reads autonomic's model: it lives with the docs, not in components/."""
    components = Path(config_reference.__file__).resolve().parents[1] / "components"
    for module in components.rglob("*.py"):
        text = module.read_text()
        for name in ("autonomic", "docs_tools"):
            assert f"from {name}" not in text and f"import {name}" not in text, module
