"""The layout's rules, read from the import statements of components/ (every one, including
imports inside functions):

- a technology's building blocks (``openstack``, ``docker``, ``kubernetes``, ``proxmox``,
  ``virtualbox``) import no other technology's package and no lab's;
- the offline stand-ins (``dynamic``) import no component package but their own;
- labs (``calculator``, ``classroom``, ``dockerlab``, ``kubeadm``, ``paas``) compose building
  blocks and stand-ins;
- no package imports the environments' config models (``components.config``): stacks do.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

COMPONENTS = Path(__file__).resolve().parents[1] / "components"
TECHNOLOGIES = {"openstack", "docker", "kubernetes", "proxmox", "virtualbox"}
LABS = {"calculator", "classroom", "dockerlab", "kubeadm", "paas"}
SEAM = "dynamic"
SHARED = {"errors", "settings", "stack_outputs"}
"""Modules every package may use (config errors, the settings models' base and adapter, and
the stack's own previous outputs)."""
TOP = {"config"}
"""The environments' config models, which name every lab's settings: only stacks use them."""


def imported_packages(path: Path) -> set[str]:
    """``components.<package>`` names a module imports (relative imports resolved)."""
    tree = ast.parse(path.read_text())
    package = path.relative_to(COMPONENTS).parts[0]
    found = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                names = [f"components.{package}"]
            elif node.module:
                names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "components" and len(parts) > 1:
                found.add(parts[1])
    return found


def modules_of(package: str) -> list[Path]:
    return sorted((COMPONENTS / package).rglob("*.py"))


def test_every_package_is_classified() -> None:
    packages = {p.name for p in COMPONENTS.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert packages == TECHNOLOGIES | LABS | {SEAM, "config"}


@pytest.mark.parametrize("technology", sorted(TECHNOLOGIES))
def test_a_technology_imports_no_other_technology_and_no_lab(technology: str) -> None:
    allowed = {technology, SEAM, *SHARED}
    for module in modules_of(technology):
        wrong = imported_packages(module) - allowed
        assert not wrong, f"{module.relative_to(COMPONENTS)} imports components.{wrong}"


@pytest.mark.parametrize("package", sorted(TECHNOLOGIES | LABS | {SEAM}))
def test_no_package_imports_the_environments_config(package: str) -> None:
    for module in modules_of(package):
        wrong = imported_packages(module) & TOP
        assert not wrong, f"{module.relative_to(COMPONENTS)} imports components.{wrong}"


def test_the_stand_ins_import_no_component() -> None:
    for module in modules_of(SEAM):
        wrong = imported_packages(module) - {SEAM}
        assert not wrong, f"{module.relative_to(COMPONENTS)} imports components.{wrong}"


def test_the_openstack_snapshot_reaches_its_command_through_the_seam() -> None:
    """The dependency the layout once had the wrong way round."""
    assert imported_packages(COMPONENTS / "openstack" / "vm.py") == {
        "dynamic",
        "errors",
        "openstack",
    }
