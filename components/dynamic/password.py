"""``GeneratedPassword``: a random password made once, at create, and kept as a secret.

Why not ``pulumi_random``: its provider plugin is not among those ``scripts/toolchain.sh``
builds, and a class of groups should need no more plugins than the lab does. A dynamic
provider runs in the program's own interpreter, so the password comes from Python's
:mod:`secrets` and lives only in the (encrypted) state: ``result`` is a secret output.

Semantics: the same ``length`` and ``keepers`` keep the password across updates; a new one of
either replaces the resource, which makes a new password. The provider is pickled by
reference (``components.dynamic.password.PasswordProvider``): keep that path importable.
"""

from __future__ import annotations

import secrets
import string
from typing import Any

import pulumi
import pulumi.dynamic as dyn

ALPHABET = string.ascii_letters + string.digits
"""Letters and digits: nothing a shell, YAML or a URL would need to quote."""


def generate(length: int) -> str:
    """A password of ``length`` characters from :data:`ALPHABET`, with at least one lowercase
    letter, one uppercase letter and one digit (a cloud's password rules usually ask)."""
    if length < 8:
        raise ValueError(f"a password of {length} characters is too short (at least 8)")
    while True:
        password = "".join(secrets.choice(ALPHABET) for _ in range(length))
        if (
            any(c.islower() for c in password)
            and any(c.isupper() for c in password)
            and any(c.isdigit() for c in password)
        ):
            return password


class PasswordProvider(dyn.ResourceProvider):
    """Makes the password at create; any change of the inputs replaces it."""

    def create(self, props: dict[str, Any]) -> dyn.CreateResult:
        length = int(props["length"])
        outs = {
            "length": length,
            "keepers": props.get("keepers") or {},
            "result": generate(length),
        }
        return dyn.CreateResult(id_=secrets.token_hex(8), outs=outs)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dyn.DiffResult:
        changed = [
            key
            for key in ("length", "keepers")
            if (olds.get(key) or None) != (news.get(key) or None)
        ]
        return dyn.DiffResult(changes=bool(changed), replaces=changed, delete_before_replace=False)


class GeneratedPassword(dyn.Resource):
    """A random password; ``result`` is a secret."""

    result: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        length: int,
        keepers: dict[str, str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        secret = pulumi.ResourceOptions(additional_secret_outputs=["result"])
        super().__init__(
            PasswordProvider(),
            name,
            {"length": length, "keepers": keepers or {}, "result": None},
            pulumi.ResourceOptions.merge(opts, secret),
        )
