"""The one error type a stack raises for bad configuration."""

from __future__ import annotations

import pulumi


class ConfigError(pulumi.RunError):
    """Invalid stack configuration, raised before any resource is registered.

    It subclasses :class:`pulumi.RunError`, so the engine prints the message alone
    (no Python traceback): the key that is wrong and what would be valid.
    """

    def __init__(self, key: str, problem: str, valid: str | None = None) -> None:
        self.key = key
        self.problem = problem
        self.valid = valid
        message = f"invalid config {key}: {problem}"
        if valid:
            message += f" (valid: {valid})"
        super().__init__(message)
