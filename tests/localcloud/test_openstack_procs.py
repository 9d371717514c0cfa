"""The local cloud's process helpers, on real processes: listening sockets as /proc shows them,
and the loopback-only refusal of `up` (no local cloud needed)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from localcloud.openstack import lifecycle, procs
from localcloud.openstack.layout import Layout

LISTEN = (
    "import socket, sys, time\n"
    "s = socket.socket(socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET)\n"
    "s.bind((sys.argv[1], 0)); s.listen(); print(s.getsockname()[1], flush=True); time.sleep(60)\n"
)


@pytest.fixture
def listening() -> Iterator:
    started: list[subprocess.Popen] = []

    def start(address: str) -> tuple[int, int]:
        child = subprocess.Popen(
            [sys.executable, "-c", LISTEN, address], stdout=subprocess.PIPE, text=True
        )
        started.append(child)
        return child.pid, int(child.stdout.readline())

    yield start
    for child in started:
        child.kill()
        child.wait()


@pytest.mark.parametrize(
    ("address", "loopback"), [("127.0.0.1", True), ("0.0.0.0", False), ("::1", True), ("::", False)]
)
def test_listeners_finds_the_socket_and_its_address(
    listening, address: str, loopback: bool
) -> None:
    pid, port = listening(address)
    [sock] = procs.listeners([pid])
    assert (sock.pid, sock.address, sock.port, sock.loopback) == (pid, address, port, loopback)


def test_a_process_without_sockets_has_no_listeners() -> None:
    child = subprocess.Popen(["sleep", "30"])
    try:
        time.sleep(0.1)
        assert procs.listeners([child.pid]) == []
    finally:
        child.kill()
        child.wait()


def test_up_refuses_a_process_that_listens_beyond_loopback(
    tmp_path: Path, listening, monkeypatch: pytest.MonkeyPatch
) -> None:
    layout = Layout(state=tmp_path / "state", cache=tmp_path / "cache")
    pid, port = listening("0.0.0.0")
    fake = procs.Proc("mariadb", ["python3"], marker="LISTEN")
    monkeypatch.setattr(lifecycle, "processes", lambda _layout: {"mariadb": fake})
    monkeypatch.setattr(procs, "running_pid", lambda _layout, _proc: pid)
    monkeypatch.setattr(procs, "group_pids", lambda pgid: [pgid])
    with pytest.raises(RuntimeError, match=rf"mariadb \(pid {pid}\) on 0\.0\.0\.0:{port}"):
        lifecycle.require_loopback_only(layout)


def test_a_new_state_is_stamped_and_an_old_one_refused(tmp_path: Path) -> None:
    new = Layout(state=tmp_path / "new", cache=tmp_path / "cache")
    lifecycle.require_state_format(new)
    assert (new.state / "format").read_text().strip() == lifecycle.STATE_FORMAT
    lifecycle.require_state_format(new)  # the same format again: accepted

    old = Layout(state=tmp_path / "old", cache=tmp_path / "cache")
    (old.state / "done").mkdir(parents=True)  # a state made before the data plane
    with pytest.raises(RuntimeError, match=r"has format 1, this code needs 2 .*rm -rf"):
        lifecycle.require_state_format(old)
    assert not (old.state / "format").exists()
