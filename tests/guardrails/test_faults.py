"""Faults on the real twin: a stopped operand, a container deleted behind Pulumi's back, an
``up`` interrupted half-way. Shares the session's twin (tests/guardrails/conftest.py); every
test leaves it answering again."""

from __future__ import annotations

import signal
import subprocess
import time

import pytest

from tests.guardrails.twin import STACK, URL, Twin, container_name, post, wait_answer
from tests.processes import kill_session

pytestmark = [pytest.mark.engine, pytest.mark.docker]


def state_names(twin: Twin) -> set[str]:
    """Logical names of the containers the stack's state knows."""
    import json

    deployment = json.loads(twin.pulumi("stack", "export").stdout)["deployment"]
    return {
        r["urn"].rsplit("::", 1)[-1]
        for r in deployment.get("resources") or []
        if r["type"].endswith(":Container")
    }


def start_up_after_losing_router_sum_and_calculator(
    twin: Twin, **popen: object
) -> subprocess.Popen:
    """Delete three containers (the state forgets them at refresh) and start an ``up`` that
    will recreate them; return once Docker holds the new router, with the ``up`` running."""
    for role in ("router", "sum", "calculator"):
        twin.client.containers.get(container_name(role)).remove(force=True)
    twin.pulumi("refresh", "--yes", "--skip-preview")
    proc = subprocess.Popen(
        ["pulumi", "up", "--yes", "--skip-preview", "--non-interactive", "--stack", STACK],
        cwd=twin.project.workdir,
        env=twin.project.env,
        **popen,
    )
    deadline = time.monotonic() + 60
    router = f"^/{container_name('router')}$"
    while not twin.client.api.containers(all=True, filters={"name": router}):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail("the up ended, or never created the router, before the interruption")
        time.sleep(0.02)
    return proc


def test_stopped_operand_gives_a_502_naming_it_and_the_rest_still_works(twin: Twin) -> None:
    sub = twin.client.containers.get(container_name("sub"))
    sub.stop(timeout=5)
    try:
        status, body = post(URL, "5-6", timeout=15)
        assert status == 502
        assert body.startswith("sub service: ")  # the reason varies: refused or timed out
        assert twin.private_ips["sub"] not in body  # no internal address to the client
        # sum, mul and div are untouched.
        assert post(URL, "(5+6)*2/4") == (200, "result = 5.5\r\n")
    finally:
        sub.start()
    wait_answer(URL, "5-6", "result = -1\r\n")


def test_container_deleted_behind_pulumis_back_is_restored(twin: Twin) -> None:
    twin.client.containers.get(container_name("mul")).remove(force=True)
    status, body = post(URL, "5*6", timeout=15)
    assert status == 502 and "mul service" in body
    twin.pulumi("refresh", "--yes", "--skip-preview")
    assert "calc-mul" not in state_names(twin)
    res = twin.up()
    assert "1 created" in res.stdout
    wait_answer(URL, "5*6", "result = 30\r\n")
    assert "calc-mul" in state_names(twin)


BACK_END = ("router", "sum", "sub", "mul", "div")
"""The containers on the back-end network: they all wait for it when it is recreated."""


def test_up_interrupted_half_way_is_completed_by_the_next_up(twin: Twin) -> None:
    """Ctrl-C (SIGINT) while ``up`` recreates the back-end network and its five containers:
    the engine finishes the operation in flight (the network), records it and starts none of
    the containers, which wait for it; the next ``up`` creates only what is missing."""
    for role in BACK_END:
        twin.client.containers.get(container_name(role)).remove(force=True)
    network = f"calc-{STACK}-backend"
    twin.client.networks.get(network).remove()
    twin.pulumi("refresh", "--yes", "--skip-preview")
    assert not set(BACK_END) & {n.removeprefix("calc-") for n in state_names(twin)}
    proc = subprocess.Popen(
        ["pulumi", "up", "--yes", "--skip-preview", "--non-interactive", "--stack", STACK],
        cwd=twin.project.workdir,
        env=twin.project.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not twin.client.networks.list(names=[network]):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("the up ended, or never created the network, before the interruption")
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode != 0, out
    # Stopped half-way: the network is back, the containers waiting for it are not.
    assert not {f"calc-{role}" for role in BACK_END} & state_names(twin), out
    for role in BACK_END:
        name = f"^/{container_name(role)}$"
        assert not twin.client.api.containers(all=True, filters={"name": name}), role
    res = twin.up()
    assert "unchanged" in res.stdout and "created" in res.stdout
    wait_answer(URL, "(5+6)*2", "result = 22\r\n")
    assert {f"calc-{role}" for role in BACK_END} <= state_names(twin)


def test_up_killed_half_way_is_completed_by_the_next_up(twin: Twin) -> None:
    """SIGKILL to the whole ``pulumi up`` (CLI, language host, provider) once Docker holds a
    new container: nothing gets to tidy up. The next ``up`` adopts what the killed one
    created from the same inputs (see components/docker/spec.py ``adoptable``) and creates
    the rest."""

    proc = start_up_after_losing_router_sum_and_calculator(
        twin, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    # The CLI starts its plugins in process groups of their own (killpg of its group would
    # leave them orphaned): kill its whole session, which they stay in.
    try:
        killed = kill_session(proc.pid)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert len({p.pgid for p in killed}) > 1, "expected the plugins in groups of their own"
    res = twin.pulumi("up", "--yes", "--skip-preview", check=False)
    if res.returncode != 0 and "locked" in (res.stdout + res.stderr):
        # The killed update still holds the file backend's lock: release it, as a user would.
        twin.pulumi("cancel", "--yes")
        res = twin.up()
    assert res.returncode == 0, res.stdout + res.stderr
    wait_answer(URL, "(5+6)*2", "result = 22\r\n")
    assert {"calc-router", "calc-sum", "calc-calculator"} <= state_names(twin)
    router = f"^/{container_name('router')}$"
    assert len(twin.client.api.containers(all=True, filters={"name": router})) == 1
