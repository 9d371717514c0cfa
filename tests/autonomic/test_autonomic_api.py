"""Monitor, client and API executor against the fake Proxmox API on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from proxmoxer import ResourceException

from autonomic.client import Credentials
from autonomic.execute import (
    ApiExecutor,
    ExecutionError,
    RetryPolicy,
    TaskFailedError,
    TaskPollError,
    TaskTimeoutError,
    retry,
    transient,
    wait_task,
)
from autonomic.model import Action, Decision
from autonomic.monitor import monitor
from autonomic.settings import AutonomicSettings
from components.errors import ConfigError
from components.proxmox.settings import ProxmoxSettings
from tests.autonomic.fake_pve import FakeProxmox, Fault, GiB, MiB

PX1, PX2 = "srv-px1", "srv-px2"


def plan(*actions: Action) -> list[Decision]:
    return [Decision("test", "because", a) for a in actions]


@pytest.fixture
def executor(api: Any, settings: ProxmoxSettings, timing: AutonomicSettings, log: Any) -> Any:
    return ApiExecutor(api, settings, timing, log)


# --- client -------------------------------------------------------------------------------


def test_token_and_ticket_logins_both_work(
    fake: FakeProxmox, certificate: tuple[Path, Path], settings: ProxmoxSettings
) -> None:
    ca = str(certificate[0])
    token = {"PROXMOX_VE_ENDPOINT": fake.url, "PROXMOX_VE_API_TOKEN": fake.token}
    ticket = {
        "PROXMOX_VE_ENDPOINT": fake.url,
        "PROXMOX_VE_USERNAME": fake.user,
        "PROXMOX_VE_PASSWORD": fake.password,
    }
    for env in (token, ticket):
        api = Credentials.from_env(env, ca_file=ca).connect(timeout=5)
        assert [n.name for n in monitor(api, settings).nodes] == [PX1, PX2]
        # A write needs the CSRF token with a ticket: a stop goes through.
        fake.add_ct(4201, PX1)
        upid = api.nodes(PX1).lxc(4201).status.stop.post()
        assert upid.startswith(f"UPID:{PX1}:")


def test_a_wrong_token_is_refused(fake: FakeProxmox, certificate: tuple[Path, Path]) -> None:
    env = {"PROXMOX_VE_ENDPOINT": fake.url, "PROXMOX_VE_API_TOKEN": "root@pam!cloudlab=wrong"}
    api = Credentials.from_env(env, ca_file=str(certificate[0])).connect(timeout=5)
    with pytest.raises(ResourceException) as info:
        api.nodes.get()
    assert info.value.status_code == 401


def test_tls_is_verified_by_default(fake: FakeProxmox) -> None:
    import requests

    env = {"PROXMOX_VE_ENDPOINT": fake.url, "PROXMOX_VE_API_TOKEN": fake.token}
    api = Credentials.from_env(env).connect(timeout=5)
    with pytest.raises(requests.exceptions.SSLError):
        api.nodes.get()


@pytest.mark.parametrize(
    ("env", "key"),
    [
        ({}, "PROXMOX_VE_ENDPOINT"),
        ({"PROXMOX_VE_ENDPOINT": "http://pve:8006/"}, "PROXMOX_VE_ENDPOINT"),
        ({"PROXMOX_VE_ENDPOINT": "https://pve:8006/"}, "PROXMOX_VE_API_TOKEN"),
        (
            {"PROXMOX_VE_ENDPOINT": "https://pve:8006/", "PROXMOX_VE_API_TOKEN": "no-separator"},
            "PROXMOX_VE_API_TOKEN",
        ),
    ],
)
def test_bad_environments_name_the_variable(env: dict[str, str], key: str) -> None:
    with pytest.raises(ConfigError) as info:
        Credentials.from_env(env)
    assert info.value.key == key


def test_credentials_parse_and_never_show_the_secret() -> None:
    c = Credentials.from_env(
        {
            "PROXMOX_VE_ENDPOINT": "https://pve.example:8443/",
            "PROXMOX_VE_API_TOKEN": "u@pve!t=topsecret",
            "PROXMOX_VE_INSECURE": "true",
        }
    )
    assert (c.host, c.port, c.verify, c.token) == ("pve.example", 8443, False, "u@pve!t=topsecret")
    assert "topsecret" not in repr(c)
    assert Credentials.from_env({**_env(), "PROXMOX_VE_ENDPOINT": "https://h/"}).port == 8006


def _env() -> dict[str, str]:
    return {"PROXMOX_VE_ENDPOINT": "https://h:1/", "PROXMOX_VE_API_TOKEN": "u@pve!t=s"}


# --- monitor ------------------------------------------------------------------------------


def test_monitor_reads_memory_and_only_the_groups_containers(
    fake: FakeProxmox, api: Any, settings: ProxmoxSettings
) -> None:
    fake.add_ct(4201, PX1, mem_mib=512)
    fake.add_ct(4202, PX2, mem_mib=1024, running=False)
    fake.add_ct(4301, PX1)  # another group's
    fake.add_ct(42, PX2)  # not an XXYY id of ours either
    fake.cts[4201].load = 0.5
    s = monitor(api, settings, clock=lambda: 7.0)
    assert s.taken_at == 7.0
    assert s.node(PX1).mem_used == 1 * GiB + 256 * MiB + 512 * MiB
    assert s.node(PX1).mem_total == 16 * GiB
    assert s.node(PX2).mem_used == 1 * GiB + 512 * MiB
    assert [(c.vmid, c.node, c.status, c.mem, c.maxmem) for c in s.containers] == [
        (4201, PX1, "running", 256 * MiB, 512 * MiB),
        (4202, PX2, "stopped", 0, 1024 * MiB),
    ]
    assert ("GET", "nodes/srv-px1/lxc/4201/status/current") in fake.requests


def test_monitor_marks_an_offline_node(
    fake: FakeProxmox, api: Any, settings: ProxmoxSettings
) -> None:
    fake.nodes[PX2].online = False
    s = monitor(api, settings)
    assert s.node(PX2).online is False
    assert not any(path.startswith("nodes/srv-px2") for _, path in fake.requests)


# --- API executor -------------------------------------------------------------------------


def test_create_start_stop_migrate_delete_wait_for_their_tasks(
    fake: FakeProxmox, executor: ApiExecutor, log: Any
) -> None:
    executor.execute(plan(Action("create", 4203, PX1), Action("start", 4203, PX1)))
    ct = fake.cts[4203]
    assert (ct.node, ct.status, ct.hostname) == (PX1, "running", "ct-tpgei-virt-g07-ct03")
    assert ct.params["net0"] == "name=eth0,bridge=vmbr0,ip=dhcp"
    assert ct.params["rootfs"] == "local-lvm:4"
    assert ct.maxmem == 512 * MiB
    assert fake.used(PX1) == 1 * GiB + 512 * MiB
    executor.execute(
        plan(
            Action("stop", 4203, PX1),
            Action("migrate", 4203, PX1, PX2),
            Action("start", 4203, PX2),
        )
    )
    assert (ct.node, ct.status) == (PX2, "running")
    assert fake.used(PX1) == 1 * GiB
    executor.execute(plan(Action("stop", 4203, PX2), Action("delete", 4203, PX2)))
    assert fake.cts == {}
    done = log.of("executed")
    assert [r["action"] for r in done] == [
        "create",
        "start",
        "stop",
        "migrate",
        "start",
        "stop",
        "delete",
    ]
    assert all(r["upid"].startswith("UPID:") for r in done)
    # Each task was polled until it stopped (one "running" answer, then "stopped").
    polls = [p for m, p in fake.requests if m == "GET" and "/tasks/" in p]
    assert len(polls) == 2 * len(done)


def test_decisions_without_action_do_nothing(fake: FakeProxmox, executor: ApiExecutor) -> None:
    executor.execute([Decision("generator", "at the limit")])
    assert fake.submitted == []


def test_a_failing_task_is_reported_and_stops_the_plan(
    fake: FakeProxmox, api: Any, settings: ProxmoxSettings, timing: AutonomicSettings, log: Any
) -> None:
    fake.add_ct(4201, PX1)  # already running: starting it fails, for real
    ex = ApiExecutor(api, settings, AutonomicSettings(**{**vars(timing), "attempts": 1}), log)
    with pytest.raises(ExecutionError, match="CT already running") as info:
        ex.execute(plan(Action("start", 4201, PX1), Action("stop", 4201, PX1)))
    assert isinstance(info.value.__cause__, TaskFailedError)
    assert info.value.action == Action("start", 4201, PX1)
    assert fake.count("stop") == 0  # the rest of the plan did not run
    [failed] = log.of("failed")
    assert failed["vmid"] == 4201
    assert "CT already running" in failed["error"]


def test_a_failed_task_is_retried_and_succeeds(
    fake: FakeProxmox, executor: ApiExecutor, log: Any
) -> None:
    fake.add_ct(4201, PX1, running=False)
    fake.inject("start", Fault("task", "CT is locked (backup)"))
    executor.execute(plan(Action("start", 4201, PX1)))
    assert fake.cts[4201].status == "running"
    assert fake.count("start", 4201) == 2
    [again] = log.of("retry")
    assert again["attempt"] == 1
    assert "CT is locked" in again["error"]
    assert again["delay"] == pytest.approx(0.01)


def test_a_server_error_is_retried_with_backoff_until_the_attempts_run_out(
    fake: FakeProxmox, executor: ApiExecutor, log: Any
) -> None:
    fake.add_ct(4201, PX1)
    fake.inject("stop", Fault("http", "proxy loop", code=502), times=3)
    with pytest.raises(ExecutionError, match="502"):
        executor.execute(plan(Action("stop", 4201, PX1)))
    assert [r["delay"] for r in log.of("retry")] == [pytest.approx(0.01), pytest.approx(0.02)]
    assert fake.cts[4201].status == "running"
    fake.inject("stop", Fault("http", "proxy loop", code=502), times=2)
    executor.execute(plan(Action("stop", 4201, PX1)))  # third time lucky
    assert fake.cts[4201].status == "stopped"


def test_an_unreadable_task_status_is_read_again_and_the_action_not_resubmitted(
    fake: FakeProxmox, executor: ApiExecutor, log: Any
) -> None:
    """A 502 while polling: the task may still run, so only the poll is repeated."""
    fake.add_ct(4201, PX1)
    fake.inject("status", Fault("http", "proxy loop", code=502), times=2)
    executor.execute(plan(Action("stop", 4201, PX1)))
    assert fake.cts[4201].status == "stopped"
    assert fake.count("stop") == 1
    assert log.of("retry") == []  # the action itself was not retried


def test_a_task_status_that_stays_unreadable_fails_without_resubmitting(
    fake: FakeProxmox, executor: ApiExecutor
) -> None:
    fake.add_ct(4201, PX1)
    fake.inject("status", Fault("http", "proxy loop", code=502), times=10)
    with pytest.raises(ExecutionError, match="cannot read its status") as info:
        executor.execute(plan(Action("stop", 4201, PX1)))
    assert isinstance(info.value.__cause__, TaskPollError)
    assert fake.count("stop") == 1


def test_a_client_error_is_not_retried(fake: FakeProxmox, executor: ApiExecutor, log: Any) -> None:
    fake.add_ct(4201, PX1, running=False)
    with pytest.raises(ExecutionError, match="no such node"):
        executor.execute(plan(Action("migrate", 4201, PX1, "srv-px9")))
    assert log.of("retry") == []


def test_a_task_that_never_ends_times_out_and_is_not_repeated(
    fake: FakeProxmox, api: Any, settings: ProxmoxSettings, timing: AutonomicSettings, log: Any
) -> None:
    fake.add_ct(4201, PX1)
    fake.inject("stop", Fault("hang"))
    quick = AutonomicSettings(**{**vars(timing), "task_timeout": 0.2, "poll_interval": 0.05})
    with pytest.raises(ExecutionError, match=r"still running after 0\.2s") as info:
        ApiExecutor(api, settings, quick, log).execute(plan(Action("stop", 4201, PX1)))
    assert isinstance(info.value.__cause__, TaskTimeoutError)
    assert fake.count("stop") == 1
    polls = [p for m, p in fake.requests if "/tasks/" in p]
    assert 3 <= len(polls) <= 7  # every 0.05 s for 0.2 s: polled, not spun


# --- retry and wait_task, on their own ----------------------------------------------------


def test_retry_backs_off_exponentially_and_reraises_the_last_error() -> None:
    calls: list[int] = []
    slept: list[float] = []

    def flaky() -> str:
        calls.append(1)
        raise TaskFailedError("UPID:x", f"failure {len(calls)}")

    with pytest.raises(TaskFailedError, match="failure 4"):
        retry(flaky, RetryPolicy(attempts=4, backoff=0.5, max_backoff=1.5), sleep=slept.append)
    assert slept == [0.5, 1.0, 1.5]


def test_retry_gives_up_at_once_on_a_permanent_error() -> None:
    slept: list[float] = []
    with pytest.raises(TaskTimeoutError):
        retry(
            lambda: (_ for _ in ()).throw(TaskTimeoutError("t")), RetryPolicy(), sleep=slept.append
        )
    assert slept == []


def test_which_errors_are_transient() -> None:
    import requests

    assert transient(ResourceException(500, "Internal", "boom"))
    assert not transient(ResourceException(403, "Forbidden", "no"))
    assert transient(requests.ConnectionError())
    assert transient(TaskFailedError("u", "x"))
    assert not transient(TaskTimeoutError("t"))
    assert not transient(TaskPollError("u"))
    assert not transient(ValueError())


class _Forever:
    """An API whose task never stops, on a fake clock that sleeping advances."""

    def __init__(self) -> None:
        self.now = 0.0
        self.polls = 0

    def nodes(self, _node: str) -> Any:
        return self

    def tasks(self, _upid: str) -> Any:
        return self

    @property
    def status(self) -> Any:
        return self

    def get(self) -> dict[str, str]:
        self.polls += 1
        return {"status": "running"}

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_wait_task_sleeps_between_polls_and_gives_up_at_the_deadline() -> None:
    api = _Forever()
    with pytest.raises(TaskTimeoutError):
        wait_task(
            api, PX1, "UPID:x", timeout=10, poll_interval=3, sleep=api.sleep, clock=lambda: api.now
        )
    assert api.now == 10  # 3 + 3 + 3 + 1: never past the deadline
    assert api.polls == 5
