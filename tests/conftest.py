"""Shared fixtures: run the stack programs under Pulumi mocks; and the session-end check that no
process a test started is still running (see tests/processes.py)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from typing import Any

import pulumi
import pytest

from localcloud import k8s as local_k8s_cluster
from localcloud import openstack as localcloud_openstack
from tests.harness import Recording, run_program
from tests.processes import Tracker

LEFTOVER_GRACE_SECONDS = 10.0
"""How long processes that are already exiting get before they count as left behind."""

_tracker: Tracker | None = None


def pytest_sessionstart(session: pytest.Session) -> None:
    """Record what runs before the first test, and adopt every orphan of the session."""
    global _tracker
    _tracker = Tracker()


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the session when a process a test started outlives it, and end those processes.

    Runs after every fixture's teardown. Processes are told apart by PID and start time, never
    by name, so a local cloud someone started from a shell is never counted, and one started by
    a test is counted unless the test called ``processes.keep_running``.
    """
    if _tracker is None:
        return
    left = _tracker.wait_for_none(LEFTOVER_GRACE_SECONDS)
    if not left:
        return
    lines = [f"  pid {p.pid} (pgid {p.pgid}, sid {p.sid}): {p.cmdline()}" for p in left]
    message = "processes started by the tests are still running (now killed):\n" + "\n".join(lines)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_sep("=", "leftover processes", red=True)
        reporter.write_line(message)
    else:
        sys.stderr.write(message + "\n")
    Tracker.end(left)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture
def run_stack() -> Callable[..., Recording]:
    """Run the whole program as ``__main__.py`` would, for a stack name and its config."""

    def run(
        stack: str, config: dict[str, Any] | None = None, recording: Recording | None = None
    ) -> Recording:
        import stacks

        def program() -> None:
            cfg = pulumi.Config("cloudlab")
            stacks.dispatch(cfg.get("environment") or stack, cfg)

        return run_program(program, config or {}, recording=recording)

    return run


# The local clouds, for the tests that need them: started when needed (their progress
# uncaptured: a first start builds for minutes), stopped after if this session started them. A
# cloud that cannot be started is an error of every test that uses it, never a skip.


@pytest.fixture(scope="session")
def local_openstack(pytestconfig: pytest.Config) -> Iterator[None]:
    """Bring the local cloud up for the session (its progress uncaptured: a cold start takes
    minutes); take it down after if this session started it."""
    capture = pytestconfig.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        started = localcloud_openstack.ensure_up()
    try:
        yield
    finally:
        if started:
            localcloud_openstack.down()


@pytest.fixture(scope="session")
def local_k8s(pytestconfig: pytest.Config) -> Iterator[None]:
    """The local Kubernetes control plane for the session (built and started when needed, its
    progress uncaptured: a first build takes minutes); stopped after if this session started it."""
    capture = pytestconfig.pluginmanager.getplugin("capturemanager")
    try:
        with capture.global_and_fixture_disabled():
            started = local_k8s_cluster.ensure_up()
    except local_k8s_cluster.StartError as error:
        pytest.fail(f"the local Kubernetes control plane could not be started: {error}")
    try:
        yield
    finally:
        if started:
            local_k8s_cluster.down()
