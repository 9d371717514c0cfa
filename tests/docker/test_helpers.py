"""Pure helpers of the providers: context hash, argv composition, validation, diff decisions,
and pickling for Pulumi's dynamic-provider serialization (no engine)."""

from __future__ import annotations

import base64
import os

import dill
import pytest
from pulumi.dynamic.dynamic import serialize_provider

from components.dynamic.base import input_hashes
from components.dynamic.docker import (
    ContainerArgs,
    ContainerProvider,
    ForwardRule,
    LocalImageArgs,
    LocalImageProvider,
    NetworkArgs,
    NetworkAttachment,
    NetworkProvider,
    PortBinding,
    Route,
    context_hash,
)
from components.dynamic.docker.container import compose_argv, routing_env, validate


def _ctx(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "main.py").write_text("print('hi')\n")
    return tmp_path


def test_context_hash_is_stable_and_sees_content_names_and_modes(tmp_path):
    ctx = _ctx(tmp_path)
    h0 = context_hash(ctx)
    assert h0 == context_hash(str(ctx)) and len(h0) == 64
    (ctx / "app" / "main.py").write_text("print('ho')\n")
    h1 = context_hash(ctx)
    assert h1 != h0
    (ctx / "app" / "main.py").rename(ctx / "app" / "other.py")
    h2 = context_hash(ctx)
    assert h2 not in (h0, h1)
    os.chmod(ctx / "app" / "other.py", 0o755)
    assert context_hash(ctx) != h2


def test_context_hash_skips_caches(tmp_path):
    ctx = _ctx(tmp_path)
    h0 = context_hash(ctx)
    (ctx / "app" / "__pycache__").mkdir()
    (ctx / "app" / "__pycache__" / "main.cpython-311.pyc").write_bytes(b"\0")
    (ctx / "x.pyc").write_bytes(b"\0")
    assert context_hash(ctx) == h0


def test_context_hash_missing_dir(tmp_path):
    with pytest.raises(FileNotFoundError):
        context_hash(tmp_path / "nope")


def test_compose_argv_follows_docker_rules():
    assert compose_argv(None, None, ["/init"], ["serve"]) == ["/init", "serve"]
    assert compose_argv(None, ["run"], ["/init"], ["serve"]) == ["/init", "run"]
    assert compose_argv(["/bin/x"], None, ["/init"], ["serve"]) == ["/bin/x"]  # drops image cmd
    assert compose_argv(["/bin/x"], ["-v"], None, None) == ["/bin/x", "-v"]
    assert compose_argv(None, None, None, None) == []


def test_routing_env_and_validation():
    props = ContainerArgs(
        name="r", image="i", stack="s", cap_add=["NET_ADMIN"],
        routes=[Route("192.168.18.0/24", "192.168.210.1")],
        forward=[ForwardRule("192.168.210.0/24", "192.168.18.0/24")],
        masquerade=["192.168.18.0/24"],
    ).to_props()  # fmt: skip
    assert routing_env(props) == {
        "CLOUDLAB_ROUTES": "192.168.18.0/24=192.168.210.1",
        "CLOUDLAB_FORWARD": "192.168.210.0/24>192.168.18.0/24",
        "CLOUDLAB_MASQUERADE": "192.168.18.0/24",
    }
    assert validate(props) == []
    assert routing_env(ContainerArgs(name="o", image="i", stack="s").to_props()) == {}

    no_cap = dict(props, cap_add=[])
    assert {p for p, _ in validate(no_cap)} == {"routes", "forward", "masquerade"}
    bad = dict(props, cap_add=["NET_ADMIN", "SYS_ADMIN"], restart_policy="sometimes")
    assert {p for p, _ in validate(bad)} == {"cap_add", "restart_policy"}


def _container(**kw):
    base = dict(
        name="c", image="img", stack="s", env={"K": "v"},
        networks=[NetworkAttachment("back", "192.168.18.11")],
        ports=[PortBinding(50005, 50005)],
    )  # fmt: skip
    base.update(kw)
    return ContainerArgs(**base).to_props()


def _olds(provider_module, props, **extra):
    return {"input_hashes": input_hashes(props, provider_module.INPUT_KEYS), **extra}


def test_container_diff_replaces_on_every_spec_change():
    from components.dynamic.docker import container as m

    p = ContainerProvider()
    old = _container()
    olds = _olds(m, old, status="running")
    assert p.diff("id", olds, old).changes is False
    for change in (
        {"env": {"K": "w"}},
        {"image": "img2"},
        {"networks": [NetworkAttachment("back", "192.168.18.12")]},
        {"ports": []},
        {"command": ["x"]},
        {"routes": [Route("10.0.0.0/8", "192.168.18.1")]},
    ):
        d = p.diff("id", olds, _container(**change))
        assert d.changes and d.replaces == list(change) and d.delete_before_replace, change


def test_container_diff_updates_timeout_and_repairs_a_stopped_container():
    from components.dynamic.docker import container as m

    p = ContainerProvider()
    old = _container()
    d = p.diff("id", _olds(m, old, status="running"), _container(start_timeout=5.0))
    assert d.changes and not d.replaces and not d.delete_before_replace
    d = p.diff("id", _olds(m, old, status="exited"), old)
    assert d.changes and not d.replaces


def test_network_diff_replaces_first():
    from components.dynamic.docker import network as m

    args = NetworkArgs(name="n", subnet="192.168.18.0/24", gateway="192.168.18.254", stack="s")
    old = args.to_props()
    p = NetworkProvider()
    assert p.diff("id", _olds(m, old), old).changes is False
    d = p.diff("id", _olds(m, old), dict(old, internal=True))
    assert d.replaces == ["internal"] and d.delete_before_replace


def test_image_diff_rebuilds_in_place_unless_renamed():
    from components.dynamic.docker import image as m

    old = LocalImageArgs(name="cl/x", context="/c", context_hash="a", stack="s").to_props()
    p = LocalImageProvider()
    assert p.diff("id", _olds(m, old), old).changes is False
    d = p.diff("id", _olds(m, old), dict(old, context_hash="b"))
    assert d.changes and not d.replaces
    d = p.diff("id", _olds(m, old), dict(old, tag="v2"))
    assert d.replaces == ["tag"] and not d.delete_before_replace


@pytest.mark.parametrize("provider", [ContainerProvider(), NetworkProvider(), LocalImageProvider()])
def test_providers_pickle_for_pulumi(provider):
    blob = serialize_provider(provider)  # what pulumi.dynamic.Resource stores in the state
    again = dill.loads(base64.b64decode(blob))
    assert type(again) is type(provider)
    assert b"DockerClient" not in base64.b64decode(blob)
