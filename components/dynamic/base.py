"""The base of cloudlab's offline stand-ins: labels, input hashes, adoption and the hash diff.

Every dynamic provider of :mod:`components.dynamic` keeps a sha256 of each input in its
outputs (``input_hashes``) and diffs the new inputs' hashes against them
(:class:`HashDiffProvider`), so secrets are never copied into outputs and a change of one input
is told from another. Objects a provider creates carry ``cloudlab.stack=<stack>`` and the hash
of their inputs (:func:`spec_labels`), so a create interrupted before the engine's checkpoint
is adopted by the next one (:func:`adoptable`).

Nothing here talks to Docker or runs anything, so it is unit-tested without an engine.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import functools
import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

import pulumi.dynamic as dyn
from pulumi.output import Unknown
from pulumi.runtime import rpc

STACK_LABEL = "cloudlab.stack"
"""Label carried by every network, container and image cloudlab creates; its value is the stack."""

MANAGED_LABEL = "cloudlab.managed-by"
MANAGED_VALUE = "pulumi-dynamic"
SPEC_LABEL = "cloudlab.spec"
"""Hash of the inputs an object was created from: lets a later create adopt it (see
:func:`adoptable`) when an interrupted ``pulumi up`` created it but never recorded it."""


def is_known(value: Any) -> bool:
    """Whether a provider's input has a value: at preview, an input computed from another
    resource's output that does not exist yet reaches ``check`` as the engine's unknown."""
    return not isinstance(value, Unknown) and value != rpc.UNKNOWN


def stack_labels(stack: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The labels for one object: the caller's ones plus ``cloudlab.stack=<stack>``."""
    if not stack:
        raise ValueError(
            "stack must be a non-empty string (it labels everything as cloudlab.stack)"
        )
    labels = {str(k): str(v) for k, v in (extra or {}).items()}
    labels[STACK_LABEL] = stack
    labels[MANAGED_LABEL] = MANAGED_VALUE
    return labels


def spec_labels(stack: str, extra: Mapping[str, str] | None, spec: str) -> dict[str, str]:
    """:func:`stack_labels` plus the spec hash of the inputs."""
    return {**stack_labels(stack, extra), SPEC_LABEL: spec}


def adoptable(labels: Mapping[str, str] | None, stack: str, spec: str) -> bool:
    """Whether an existing object with our name is the one this create would make.

    A ``pulumi up`` killed between Docker's create and the engine's checkpoint leaves such an
    orphan behind; adopting it (same stack, same inputs) lets the next ``up`` complete.
    Anything else with the name is someone else's, and stays an error.
    """
    labels = labels or {}
    return labels.get(STACK_LABEL) == stack and labels.get(SPEC_LABEL) == spec


def canonical_json(value: Any) -> str:
    """Deterministic JSON of a props value (sorted keys, no spaces)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def value_hash(value: Any) -> str:
    """sha256 of a value's canonical JSON: compares inputs without storing them (e.g. env)."""
    return hashlib.sha256(canonical_json(value).encode()).hexdigest()


def input_hashes(props: Mapping[str, Any], keys: Iterable[str]) -> dict[str, str]:
    """One hash per input key; providers keep these in their outputs to diff later."""
    return {key: value_hash(props.get(key)) for key in keys}


def changed_keys(old_hashes: Mapping[str, str], new_hashes: Mapping[str, str]) -> list[str]:
    """Keys whose hash differs (a key missing on one side counts as changed), sorted."""
    keys = set(old_hashes) | set(new_hashes)
    return sorted(k for k in keys if old_hashes.get(k) != new_hashes.get(k))


@dataclasses.dataclass(frozen=True)
class DiffDecision:
    """What a provider's ``diff`` answers: any change, which keys force a replacement."""

    changes: bool
    replaces: list[str]
    delete_before_replace: bool


def decide(
    old_hashes: Mapping[str, str],
    new_hashes: Mapping[str, str],
    replace_keys: Iterable[str],
    *,
    delete_before_replace: bool,
    drift: bool = False,
) -> DiffDecision:
    """Decide a diff from hashes.

    ``replace_keys`` are the inputs whose change needs a new object (for a container: all of its
    spec); other changed keys are updates. ``drift`` marks a change seen by ``read`` (e.g. a stopped
    container) that ``update`` repairs.
    """
    changed = changed_keys(old_hashes, new_hashes)
    replace_set = set(replace_keys)
    replaces = [k for k in changed if k in replace_set]
    return DiffDecision(
        changes=bool(changed) or drift,
        replaces=replaces,
        delete_before_replace=bool(replaces) and delete_before_replace,
    )


def hash_diff(
    olds: Mapping[str, Any],
    news: Mapping[str, Any],
    input_keys: Iterable[str],
    replace_keys: Iterable[str],
    *,
    delete_before_replace: bool,
    drift: bool = False,
) -> Any:
    """A provider's ``diff``: the input hashes kept in the old outputs against the new inputs'.

    Returns a ``pulumi.dynamic.DiffResult`` from :func:`decide`.
    """
    d = decide(
        olds.get("input_hashes") or {},
        input_hashes(news, input_keys),
        replace_keys,
        delete_before_replace=delete_before_replace,
        drift=drift,
    )
    return dyn.DiffResult(
        changes=d.changes, replaces=d.replaces, delete_before_replace=d.delete_before_replace
    )


def to_props(value: Any) -> Any:
    """Turn (nested) args dataclasses into plain dicts and lists for Pulumi.

    Unlike ``dataclasses.asdict`` it never deep-copies, so Pulumi ``Output`` values pass through.
    ``None`` fields are kept so every input key is present.
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_props(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {k: to_props(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_props(v) for v in value]
    return value


PROVIDER_KEY = "__provider"
"""Where the SDK keeps a dynamic resource's pickled provider, in its inputs and its outputs."""


def pickled_elsewhere(provider: type, olds: Mapping[str, Any]) -> bool:
    """Whether the state's copy of the provider (``olds["__provider"]``) was pickled when its
    class lived in another module: state written before a move of the providers' modules."""
    pickled = olds.get(PROVIDER_KEY)
    if not isinstance(pickled, str):
        return False
    try:
        raw = base64.b64decode(pickled, validate=True)
    except (binascii.Error, ValueError):
        return False
    return provider.__module__.encode() not in raw


def kept_outputs(olds: Mapping[str, Any]) -> dict[str, Any]:
    """The recorded outputs as they are (the SDK adds the current provider back)."""
    return {k: v for k, v in olds.items() if k != PROVIDER_KEY}


class HashDiffProvider(dyn.ResourceProvider):
    """A dynamic provider whose ``diff`` is :func:`hash_diff` over its class's keys.

    Subclasses set ``INPUT_KEYS`` (every input, hashed into ``input_hashes``),
    ``REPLACE_KEYS`` (the inputs whose change needs a new object) and
    ``DELETE_BEFORE_REPLACE`` (fixed names: the old object goes first), and override
    :meth:`drift` when ``read`` can see a change that ``update`` repairs. Providers hold no
    client and import their SDK inside their methods, so they pickle by reference.

    The engine stores the pickled provider in the state, in the inputs and in the outputs, and
    ``read`` and ``delete`` load it from the outputs, which only ``create`` and ``update``
    rewrite. So when a provider's module moves, state written before the move names a module
    that no longer exists: ``diff`` reports such a resource as changed (never replaced), and
    its ``update`` keeps every output and touches nothing, so that one ``pulumi up`` rewrites the
    state under the new module path (docs/upgrading.md).
    """

    INPUT_KEYS: ClassVar[tuple[str, ...]] = ()
    REPLACE_KEYS: ClassVar[tuple[str, ...]] = ()
    DELETE_BEFORE_REPLACE: ClassVar[bool] = False
    ADDED_KEYS: ClassVar[tuple[str, ...]] = ()
    """Inputs added after states were written: one missing from the old hashes counts as unset
    (``None``), so an object made before the key existed is not replaced while it stays unset."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        own = cls.__dict__.get("update")
        if own is None:
            return

        @functools.wraps(own)
        def update(self: HashDiffProvider, id_: str, olds: dict[str, Any], news: dict[str, Any]):
            if self.only_moved(olds, news):
                return dyn.UpdateResult(outs=kept_outputs(olds))
            return own(self, id_, olds, news)

        cls.update = update  # type: ignore[method-assign]

    def only_moved(self, olds: Mapping[str, Any], news: Mapping[str, Any]) -> bool:
        """The update only rewrites the provider's module path: no input changed, no drift."""
        return (
            pickled_elsewhere(type(self), olds)
            and not changed_keys(olds.get("input_hashes") or {}, self.hashes(news))
            and not self.drift(olds)
        )

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dyn.UpdateResult:
        """Only a moved provider gets here (every input of such a provider replaces)."""
        return dyn.UpdateResult(outs=kept_outputs(olds))

    def drift(self, olds: Mapping[str, Any]) -> bool:
        """Whether the recorded outputs show a change ``update`` must repair (default: none)."""
        return False

    def hashes(self, props: Mapping[str, Any]) -> dict[str, str]:
        """:func:`input_hashes` of ``props`` over ``INPUT_KEYS``."""
        return input_hashes(props, self.INPUT_KEYS)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dyn.DiffResult:
        old_hashes = dict(olds.get("input_hashes") or {})
        for key in self.ADDED_KEYS:
            old_hashes.setdefault(key, value_hash(None))
        return hash_diff(
            {**olds, "input_hashes": old_hashes},
            news,
            self.INPUT_KEYS,
            self.REPLACE_KEYS,
            delete_before_replace=self.DELETE_BEFORE_REPLACE,
            drift=self.drift(olds) or pickled_elsewhere(type(self), olds),
        )
