"""cloudlab's policy pack: ``pulumi preview --policy-pack policy``.

Every policy is a pure function of ``cloudlab_policy.py``; this file only adapts what the engine
sends (pulumi-policy's args) into :class:`cloudlab_policy.Res` values and reports what the
functions find.

Secrets and unknown values: what the pack needs from pulumi-policy beyond its public API is in
``policy_sdk.py`` (see there why); :func:`plain` turns secrets into :class:`rules.Sealed` and
unknown values (preview) into :data:`rules.UNKNOWN` instead of raising.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import cloudlab_policy as rules
from policy_sdk import is_unknown, keep_secret_markers, unwrap
from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyPack,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Secret,
    StackValidationArgs,
    StackValidationPolicy,
)

__all__ = ["keep_secret_markers", "main", "plain"]


def plain(value: Any) -> Any:
    """SDK proxies -> plain data with :class:`rules.Sealed` secrets and :data:`rules.UNKNOWN`."""
    if isinstance(value, Secret):
        return rules.Sealed(plain(value.value))
    if isinstance(value, str):
        return rules.UNKNOWN if is_unknown(value) else value
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in unwrap(value).items()}  # type: ignore[union-attr]
    if isinstance(value, Sequence):
        return [plain(v) for v in unwrap(value)]
    return value


def _config(raw: Mapping[str, Any] | None) -> rules.Config:
    return rules.Config.from_mapping(raw)


CONFIG_SCHEMA = PolicyConfigSchema(
    properties={
        "gatewayRoles": {"type": "array", "items": {"type": "string"}},
        "routerRoles": {"type": "array", "items": {"type": "string"}},
        "allowedPublishHosts": {"type": "array", "items": {"type": "string"}},
        "protectedPorts": {"type": "object", "additionalProperties": {"type": "string"}},
    }
)


def resource_policy(name: str) -> ResourceValidationPolicy:
    check = rules.RESOURCE_CHECKS[name]

    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        res = rules.Res(
            type=args.resource_type,
            name=args.name,
            props=plain(args.props),
            urn=args.urn,
            additional_secret_outputs=tuple(args.opts.additional_secret_outputs or ()),
        )
        for message in check(res, _config(args.get_config())):
            report(message, args.urn)

    return ResourceValidationPolicy(
        name=name,
        description=rules.DESCRIPTIONS[name],
        validate=validate,
        enforcement_level=EnforcementLevel.MANDATORY,
        config_schema=CONFIG_SCHEMA,
    )


def stack_policy(name: str) -> StackValidationPolicy:
    check = rules.STACK_CHECKS[name]

    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        resources = [
            rules.Res(
                type=r.resource_type,
                name=r.name,
                props=plain(r.props),
                urn=r.urn,
                additional_secret_outputs=tuple(r.opts.additional_secret_outputs or ()),
                property_dependencies={
                    k: [d.urn for d in deps] for k, deps in r.property_dependencies.items()
                },
            )
            for r in args.resources
        ]
        for urn, message in check(resources, _config(args.get_config())):
            report(message, urn or None)

    return StackValidationPolicy(
        name=name,
        description=rules.DESCRIPTIONS[name],
        validate=validate,
        enforcement_level=EnforcementLevel.MANDATORY,
        config_schema=CONFIG_SCHEMA,
    )


def main() -> None:
    keep_secret_markers()
    PolicyPack(
        name="cloudlab-guardrails",
        enforcement_level=EnforcementLevel.MANDATORY,
        policies=[
            *(resource_policy(n) for n in rules.RESOURCE_CHECKS),
            *(stack_policy(n) for n in rules.STACK_CHECKS),
        ],
    )


if __name__ == "__main__":
    main()
