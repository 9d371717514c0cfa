"""policy/policy_sdk.py, the pack's one reach into pulumi-policy's internals: pinned to the SDK
version it was written for, and each of its three functions checked against that SDK."""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path

import policy_sdk
import pulumi_policy.policy as sdk
import pytest
from pulumi_policy import Secret
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.proxy import (
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_STRING_VALUE,
    UnknownValueError,
    unknown_checking_proxy,
)

REPO = Path(__file__).resolve().parents[2]
SECRET_SIG = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"}


def test_the_installed_sdk_is_the_one_the_seam_was_written_for() -> None:
    installed = importlib.metadata.version("pulumi-policy")
    assert installed == policy_sdk.WRITTEN_FOR, (
        f"pulumi-policy {installed} is installed, policy/policy_sdk.py was written for "
        f"{policy_sdk.WRITTEN_FOR}: re-check it against the new SDK, then bump WRITTEN_FOR"
    )


@pytest.mark.parametrize("requirements", ["requirements.txt", "policy/requirements.txt"])
def test_the_pins_are_that_version(requirements: str) -> None:
    text = (REPO / requirements).read_text()
    assert re.findall(r"^pulumi-policy==(\S+)$", text, re.M) == [policy_sdk.WRITTEN_FOR]


def test_keep_secret_markers_makes_the_sdk_keep_them() -> None:
    before = sdk.deserialize_properties
    raw = {"t": {**SECRET_SIG, "value": "x"}}
    assert sdk.deserialize_properties(raw) == {"t": "x"}  # what the SDK does on its own
    try:
        policy_sdk.keep_secret_markers()
        policy_sdk.keep_secret_markers()  # twice: still one level of wrapping
        props = sdk.deserialize_properties(raw)
        secret = policy_sdk.unwrap(props)["t"]
        assert isinstance(secret, Secret) and secret.value == "x"
    finally:
        sdk.deserialize_properties = before


def test_unwrap_sees_through_both_proxies() -> None:
    raw = {"k": {**SECRET_SIG, "value": "v"}, "u": UNKNOWN_STRING_VALUE, "l": [1]}
    secrets_proxy = deserialize_properties(raw, True)
    assert secrets_proxy["k"] == "v"  # item access drops the marker...
    target = policy_sdk.unwrap(secrets_proxy)
    assert isinstance(target["k"], Secret)  # ...the wrapped value keeps it
    unknowns_proxy = unknown_checking_proxy({"u": UNKNOWN_STRING_VALUE, "l": [1]})
    with pytest.raises(UnknownValueError):
        unknowns_proxy["u"]
    assert policy_sdk.unwrap(unknowns_proxy)["u"] == UNKNOWN_STRING_VALUE
    assert list(policy_sdk.unwrap(unknowns_proxy["l"])) == [1]
    plain = {"a": 1}
    assert policy_sdk.unwrap(plain) is plain


def test_is_unknown_knows_the_sentinels_only() -> None:
    assert policy_sdk.is_unknown(UNKNOWN_STRING_VALUE)
    assert policy_sdk.is_unknown(UNKNOWN_NUMBER_VALUE)
    assert not policy_sdk.is_unknown("04da6b54")
    assert not policy_sdk.is_unknown(None)
