"""A stand-in for ``pulumi.automation.Stack``: config calls over an in-memory config.

``--path`` operations are applied the way the Pulumi CLI applies them (``true``/``false``
become booleans); ``up`` is recorded and succeeds, or raises ``up_error``.
"""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any


class FakeStack:
    """``get_config``/``set_config``/``remove_config``/``up`` over an in-memory config."""

    def __init__(self, proxmox: dict[str, Any], up_error: Exception | None = None) -> None:
        self.config: dict[str, Any] = {"cloudlab:proxmox": proxmox}
        self.calls: list[tuple[str, ...]] = []
        self.up_error = up_error

    def _walk(self, path: str) -> tuple[dict[str, Any], str]:
        key, *parts = path.split(".")
        assert key == "cloudlab:proxmox", path
        node = self.config[key]
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            assert isinstance(node, dict), f"{path}: {part} is not an object"
        return node, parts[-1]

    def get_config(self, key: str, *, path: bool = False) -> Any:
        from pulumi.automation import ConfigValue

        return ConfigValue(json.dumps(self.config[key]))

    def set_config(self, key: str, value: Any, *, path: bool = False) -> None:
        assert path and not value.secret
        self.calls.append(("set", key, value.value))
        parent, last = self._walk(key)
        # `pulumi config set --path` stores true/false as booleans.
        parent[last] = {"true": True, "false": False}.get(value.value, value.value)

    def remove_config(self, key: str, *, path: bool = False) -> None:
        assert path
        self.calls.append(("remove", key))
        parent, last = self._walk(key)
        del parent[last]

    def up(self, **kwargs: Any) -> Any:
        self.calls.append(("up", kwargs.get("color", "")))
        if self.up_error is not None:
            raise self.up_error

        summary = SimpleNamespace(result="succeeded", resource_changes={"update": 1})
        return SimpleNamespace(summary=summary)
