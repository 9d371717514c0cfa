"""Entry point: read which environment this stack targets and hand over to it."""

import pulumi

import stacks

config = pulumi.Config("cloudlab")
stacks.dispatch(config.get("environment") or pulumi.get_stack(), config)
