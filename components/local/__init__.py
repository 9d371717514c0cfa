"""Things done on this machine, as Pulumi resources (no provider plugin needed)."""

from .command import (
    CommandFailedError,
    LocalCommand,
    LocalCommandArgs,
    LocalCommandProvider,
    run_command,
)

__all__ = [
    "CommandFailedError",
    "LocalCommand",
    "LocalCommandArgs",
    "LocalCommandProvider",
    "run_command",
]
