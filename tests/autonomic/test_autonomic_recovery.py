"""The autonomic manager recovers without doing anything twice, against the Proxmox API on
127.0.0.1 (tests/autonomic/fake_pve.py over TLS): a submission whose answer is lost is looked
for before it is sent again; a failed monitor read does not end the loop; a failed ``pulumi
up`` of the declarative executor puts the placement config back."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from autonomic.client import Credentials
from autonomic.execute import (
    ApiExecutor,
    DeclarativeExecutor,
    ExecutionError,
    SubmissionUnknownError,
)
from autonomic.loop import Manager
from autonomic.model import Action, Decision
from autonomic.monitor import monitor
from autonomic.settings import AutonomicSettings
from components.proxmox.settings import ProxmoxSettings
from tests.autonomic.fake_pve import FakeProxmox, Fault
from tests.autonomic.fake_stack import FakeStack

PX1, PX2 = "srv-px1", "srv-px2"


def plan(*actions: Action) -> list[Decision]:
    return [Decision("test", "because", a) for a in actions]


@pytest.fixture
def executor(api: Any, settings: ProxmoxSettings, timing: AutonomicSettings, log: Any) -> Any:
    return ApiExecutor(api, settings, timing, log)


def test_a_create_whose_answer_is_lost_is_not_sent_twice(
    fake: FakeProxmox, executor: ApiExecutor, log: Any
) -> None:
    fake.inject("create", Fault("lost", "gateway timeout", code=504))
    executor.execute(plan(Action("create", 4201, PX1)))
    assert fake.count("create", 4201) == 1  # one POST accepted: no second create
    assert 4201 in fake.cts
    [seen] = log.of("accepted-despite-error")
    assert seen["upid"].startswith(f"UPID:{PX1}:") and "504" in seen["error"]
    assert log.of("retry") == []
    assert log.of("executed")[0]["upid"] == seen["upid"]


def test_a_migrate_whose_answer_is_lost_is_not_sent_twice(
    fake: FakeProxmox, executor: ApiExecutor, log: Any
) -> None:
    fake.add_ct(4201, PX1, running=False)
    fake.inject("migrate", Fault("lost", "gateway timeout", code=504))
    executor.execute(plan(Action("migrate", 4201, PX1, PX2)))
    assert fake.count("migrate", 4201) == 1
    assert fake.cts[4201].node == PX2


def test_a_submission_refused_for_real_is_sent_again(
    fake: FakeProxmox, executor: ApiExecutor, log: Any
) -> None:
    """A 502 that the server did not act on (no new task): the look finds nothing, the
    action is retried, and runs once."""
    fake.add_ct(4201, PX1)
    fake.inject("stop", Fault("http", "proxy loop", code=502))
    executor.execute(plan(Action("stop", 4201, PX1)))
    assert fake.count("stop", 4201) == 1
    assert fake.cts[4201].status == "stopped"
    assert len(log.of("retry")) == 1


def test_when_it_cannot_look_it_does_not_send_again(
    fake: FakeProxmox, executor: ApiExecutor
) -> None:
    fake.inject("create", Fault("lost", "gateway timeout", code=504))
    fake.inject("tasks", Fault("ok"))  # the list before the POST is read
    fake.inject("tasks", Fault("http", "proxy loop", code=502))  # the look after it is not
    with pytest.raises(ExecutionError, match="not submitted again") as info:
        executor.execute(plan(Action("create", 4201, PX1)))
    assert isinstance(info.value.__cause__, SubmissionUnknownError)
    assert fake.count("create", 4201) == 1


def test_the_loop_survives_a_failed_monitor_read(
    fake: FakeProxmox,
    api: Any,
    env: dict[str, str],
    certificate: Any,
    settings: ProxmoxSettings,
    timing: AutonomicSettings,
    log: Any,
) -> None:
    """The first read is refused (a wrong token: 401); the loop logs it, waits, and the next
    rounds create the group's containers."""
    wrong = Credentials.from_env(
        {**env, "PROXMOX_VE_API_TOKEN": env["PROXMOX_VE_API_TOKEN"] + "x"},
        ca_file=str(certificate[0]),
    ).connect(timeout=5)
    clients = iter([wrong])

    def observe() -> Any:
        return monitor(next(clients, api), settings)

    manager = Manager(
        observe=observe,
        executor=ApiExecutor(api, settings, timing, log),
        settings=settings,
        thresholds=timing,
        log=log,
        out=io.StringIO(),
    )
    assert manager.run(iterations=3) == 3
    [failed] = log.of("monitor-failed")
    assert "401" in failed["error"]
    assert len(log.of("snapshot")) == 2
    assert fake.cts, "the rounds after the failed read did nothing"


def test_a_failed_up_puts_the_placement_back(settings: ProxmoxSettings, log: Any) -> None:
    proxmox = {"group": "g07", "baseId": 42, "placement": {"ct01": PX1, "ct02": PX1}}
    stack = FakeStack(json.loads(json.dumps(proxmox)), up_error=RuntimeError("provider crashed"))
    executor = DeclarativeExecutor(stack, settings, log)
    with pytest.raises(ExecutionError, match="pulumi up failed: provider crashed"):
        executor.execute(plan(Action("migrate", 4202, PX1, PX2), Action("create", 4203, PX2)))
    assert stack.config["cloudlab:proxmox"] == proxmox  # as before the plan
    [rolled] = log.of("rolled-back")
    assert rolled["changes"] >= 2
