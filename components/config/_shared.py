"""What several environments' models share."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def unset_is_empty(raw: Any, *keys: str) -> Any:
    """``raw`` with each unset key of ``keys`` an empty object: its required settings then
    name themselves (``cloudlab:workload.image``), not the whole object."""
    if isinstance(raw, Mapping):
        return {**raw, **{key: {} for key in keys if raw.get(key) is None}}
    return raw
