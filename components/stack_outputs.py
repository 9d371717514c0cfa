"""The stack's own outputs at its last update, read before any resource is registered.

Two things need them: the quota pre-flight (what the stack already holds is not counted
twice) and the resize warning (the flavor the VMs run now). This module is the one way the
code reads them.

Pulumi's public reader of a stack's outputs is :class:`pulumi.StackReference`, whose values
are Outputs: they resolve only once the program runs on, too late for a pre-flight that must
refuse a lab before its first resource. So the reader asks the engine's built-in
``pulumi:pulumi:readStackOutputs`` function through the SDK's public
:func:`pulumi.runtime.invoke`, synchronously. That function is the engine's, not part of the
SDK's documented API: tests/test_stack_outputs.py pins the SDK and engine version it was
checked with, and the real-engine tests of the openstack stack exercise it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi

WRITTEN_FOR = "3.259.0"
"""The Pulumi SDK (and engine) version the reader was checked with."""
READ_STACK_OUTPUTS = "pulumi:pulumi:readStackOutputs"
"""The engine's built-in function that returns a stack's outputs (``{"outputs": {...}}``)."""


def previous_outputs() -> Mapping[str, Any]:
    """This stack's outputs at its last update (empty before the first one)."""
    me = f"{pulumi.get_organization()}/{pulumi.get_project()}/{pulumi.get_stack()}"
    try:
        result = pulumi.runtime.invoke(READ_STACK_OUTPUTS, {"name": me}).value
    except Exception:  # a stack that never ran has nothing to read
        return {}
    outputs = (result or {}).get("outputs")
    return outputs if isinstance(outputs, Mapping) else {}
