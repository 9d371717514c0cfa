"""Execute: two executors behind one interface.

:class:`ApiExecutor` acts through the Proxmox API and waits for each task; every request and
every task is retried on transient failures with exponential backoff, and what still fails is
logged and raised. :class:`DeclarativeExecutor` turns the same actions into a new placement
in the Proxmox stack's config and runs ``pulumi up`` through the Automation API.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

import requests
from proxmoxer import ResourceException

from autonomic.log import DecisionLog
from autonomic.model import Action, Decision, actions_of
from autonomic.settings import AutonomicSettings
from components.proxmox.settings import ProxmoxSettings, slot_key

T = TypeVar("T")


class Executor(Protocol):
    """Carries out a plan, in order, or raises :class:`ExecutionError`."""

    def execute(self, decisions: Sequence[Decision]) -> None:
        """Perform every action of ``decisions``."""


class ExecutionError(RuntimeError):
    """An action failed for good (after its retries); the rest of the plan was not run."""

    def __init__(self, action: Action | None, message: str) -> None:
        self.action = action
        super().__init__(f"{action}: {message}" if action else message)


class TaskFailedError(RuntimeError):
    """A Proxmox task ended with an exit status other than ``OK``."""

    def __init__(self, upid: str, exitstatus: str) -> None:
        self.upid = upid
        self.exitstatus = exitstatus
        super().__init__(f"task {upid} failed: {exitstatus}")


class TaskTimeoutError(RuntimeError):
    """A Proxmox task was still running at its deadline."""


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries with exponential backoff."""

    attempts: int = 3
    backoff: float = 2.0
    factor: float = 2.0
    max_backoff: float = 60.0

    def delays(self) -> list[float]:
        """Pauses between the attempts (one fewer than the attempts)."""
        return [
            min(self.backoff * self.factor**i, self.max_backoff) for i in range(self.attempts - 1)
        ]


class SubmissionUnknownError(RuntimeError):
    """A submission got no usable answer and the task list could not be read to see whether
    it was accepted: submitting again could run the operation twice, so it is not."""


class TaskPollError(RuntimeError):
    """A task's status could not be read, even after retries: it may still run (or be done),
    so the action is never submitted again."""


def _unreachable(error: BaseException) -> bool:
    """A network error or a server-side (5xx) answer: worth reading the status again."""
    if isinstance(error, ResourceException):
        return error.status_code >= 500
    return isinstance(error, requests.ConnectionError | requests.Timeout)


def transient(error: BaseException) -> bool:
    """Errors worth another try: server-side API errors, network errors, failed tasks.

    Client errors (4xx: bad request, auth, not found), task timeouts and unreadable task
    statuses are not: repeating them would fail the same way, or run the operation twice. A
    failed task ended without doing its work, so submitting it again is safe.
    """
    return _unreachable(error) or isinstance(error, TaskFailedError)


def retry(
    fn: Callable[[], T],
    policy: RetryPolicy,
    *,
    sleep: Callable[[float], None] = time.sleep,
    retriable: Callable[[BaseException], bool] = transient,
    on_retry: Callable[[int, BaseException, float], None] | None = None,
) -> T:
    """Call ``fn`` until it succeeds, at most ``policy.attempts`` times; re-raise the last
    error, or at once an error that is not ``retriable``."""
    delays = policy.delays()
    for attempt in range(1, policy.attempts + 1):
        try:
            return fn()
        except Exception as error:
            if attempt == policy.attempts or not retriable(error):
                raise
            delay = delays[attempt - 1]
            if on_retry is not None:
                on_retry(attempt, error, delay)
            sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


def wait_task(
    api: Any,
    node: str,
    upid: str,
    *,
    timeout: float,
    poll_interval: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    poll_policy: RetryPolicy | None = None,
) -> dict[str, Any]:
    """Poll ``/nodes/{node}/tasks/{upid}/status`` every ``poll_interval`` until the task stops.

    Returns the final status, raises :class:`TaskFailedError` if its exit status is not ``OK``,
    :class:`TaskTimeoutError` if it still runs after ``timeout`` seconds, and
    :class:`TaskPollError` if a status cannot be read even after ``poll_policy``'s retries.
    """
    deadline = clock() + timeout
    policy = poll_policy or RetryPolicy()

    def read_status() -> dict[str, Any]:
        return api.nodes(node).tasks(upid).status.get()

    while True:
        try:
            status = retry(read_status, policy, sleep=sleep, retriable=_unreachable)
        except Exception as error:
            raise TaskPollError(f"task {upid}: cannot read its status ({error})") from error
        if status.get("status") == "stopped":
            if status.get("exitstatus") != "OK":
                raise TaskFailedError(upid, str(status.get("exitstatus")))
            return status
        remaining = deadline - clock()
        if remaining <= 0:
            raise TaskTimeoutError(f"task {upid} still running after {timeout:g}s")
        sleep(min(poll_interval, remaining))


class ApiExecutor:
    """Acts through the Proxmox API (proxmoxer), one task at a time, waiting for each."""

    def __init__(
        self,
        api: Any,
        settings: ProxmoxSettings,
        timing: AutonomicSettings,
        log: DecisionLog,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.api = api
        self.settings = settings
        self.timing = timing
        self.log = log
        self.sleep = sleep
        self.clock = clock
        self.policy = RetryPolicy(attempts=timing.attempts, backoff=timing.backoff)

    def execute(self, decisions: Sequence[Decision]) -> None:
        """Run each action; log each outcome; stop at the first failure and raise it."""
        for action in actions_of(decisions):
            started = self.clock()
            try:
                upid = retry(
                    lambda action=action: self._run(action),
                    self.policy,
                    sleep=self.sleep,
                    on_retry=lambda n, e, d, action=action: self.log.event(
                        "retry", **_fields(action), attempt=n, error=str(e), delay=d
                    ),
                )
            except Exception as error:
                self.log.event("failed", **_fields(action), error=str(error))
                raise ExecutionError(action, str(error)) from error
            elapsed = round(self.clock() - started, 3)
            self.log.event("executed", **_fields(action), upid=upid, seconds=elapsed)

    def _run(self, action: Action) -> str:
        """Submit one action and wait for its task; returns the task's UPID.

        Look before sending again: a submission whose answer is lost (a timeout, a proxy's
        5xx) may have been accepted. The node's tasks for the container are listed before
        the POST; after such an error they are listed again, and a task that was not there
        before is this submission's: it is waited for instead of submitting a second create
        or migrate. Only when no new task exists is the error raised (and retried)."""
        before = self._task_ids(action)
        try:
            upid = self._submit(action)
        except Exception as error:
            if not _unreachable(error):
                raise
            try:
                new = self._task_ids(action) - before
            except Exception as look:
                raise SubmissionUnknownError(
                    f"{error}; and the task list cannot be read ({look}): not submitted again"
                ) from error
            if not new:
                raise
            (upid,) = sorted(new)[-1:]
            self.log.event("accepted-despite-error", **_fields(action), upid=upid, error=str(error))
        wait_task(
            self.api,
            action.node,
            upid,
            timeout=self.timing.task_timeout,
            poll_interval=self.timing.poll_interval,
            sleep=self.sleep,
            clock=self.clock,
            poll_policy=self.policy,
        )
        return upid

    def _task_ids(self, action: Action) -> set[str]:
        """UPIDs of the tasks the node lists for the action's container."""
        tasks = self.api.nodes(action.node).tasks.get(vmid=action.vmid, source="all")
        return {str(t["upid"]) for t in tasks or ()}

    def _submit(self, action: Action) -> str:
        node = self.api.nodes(action.node)
        ct = node.lxc(action.vmid)
        if action.kind == "create":
            return node.lxc.post(**self._create_params(action.vmid))
        if action.kind == "start":
            return ct.status.start.post()
        if action.kind == "stop":
            return ct.status.stop.post()
        if action.kind == "migrate":
            return ct.migrate.post(target=action.target)
        if action.kind == "delete":
            return ct.delete(purge=1)
        raise ValueError(f"unknown action {action.kind!r}")

    def _create_params(self, vmid: int) -> dict[str, Any]:
        s = self.settings
        number = s.number_of(vmid)
        if number is None:
            raise ValueError(f"{vmid} is not one of group {s.group}'s ids")
        params: dict[str, Any] = {
            "vmid": vmid,
            "hostname": s.hostname(number),
            "ostemplate": s.template,
            "ostype": s.os_type,
            "memory": s.memory,
            "swap": s.swap,
            "cores": s.cores,
            "rootfs": f"{s.storage}:{s.disk}",
            "net0": f"name=eth0,bridge={s.bridge},ip=dhcp",
            "unprivileged": int(s.unprivileged),
            "tags": f"cloudlab;{s.group}",
        }
        if s.ssh_public_keys:
            params["ssh-public-keys"] = "\n".join(s.ssh_public_keys)
        return params


def _fields(action: Action) -> dict[str, Any]:
    return {
        "action": action.kind,
        "vmid": action.vmid,
        "node": action.node,
        "target": action.target,
    }


# --- declarative -------------------------------------------------------------------------

PLACEMENT_KEY = "cloudlab:proxmox"


def _entry(node: str, started: bool) -> str | dict[str, Any]:
    return node if started else {"node": node, "started": False}


def _read_entry(value: Any) -> tuple[str, bool]:
    if isinstance(value, Mapping):
        started = value.get("started", True)
        return str(value["node"]), started not in (False, "false")
    return str(value), True


def apply_actions(
    placement: Mapping[str, Any], actions: Sequence[Action], settings: ProxmoxSettings
) -> dict[str, Any]:
    """The placement after ``actions``: create adds a slot, start/stop flip ``started``,
    migrate changes the node, delete removes the slot. Pure: ``placement`` is not changed."""
    state = {slot: _read_entry(v) for slot, v in placement.items()}
    for action in actions:
        number = settings.number_of(action.vmid)
        if number is None:
            raise ValueError(f"{action.vmid} is not one of group {settings.group}'s ids")
        slot = slot_key(number)
        if action.kind == "create":
            state[slot] = (action.node, True)
        elif slot not in state:
            raise ValueError(f"{action}: {slot} is not in the placement")
        elif action.kind in ("start", "stop"):
            state[slot] = (state[slot][0], action.kind == "start")
        elif action.kind == "migrate":
            state[slot] = (str(action.target), state[slot][1])
        elif action.kind == "delete":
            del state[slot]
    return {slot: _entry(*state[slot]) for slot in sorted(state)}


@dataclass(frozen=True)
class ConfigChange:
    """One ``pulumi config`` operation on a path under ``cloudlab:proxmox``."""

    path: str
    value: str | None
    """``None`` removes the path."""


def placement_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[ConfigChange]:
    """The ``--path`` config operations turning placement ``old`` into ``new``.

    A changed slot is removed and written again, so a plain node name can become an object
    with ``started: false`` and back.
    """
    base = f"{PLACEMENT_KEY}.placement"
    changes: list[ConfigChange] = []
    for slot in sorted(set(old) | set(new)):
        if old.get(slot) == new.get(slot):
            continue
        if slot in old:
            changes.append(ConfigChange(f"{base}.{slot}", None))
        if slot in new:
            node, started = _read_entry(new[slot])
            if started:
                changes.append(ConfigChange(f"{base}.{slot}", node))
            else:
                changes.append(ConfigChange(f"{base}.{slot}.node", node))
                changes.append(ConfigChange(f"{base}.{slot}.started", "false"))
    return changes


class StackLike(Protocol):
    """What the declarative executor needs of :class:`pulumi.automation.Stack`."""

    def get_config(self, key: str, *, path: bool = False) -> Any: ...

    def set_config(self, key: str, value: Any, *, path: bool = False) -> None: ...

    def remove_config(self, key: str, *, path: bool = False) -> None: ...

    def up(self, **kwargs: Any) -> Any: ...

    def export_stack(self) -> Any: ...

    def import_stack(self, state: Any) -> None: ...


CONTAINER_TYPE = "proxmoxve:index/containerLegacy:ContainerLegacy"


def move_in_state(deployment: dict[str, Any], vmid: int, node: str) -> int:
    """Set ``nodeName`` of container ``vmid`` in an exported deployment (inputs and outputs);
    returns how many resources changed. After Proxmox's migrate, this tells Pulumi where the
    container now is, so the next ``up`` sees no change of node (which it would otherwise
    carry out by deleting the container and creating it again, empty)."""
    changed = 0
    for resource in deployment.get("resources") or []:
        if resource.get("type") != CONTAINER_TYPE:
            continue
        fields = [resource.get("inputs") or {}, resource.get("outputs") or {}]
        if not any(str(f.get("vmId")) == str(vmid) for f in fields):
            continue
        for f in fields:
            if "nodeName" in f:
                f["nodeName"] = node
        changed += 1
    return changed


def automation_stack(stack_name: str, work_dir: str | Path) -> StackLike:
    """Select the Proxmox stack of the project in ``work_dir`` (needs the Pulumi CLI)."""
    from pulumi import automation

    return automation.select_stack(stack_name=stack_name, work_dir=str(work_dir))


class DeclarativeExecutor:
    """Writes the plan into the stack's placement, then ``pulumi up`` converges the cluster.

    A migration keeps the container: given the Proxmox ``api``, the plan's stop/migrate/start
    actions of a migrated container run through Proxmox's migrate call (:class:`ApiExecutor`),
    then the stack's state is told the container's new node (:func:`move_in_state`), so that
    the ``up`` finds nothing to change for it. Without ``api``, a change of node is carried
    out by the provider, which deletes the container and creates it again on the new node
    (its data lost).
    """

    def __init__(
        self,
        stack: StackLike,
        settings: ProxmoxSettings,
        log: DecisionLog,
        *,
        on_output: Callable[[str], None] | None = None,
        api: Any = None,
        timing: AutonomicSettings | None = None,
    ) -> None:
        self.stack = stack
        self.settings = settings
        self.log = log
        self.on_output = on_output
        self.api_executor = (
            ApiExecutor(api, settings, timing or AutonomicSettings(), log)
            if api is not None
            else None
        )

    def execute(self, decisions: Sequence[Decision]) -> None:
        """Change the placement for every action of the plan, then one ``pulumi up``; if the
        update fails, the placement is put back as it was (``rolled-back``) and it raises."""
        actions = actions_of(decisions)
        if not actions:
            return
        current = json.loads(self.stack.get_config(PLACEMENT_KEY).value)
        old = dict(current.get("placement") or {})
        try:
            new = apply_actions(old, actions, self.settings)
        except ValueError as error:
            self.log.event("failed", executor="pulumi", error=str(error))
            raise ExecutionError(None, str(error)) from error
        done = self._migrate_in_place(actions)
        # What the cluster runs once those ran: a failed `up` rolls the config back to it.
        baseline = apply_actions(old, done, self.settings) if done else old
        changes = placement_changes(old, new)
        self._apply(changes)
        try:
            result = self.stack.up(on_output=self.on_output, color="never")
        except Exception as error:
            self.log.event("failed", executor="pulumi", error=str(error))
            # The config must say what the cluster runs: put the placement back, so that the
            # next round plans from it (and a later `up` does not apply a half-failed plan).
            undo = placement_changes(new, baseline)
            self._apply(undo)
            self.log.event("rolled-back", executor="pulumi", changes=len(undo))
            raise ExecutionError(None, f"pulumi up failed: {error}") from error
        self._log_result(actions, result)

    def _migrate_in_place(self, actions: Sequence[Action]) -> list[Action]:
        """Proxmox's migrate for each migrated container (with its stop and start), then the
        state's node of each; returns the actions run (none when the executor has no API)."""
        if self.api_executor is None:
            return []
        moved = {a.vmid: str(a.target) for a in actions if a.kind == "migrate"}
        if not moved:
            return []
        own = [a for a in actions if a.vmid in moved and a.kind in ("stop", "migrate", "start")]
        self.api_executor.execute(
            [Decision("migration", "kept by Proxmox's migrate", a) for a in own]
        )
        state = self.stack.export_stack()
        deployment = state.deployment
        for vmid, node in moved.items():
            if move_in_state(deployment, vmid, node) != 1:
                raise ExecutionError(None, f"container {vmid} is not in the stack's state")
        self.stack.import_stack(state)
        self.log.event("state-moved", executor="pulumi", containers=sorted(moved))
        return own

    def _apply(self, changes: Sequence[ConfigChange]) -> None:
        from pulumi.automation import ConfigValue

        for change in changes:
            if change.value is None:
                self.stack.remove_config(change.path, path=True)
            else:
                self.stack.set_config(change.path, ConfigValue(change.value), path=True)
            self.log.event("config", path=change.path, value=change.value)

    def _log_result(self, actions: Sequence[Action], result: Any) -> None:
        summary = getattr(result, "summary", None)
        self.log.event(
            "executed",
            executor="pulumi",
            actions=[str(a) for a in actions],
            result=getattr(summary, "result", None),
            changes=getattr(summary, "resource_changes", None),
        )
