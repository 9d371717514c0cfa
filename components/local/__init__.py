"""Moved to :mod:`components.dynamic.command` (kept: state pickled before the move names
``components.local.command``)."""

from components.dynamic.command import (
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
