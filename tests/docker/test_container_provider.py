"""ContainerProvider against the real engine: create/read/diff/update/delete, vanished
containers, failures reported with logs, secrets kept out of outputs."""

from __future__ import annotations

import docker.errors
import pytest

from components.dynamic.docker import (
    STACK_LABEL,
    ContainerArgs,
    ContainerProvider,
    NetworkArgs,
    NetworkAttachment,
    NetworkProvider,
    PortBinding,
)

pytestmark = pytest.mark.docker


@pytest.fixture
def net(stack, free_subnets):
    subnet = free_subnets()
    args = NetworkArgs(name=f"{stack}-n", subnet=str(subnet), gateway=str(subnet[254]),
                       stack=stack)  # fmt: skip
    NetworkProvider().create(args.to_props())
    return args.name, subnet


def test_container_lifecycle(engine, stack, net, base_image, helpers):
    name, subnet = net
    port = helpers.free_port()
    ip = str(subnet[10])
    args = ContainerArgs(
        name=f"{stack}-web", image=base_image, stack=stack,
        command=["python3", "-m", "http.server", "8080"],
        env={"API_TOKEN": "s3cret-value"},
        networks=[NetworkAttachment(name, ip)],
        ports=[PortBinding(container_port=8080, host_port=port)],
        labels={"role": "web"},
    )  # fmt: skip
    p = ContainerProvider()
    created = p.create(args.to_props())
    outs = created.outs
    assert outs["status"] == "running" and outs["ip_addresses"] == {name: ip}
    assert "s3cret-value" not in repr(outs) and "env" not in outs

    c = engine.containers.get(created.id)
    assert c.labels[STACK_LABEL] == stack and c.labels["role"] == "web"
    assert c.attrs["HostConfig"]["PortBindings"] == {
        "8080/tcp": [{"HostIp": "127.0.0.1", "HostPort": str(port)}]
    }
    assert c.attrs["HostConfig"]["RestartPolicy"]["Name"] == "unless-stopped"
    assert helpers.sh("curl", "-s", "-m", "5", "-o", "/dev/null", "-w", "%{http_code}",
                      f"http://127.0.0.1:{port}/").stdout == "200"  # fmt: skip

    read = p.read(created.id, outs)
    assert read.id == created.id and read.outs["status"] == "running"
    assert p.diff(created.id, read.outs, args.to_props()).changes is False
    d = p.diff(created.id, read.outs, dict(args.to_props(), env={"API_TOKEN": "other"}))
    assert d.replaces == ["env"] and d.delete_before_replace

    # stopped behind Pulumi's back: refresh sees it, diff asks for an update, update starts it
    c.stop(timeout=2)
    stopped = p.read(created.id, read.outs)
    assert stopped.outs["status"] == "exited"
    d = p.diff(created.id, stopped.outs, args.to_props())
    assert d.changes and not d.replaces
    assert p.update(created.id, stopped.outs, args.to_props()).outs["status"] == "running"

    p.delete(created.id, outs)
    with pytest.raises(docker.errors.NotFound):
        engine.containers.get(created.id)
    p.delete(created.id, outs)  # idempotent


def test_read_of_a_vanished_container_drops_it(engine, stack, base_image):
    p = ContainerProvider()
    args = ContainerArgs(name=f"{stack}-gone", image=base_image, stack=stack,
                         command=["sleep", "infinity"])  # fmt: skip
    created = p.create(args.to_props())
    engine.containers.get(created.id).remove(force=True)
    assert p.read(created.id, created.outs).id == ""  # `pulumi refresh` forgets it
    p.delete(created.id, created.outs)
    again = p.create(args.to_props())  # so the next `up` recreates it under the same name
    assert again.outs["status"] == "running"


def test_failed_start_reports_logs_and_leaves_nothing(engine, stack, base_image):
    name = f"{stack}-crash"
    args = ContainerArgs(
        name=name, image=base_image, stack=stack, restart_policy="no", start_timeout=10,
        command=["sh", "-c", "echo crash-marker-42 >&2; exit 3"],
    )  # fmt: skip
    with pytest.raises(RuntimeError, match=r"(?s)exit=3.*crash-marker-42"):
        ContainerProvider().create(args.to_props())
    assert engine.containers.list(all=True, filters={"name": f"^/{name}$"}) == []


def test_crash_loop_with_restart_policy_is_a_failure(stack, base_image):
    args = ContainerArgs(name=f"{stack}-loop", image=base_image, stack=stack, start_timeout=6,
                         command=["sh", "-c", "echo looping; sleep 0.3; exit 1"])  # fmt: skip
    with pytest.raises(RuntimeError, match="looping"):
        ContainerProvider().create(args.to_props())


def test_check_rejects_routes_without_net_admin(base_image):
    from components.dynamic.docker import Route

    args = ContainerArgs(name="x", image=base_image, stack="s",
                         routes=[Route("192.168.18.0/24", "192.168.210.1")])  # fmt: skip
    result = ContainerProvider().check({}, args.to_props())
    assert [f.property for f in result.failures] == ["routes"]
    with pytest.raises(ValueError, match="NET_ADMIN"):
        ContainerProvider().create(args.to_props())


def test_existing_name_is_an_error(stack, base_image):
    args = ContainerArgs(name=f"{stack}-dup", image=base_image, stack=stack,
                         command=["sleep", "infinity"])  # fmt: skip
    ContainerProvider().create(args.to_props())
    other = ContainerArgs(name=f"{stack}-dup", image=base_image, stack=stack,
                          command=["sleep", "30"])  # fmt: skip
    with pytest.raises(RuntimeError, match="already exists"):
        ContainerProvider().create(other.to_props())


def test_create_adopts_what_an_interrupted_update_left(engine, stack, net, base_image):
    """An `up` killed after Docker created the container but before the engine recorded it:
    the next create with the same inputs takes that container over; other inputs do not."""
    name, subnet = net
    args = ContainerArgs(
        name=f"{stack}-orphan", image=base_image, stack=stack, command=["sleep", "infinity"],
        networks=[NetworkAttachment(name, str(subnet[12]))],
    )  # fmt: skip
    p = ContainerProvider()
    first = p.create(args.to_props())
    engine.containers.get(first.id).stop(timeout=1)  # as a reboot or a kill might leave it
    again = p.create(args.to_props())
    assert again.id == first.id
    assert again.outs["status"] == "running"
    changed = ContainerArgs(
        name=f"{stack}-orphan", image=base_image, stack=stack, command=["sleep", "60"],
        networks=[NetworkAttachment(name, str(subnet[12]))],
    )  # fmt: skip
    with pytest.raises(RuntimeError, match="already exists and is not this one"):
        p.create(changed.to_props())
    other_stack = ContainerArgs(
        name=f"{stack}-orphan", image=base_image, stack=f"{stack}-other",
        command=["sleep", "infinity"], networks=[NetworkAttachment(name, str(subnet[12]))],
    )  # fmt: skip
    with pytest.raises(RuntimeError, match="already exists and is not this one"):
        p.create(other_stack.to_props())


class Killed(BaseException):
    """What a SIGKILL does to the provider: nothing after it runs, no ``except`` tidies up."""


def test_create_killed_before_its_second_network_is_made_afresh(
    engine, stack, net, base_image, free_subnets, monkeypatch
):
    """An `up` killed between Docker's create and the attach of the container's second network
    leaves a container that was never started and is on one network only: adopting it would
    give a router with one leg. The next create makes it afresh, on both networks."""
    first_net, subnet = net
    other = free_subnets()
    second = NetworkArgs(name=f"{stack}-n2", subnet=str(other), gateway=str(other[254]),
                         stack=stack)  # fmt: skip
    NetworkProvider().create(second.to_props())
    args = ContainerArgs(
        name=f"{stack}-twolegs", image=base_image, stack=stack, command=["sleep", "infinity"],
        networks=[NetworkAttachment(first_net, str(subnet[13])),
                  NetworkAttachment(second.name, str(other[13]))],
    )  # fmt: skip
    import docker.api.client

    def killed(*_args, **_kwargs):
        raise Killed

    with monkeypatch.context() as patch:
        patch.setattr(docker.api.client.APIClient, "connect_container_to_network", killed)
        with pytest.raises(Killed):
            ContainerProvider().create(args.to_props())
    left = engine.containers.get(args.name)
    assert left.status == "created"
    assert set(left.attrs["NetworkSettings"]["Networks"]) == {first_net}

    made = ContainerProvider().create(args.to_props())
    assert made.id != left.id
    assert made.outs["status"] == "running"
    assert made.outs["ip_addresses"] == {first_net: str(subnet[13]), second.name: str(other[13])}
    with pytest.raises(docker.errors.NotFound):
        engine.containers.get(left.id)


def test_network_create_adopts_only_its_own(engine, stack, free_subnets):
    subnet = free_subnets()
    args = NetworkArgs(name=f"{stack}-adopt", subnet=str(subnet), gateway=str(subnet[254]),
                       stack=stack)  # fmt: skip
    p = NetworkProvider()
    first = p.create(args.to_props())
    assert p.create(args.to_props()).id == first.id
    other = NetworkArgs(name=f"{stack}-adopt", subnet=str(subnet), gateway=str(subnet[253]),
                        stack=stack)  # fmt: skip
    with pytest.raises(RuntimeError, match="already exists and is not this one"):
        p.create(other.to_props())
