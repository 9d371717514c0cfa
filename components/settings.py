"""Declarative settings: the base of every config model, its field types, and the one adapter
that turns a pydantic validation error into the project's :class:`ConfigError`.

Each config key (``cloudlab:calculator``, ``cloudlab:kubernetes``, ...) is one model in its
lab's ``settings.py``: camelCase aliases, unknown keys refused, every rule (CIDR overlaps,
host-in-subnet, port clashes, capacity) a field or model validator. A stack reads all of its
keys at once through the model of its environment (:mod:`components.config`), so nothing is
registered before the whole config is valid, and no stack validates anything itself.

The messages are part of the user interface (tests assert on them): validators raise
:func:`invalid` with the problem and what would be valid, and :func:`config_error` names the
full key, ``cloudlab:calculator.backendCidr`` or ``cloudlab:calculator.allowedCidrs[1]``.
"""

from __future__ import annotations

import ipaddress
import re
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, TypeVar, get_args, get_origin

import pulumi
from pydantic import BaseModel, ConfigDict, Field, PlainValidator, ValidationError
from pydantic.alias_generators import to_camel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError

from components.errors import ConfigError
from components.netrules import world_open

ERROR_TYPE = "cloudlab"
"""The pydantic error type of the project's own rules (their text is final as written)."""


def invalid(problem: str, valid: str | None = None, at: str | None = None) -> PydanticCustomError:
    """The error a validator raises: ``problem``, what would be ``valid``; ``at`` is the path
    below the failing model when a model validator blames one of its fields
    (``servicePorts.mul``)."""
    return PydanticCustomError(
        ERROR_TYPE, "{problem}", {"problem": problem, "valid": valid, "at": at}
    )


class ConfigModel(BaseModel):
    """A config object: camelCase keys, unknown keys refused, immutable once validated.

    Python code may build one by attribute name (``CalculatorSettings(replicas=2)``); the
    config is only ever read by alias (:func:`load_settings`), so ``replicas_x`` in a stack
    file is an unknown key, not a second spelling.
    """

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_alias=True,
        validate_by_name=True,
        extra="forbid",
        frozen=True,
        use_attribute_docstrings=True,
    )

    unknown_key: ClassVar[str] = "unknown setting"
    """The problem an unknown key is reported as."""
    object_hint: ClassVar[str | None] = None
    """What is valid when the value is not an object; default: the model's keys."""

    @classmethod
    def config_keys(cls) -> list[str]:
        """The keys of this object as the config spells them."""
        return [field.alias or name for name, field in cls.model_fields.items()]

    @classmethod
    def field_by_alias(cls, alias: str) -> FieldInfo | None:
        """The field the config calls ``alias``."""
        return next((f for n, f in cls.model_fields.items() if (f.alias or n) == alias), None)


def required(valid: str, problem: str = "missing", derived: str | None = None) -> Any:
    """A required field: when absent, the error says ``problem`` and what would be ``valid``;
    ``derived`` describes the default a model validator fills in from other keys."""
    extra = {"missing": valid, "missing_problem": problem}
    return Field(json_schema_extra=extra if derived is None else {**extra, "derived": derived})


def derived(default: Any, text: str) -> Any:
    """A field whose default a model validator derives from other keys, described by ``text``
    (``default`` is what it is when those keys are unset)."""
    return Field(default, json_schema_extra={"derived": text})


M = TypeVar("M", bound=ConfigModel)


# --- the adapter -------------------------------------------------------------------------


def _join(root: str, parts: list[str | int]) -> str:
    key = root
    for part in parts:
        if isinstance(part, int):
            key += f"[{part}]"
        elif key.endswith(":"):
            key += part
        else:
            key += f".{part}"
    return key


def _path(at: str | None) -> list[str | int]:
    """``servicePorts.mul`` or ``[1]`` as loc parts: names, and list indices as ints."""
    parts: list[str | int] = []
    for part in re.findall(r"\[\d+\]|[^.\[\]]+", at or ""):
        parts.append(int(part[1:-1]) if part.startswith("[") else part)
    return parts


def models_in(annotation: Any) -> list[type[ConfigModel]]:
    """The config models a field's annotation holds (``X``, ``X | None``, ``tuple[X, ...]``)."""
    if isinstance(annotation, type) and issubclass(annotation, ConfigModel):
        return [annotation]
    if get_origin(annotation) in (typing.Union, types.UnionType, Annotated, list, tuple):
        return [m for arg in get_args(annotation) for m in models_in(arg)]
    return []


def _model_at(model: type[ConfigModel], path: list[str | int]) -> type[ConfigModel] | None:
    """The model that validates the object at ``path`` (aliases) below ``model``."""
    for part in path:
        if isinstance(part, int):  # an item of a list field: the model found for the list
            continue
        fields = {f.alias or n: f for n, f in model.model_fields.items()}
        if part not in fields:
            return None
        found = models_in(fields[part].annotation)
        if not found:
            return None
        model = found[0]
    return model


def config_error(error: ValidationError, model: type[ConfigModel], root: str) -> ConfigError:
    """The :class:`ConfigError` of the first problem in ``error`` (an unknown key first, as a
    typo explains the rest), with the full key under ``root`` and what would be valid."""
    errors = error.errors()
    first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    loc: list[str | int] = list(first["loc"])
    ctx = first.get("ctx") or {}
    kind, value = first["type"], first.get("input")
    if kind == ERROR_TYPE:
        at = ctx.get("at")
        parts = loc + _path(at)
        return ConfigError(_join(root, parts), ctx["problem"], ctx.get("valid"))
    if kind == "extra_forbidden":
        owner = _model_at(model, loc[:-1])
        problem = owner.unknown_key if owner else "unknown setting"
        valid = ", ".join(owner.config_keys()) if owner else None
        return ConfigError(_join(root, loc), problem, valid)
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        owner = _model_at(model, loc)
        hint = None
        if owner is not None:
            hint = owner.object_hint or ", ".join(owner.config_keys())
        return ConfigError(_join(root, loc), f"expected an object, got {value!r}", hint)
    if kind == "missing":
        owner = _model_at(model, loc[:-1])
        field = owner.field_by_alias(str(loc[-1])) if owner else None
        extra = field.json_schema_extra if field is not None else None
        extra = extra if isinstance(extra, dict) else {}
        problem = str(extra.get("missing_problem", "missing"))
        return ConfigError(_join(root, loc), problem, extra.get("missing"))  # type: ignore[arg-type]
    return ConfigError(_join(root, loc), f"{first['msg']}, got {value!r}")


def load_settings(model: type[M], raw: Any, root: str) -> M:
    """``raw`` (one config object, ``None`` when unset) validated as ``model``, or the
    :class:`ConfigError` naming the key under ``root`` (``cloudlab:calculator``)."""
    try:
        return model.model_validate({} if raw is None else raw, by_alias=True, by_name=False)
    except ValidationError as error:
        raise config_error(error, model, root) from None


class EnvironmentConfig(ConfigModel):
    """Every config key one stack reads (its fields are ``cloudlab:<key>``), validated at once
    before the stack registers anything; model validators hold the rules across keys."""

    text_keys: ClassVar[tuple[str, ...]] = ()
    """Keys read as plain text (``pulumi config set cloudlab:kubeconfigPath ~/.kube/config``)."""
    secret_keys: ClassVar[tuple[str, ...]] = ()
    """Keys read as secrets (an ``Output``, never seen in plain text here)."""


E = TypeVar("E", bound=EnvironmentConfig)


def load_config(model: type[E], config: pulumi.Config) -> E:
    """Every key of ``model`` read from the stack's ``config`` (namespace ``cloudlab``) and
    validated, or the :class:`ConfigError` naming the first bad key in full."""
    raw: dict[str, Any] = {}
    for key in model.config_keys():
        if key in model.secret_keys:
            value = config.get_secret(key)
        elif key in model.text_keys:
            value = config.get(key)
        else:
            value = config.get_object(key)
        if value is not None:
            raw[key] = value
    return load_settings(model, raw, f"{config.name}:")


# --- field types -------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """What a field type accepts, in the words of the config reference."""

    text: str


def field_type(kind: str, check: Callable[[Any], Any]) -> Any:
    """An ``Annotated`` field type validated by ``check`` (which raises :func:`invalid`)."""
    return Annotated[Any, PlainValidator(check), Kind(kind)]


def _digits(value: Any) -> bool:
    """Whether ``value`` is text of ASCII digits only (``"²".isdigit()`` is true too)."""
    return isinstance(value, str) and value.strip().isascii() and value.strip().isdigit()


def check_text(value: Any, pattern: re.Pattern[str] | None = None, valid: str | None = None) -> str:
    """``value`` stripped, if it is a non-blank string (matching ``pattern``, when given)."""
    if not isinstance(value, str) or not value.strip():
        raise invalid(f"expected a non-empty string, got {value!r}", valid or None)
    value = value.strip()
    if pattern is not None and not pattern.match(value):
        raise invalid(f"{value!r} is not valid", valid or None)
    return value


def Text(  # noqa: N802
    pattern: str | None = None, valid: str | None = None, *, optional: bool = False
) -> Any:
    """A non-blank string (stripped), matching ``pattern`` when given; with ``optional``,
    ``null`` too (kept as ``None``)."""
    compiled = re.compile(pattern) if pattern else None

    def check(value: Any) -> str | None:
        if optional and value is None:
            return None
        return check_text(value, compiled, valid)

    return field_type(f"text ({valid})" if valid else "text", check)


def check_int(value: Any, low: int, high: int, what: str, accept_text: bool = True) -> int:
    """``value`` if it is a whole number from ``low`` to ``high``; ``what`` names it.

    With ``accept_text`` a string of digits counts as its number (``pulumi config set
    --path`` writes text); without it only a real integer does. Booleans never do.
    """
    if accept_text and _digits(value):
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise invalid(f"expected {what}, got {value!r}", f"{low}-{high}")
    return value


def Int(  # noqa: N802
    low: int, high: int, what: str, *, accept_text: bool = True, optional: bool = False
) -> Any:
    """A whole number from ``low`` to ``high`` (``what`` names it in errors); with
    ``optional``, ``null`` too (kept as ``None``)."""

    def check(value: Any) -> int | None:
        if optional and value is None:
            return None
        return check_int(value, low, high, what, accept_text)

    return field_type(f"integer {low}-{high}" + (", or null" if optional else ""), check)


def check_port(value: Any) -> int:
    """A TCP port number, 1-65535; a string of digits counts as its number."""
    if isinstance(value, bool) or not isinstance(value, int):
        if _digits(value):
            value = int(value.strip())
        else:
            raise invalid(f"expected a TCP port number, got {value!r}", "1-65535")
    if not 1 <= value <= 65535:
        raise invalid(f"port {value} is out of range", "1-65535")
    return value


Port = field_type("TCP port 1-65535", check_port)


def check_bool(value: Any, accept_text: bool = False) -> bool:
    """``true`` or ``false`` (and their text, with ``accept_text``)."""
    if accept_text and isinstance(value, str) and value.strip().lower() in ("true", "false"):
        value = value.strip().lower() == "true"
    if not isinstance(value, bool):
        raise invalid(f"expected true or false, got {value!r}", "true, false")
    return value


Bool = field_type("true or false", check_bool)
BoolOrText = field_type("true or false", lambda v: check_bool(v, accept_text=True))


def refuse_world_open(cidrs: Any, key: str, allowed: bool, what: str) -> None:
    """Raise for a CIDR of ``cidrs`` that opens ``what`` to the whole internet (the policy
    pack's rule, :func:`components.netrules.world_open`: public and wider than a /16, so
    ``0.0.0.0/0``, ``::/0`` and ``0.0.0.0/1``), unless ``allowed`` (the ``allowWorldOpen``
    setting: the user means it)."""
    if allowed:
        return
    for index, cidr in enumerate(cidrs or ()):
        if world_open(str(cidr)):
            raise invalid(
                f"{cidr} opens {what} to the whole internet",
                "your own network's CIDR (e.g. 203.0.113.0/24), or allowWorldOpen: true to mean it",
                f"{key}[{index}]",
            )


def check_choice(value: Any, choices: tuple[str, ...], what: str, sep: str = " or ") -> str:
    """One of ``choices``."""
    if value not in choices:
        raise invalid(f"unknown {what} {value!r}", sep.join(choices))
    return value


def Choice(choices: tuple[str, ...], what: str, sep: str = " or ") -> Any:  # noqa: N802
    """One of ``choices`` (``what`` names it in errors)."""
    return field_type(" or ".join(choices), lambda v: check_choice(v, choices, what, sep))


def check_ipv4_address(value: Any, valid: str | None) -> str:
    """An IPv4 address such as ``127.0.0.1``."""
    try:
        return str(ipaddress.IPv4Address(value))
    except (ValueError, TypeError):
        raise invalid(f"{value!r} is not an IPv4 address", valid) from None


def IPv4Address(valid: str | None = None) -> Any:  # noqa: N802
    """An IPv4 address; ``valid`` says which addresses make sense."""
    return field_type("IPv4 address", lambda v: check_ipv4_address(v, valid))


def check_ipv4_network(value: Any, example: str = "10.0.0.0/24") -> ipaddress.IPv4Network:
    """An IPv4 network in CIDR notation, without host bits (``10.0.0.0/24``, not ``/24``
    of ``10.0.0.5``). ``example`` is the CIDR the hints show for a malformed or IPv6 value.
    """
    if not isinstance(value, str):
        raise invalid(f"expected an IPv4 CIDR string, got {value!r}", "e.g. 10.0.0.0/24")
    try:
        net = ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        raise invalid(f"{value!r} is not an IPv4 CIDR", f"e.g. {example}") from None
    if net.version != 4:
        raise invalid(f"{value!r} is not IPv4", f"an IPv4 CIDR such as {example}")
    if str(net) != value.strip():
        raise invalid(f"{value!r} has host bits set", f"the network address {net}")
    return net  # type: ignore[return-value]


def Cidr(example: str = "10.0.0.0/24", max_prefix: int = 32, small: str = "") -> Any:  # noqa: N802
    """An IPv4 CIDR (kept as its text), of a prefix up to ``max_prefix``; ``small`` is the
    problem's wording when the network is smaller than that."""

    def check(value: Any) -> str:
        net = check_ipv4_network(value, example)
        if net.prefixlen > max_prefix:
            raise invalid(f"{net} is too small{small}", f"a prefix of /{max_prefix} or larger")
        return str(net)

    return field_type(
        "IPv4 CIDR" + (f", /{max_prefix} or larger" if max_prefix < 32 else ""), check
    )


def CidrList(example: str = "10.0.0.0/24", *, unique: bool = False) -> Any:  # noqa: N802
    """A list of IPv4 CIDRs (a single string counts as a list of one), normalised; with
    ``unique`` a CIDR listed twice is an error (each becomes a rule, and duplicates are
    refused by the clouds)."""

    def check(value: Any) -> tuple[str, ...]:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list | tuple):
            raise invalid(f"expected a list of CIDRs, got {value!r}")
        cidrs: list[str] = []
        for i, item in enumerate(value):
            try:
                cidr = str(check_ipv4_network(item, example))
            except PydanticCustomError as error:
                raise invalid(error.context["problem"], error.context["valid"], f"[{i}]") from None  # type: ignore[index]
            if unique and cidr in cidrs:
                raise invalid(f"{cidr} is listed twice", "each CIDR once", f"[{i}]")
            cidrs.append(cidr)
        return tuple(cidrs)

    return field_type("list of IPv4 CIDRs" + (", each once" if unique else ""), check)
