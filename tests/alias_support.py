"""What a resource was called before a refactoring moved it: the URNs its aliases stand for.

Under mocks, :func:`record_aliases` keeps each registration's aliases (the SDK sends them as
alias specs); :func:`old_urns` turns them into the URNs a stack deployed before the move holds,
which is what lets such a stack update without replacing anything. The real engine proves the
same for the ``dev`` stack in tests/engine/test_zero_change.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests import harness


def record_aliases(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[Any]]:
    """From now on, URN -> the aliases its registration gave (filled as the program runs)."""
    found: dict[str, list[Any]] = {}
    original = harness.RecordingMonitor.RegisterResource

    def register(self: harness.RecordingMonitor, request: Any) -> Any:
        found[self.make_urn(request.parent, request.type, request.name)] = list(request.aliases)
        return original(self, request)

    monkeypatch.setattr(harness.RecordingMonitor, "RegisterResource", register)
    return found


def _type_chain(urn: str) -> str:
    return urn.split("::")[2]


def old_urns(urn: str, aliases: list[Any]) -> set[str]:
    """The URNs ``urn``'s alias specs stand for (a spec leaves out what did not change), made
    as the mock monitor makes URNs: the type part is the direct parent's type, ``$``, the
    resource's type (the engine chains every ancestor's type)."""
    prefix, project = urn.split("::")[0], urn.split("::")[1]
    chain, name = _type_chain(urn), urn.split("::")[-1]
    typ = chain.split("$")[-1]
    parent_chain = chain.rsplit("$", 1)[0] if "$" in chain else ""
    found = set()
    for alias in aliases:
        if alias.urn:
            found.add(alias.urn)
            continue
        spec = alias.spec
        old_type = spec.type or typ
        if spec.noParent:
            old_chain = old_type
        elif spec.parentUrn:
            old_chain = f"{_type_chain(spec.parentUrn).split('$')[-1]}${old_type}"
        else:
            old_chain = f"{parent_chain}${old_type}" if parent_chain else old_type
        found.add(f"{prefix}::{project}::{old_chain}::{spec.name or name}")
    return found
