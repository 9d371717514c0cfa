"""The one place the pack reaches into pulumi-policy beyond its public API.

Written for pulumi-policy 1.21.0 (:data:`WRITTEN_FOR`); ``tests/policy/test_policy_sdk.py``
fails on any other installed version, so a bump of the pin makes someone re-read this module
against the new SDK's ``policy.py``, ``deserialize.py``, ``proxy.py`` and ``secret.py``.

Why it is needed: pulumi-policy 1.21 unwraps secret values before calling ``validate`` (it
deserializes with ``proxy_secrets=False``), so a policy cannot tell a secret from plain text.
The engine does send the secret markers; :func:`keep_secret_markers` makes the SDK keep them
(the secrets-preserving form it already uses for remediations), and :func:`unwrap` reads the
values behind the SDK's proxies, whose item access would drop those markers (the secrets
proxy) or raise on unknown values (the unknown-checking proxy). :func:`is_unknown` needs only
the SDK's public sentinels.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi_policy.policy as sdk
from pulumi_policy.proxy import (
    UNKNOWN_ARCHIVE_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
)

WRITTEN_FOR = "1.21.0"
"""The pulumi-policy version this module was checked against."""

_UNKNOWN_SENTINELS = frozenset(
    {
        UNKNOWN_BOOLEAN_VALUE,
        UNKNOWN_NUMBER_VALUE,
        UNKNOWN_STRING_VALUE,
        UNKNOWN_ARRAY_VALUE,
        UNKNOWN_ASSET_VALUE,
        UNKNOWN_ARCHIVE_VALUE,
        UNKNOWN_OBJECT_VALUE,
    }
)

_SDK_DESERIALIZE = sdk.deserialize_properties  # private: the SDK's own module attribute


def keep_secret_markers() -> None:
    """Make the SDK hand secrets to the policies as ``Secret`` values instead of plain ones
    (idempotent: it always wraps the SDK's original function)."""

    def deserialize(props: dict[str, Any], proxy_secrets: bool = False) -> Any:
        del proxy_secrets
        return _SDK_DESERIALIZE(props, True)

    sdk.deserialize_properties = deserialize


def unwrap(value: Mapping[str, Any] | Sequence[Any]) -> dict[str, Any] | list[Any]:
    """The plain dict or list behind one of the SDK's proxies (private: the proxies answer
    their own wrapped value to the key ``"__target"``); a plain dict or list as it is."""
    if isinstance(value, dict | list):
        return value
    return value["__target"]  # type: ignore[index]


def is_unknown(value: Any) -> bool:
    """Whether ``value`` is one of the engine's "unknown during preview" sentinels."""
    return isinstance(value, str) and value in _UNKNOWN_SENTINELS
