"""No dead code in components/: every public top-level function and class is used somewhere
(another module, a test, a stack, a tool, or its own module), not only defined and re-exported
by its package's ``__init__``."""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SKIP = {"venv", ".git", "site", "build"}


def public_definitions() -> list[tuple[Path, str]]:
    found = []
    for module in sorted((REPO / "components").rglob("*.py")):
        for node in ast.parse(module.read_text()).body:
            if isinstance(node, ast.FunctionDef | ast.ClassDef) and not node.name.startswith("_"):
                found.append((module, node.name))
    return found


def sources() -> dict[Path, str]:
    return {
        path: path.read_text()
        for path in REPO.rglob("*.py")
        if not SKIP & set(path.relative_to(REPO).parts)
    }


def is_used(module: Path, name: str, texts: dict[Path, str]) -> bool:
    word = re.compile(rf"\b{re.escape(name)}\b")
    for path, text in texts.items():
        if path == module:
            if len(word.findall(text)) > 1:  # used by its own module beyond its definition
                return True
        elif not (path.name == "__init__.py" and path.parent == module.parent) and word.search(
            text
        ):
            return True
    return False


def test_every_public_definition_is_used() -> None:
    texts = sources()
    dead = [
        f"{module.relative_to(REPO)}:{name}"
        for module, name in public_definitions()
        if not is_used(module, name, texts)
    ]
    assert dead == []


def test_a_definition_only_re_exported_counts_as_dead(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    module = package / "settings.py"
    module.write_text("def parse_it():\n    return 1\n")
    init = package / "__init__.py"
    init.write_text("from .settings import parse_it\n__all__ = ['parse_it']\n")
    texts = {module: module.read_text(), init: init.read_text()}
    assert not is_used(module, "parse_it", texts)
    user = tmp_path / "user.py"
    texts[user] = "from pkg import parse_it\nparse_it()\n"
    assert is_used(module, "parse_it", texts)
