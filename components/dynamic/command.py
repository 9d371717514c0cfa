"""``LocalCommand``: run shell commands on this machine at create, update and delete.

cloudlab's stand-in for pulumi-command's ``local.Command``, whose provider plugin cannot be
built here. A Pulumi dynamic provider (no plugin binary), pickled by reference like the Docker
ones, so the dynamic-provider process must be able to import ``components.dynamic``.

Semantics (what ``diff`` decides):

- nothing changed: nothing runs (``pulumi up`` twice runs the command once);
- ``triggers`` changed: replacement (delete command of the old, create command of the new);
- ``create``, ``environment``, ``dir`` or ``interpreter`` changed: replacement, unless an
  ``update`` command is given, which then runs in place;
- only ``update`` or ``delete`` changed: an update that runs nothing (the new commands are kept
  for later).

Replacements delete first by default (``delete_before_replace``): lab commands create things with
fixed names (a VM, an image), which cannot exist twice.

The delete and update commands see ``PULUMI_COMMAND_STDOUT`` and ``PULUMI_COMMAND_STDERR``, the
output of the previous create or update (as with pulumi-command), e.g. the id of what create made.

Recovery (a ``pulumi up`` killed, or a command that hangs):

- every command runs in its own process group, and a timeout kills the whole group, so
  ``sleep 60 & wait`` leaves nothing behind (killing ``/bin/sh`` alone left its children, and the
  pipes they held open made the wait last as long as they did);
- the id is deterministic: a hash of the stack, the resource's name and the inputs that run
  (:func:`command_id`), so the same resource created again has the same id;
- creates are idempotent: a finished create is written to a journal (one 0600 file per id,
  next to the stack's state: :func:`default_journal_dir`) before the engine records it; a
  ``pulumi up`` killed between the two leaves a pending create that the next ``up`` runs
  again, and that create takes the journal's result over instead of running the command a
  second time (a second VM, a second image). A delete removes the entry. A command killed
  while it runs is not journaled: it runs again, so each lab's commands clean up what an
  interrupted run of theirs left (see components/virtualbox/commands.py).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import signal
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi.dynamic as dyn

from components.dynamic.base import (
    HashDiffProvider,
    canonical_json,
    changed_keys,
    input_hashes,
    is_known,
    to_props,
)

DEFAULT_INTERPRETER = ("/bin/sh", "-c")


@dataclasses.dataclass
class LocalCommandArgs:
    """Inputs of a :class:`LocalCommand`."""

    create: pulumi.Input[str]
    """Shell command run by ``pulumi up`` when the resource is created (or replaced)."""
    delete: pulumi.Input[str] | None = None
    """Shell command run by ``pulumi destroy`` (and before a replacement): undoes ``create``."""
    update: pulumi.Input[str] | None = None
    """Shell command run in place when ``create``/``environment``/``dir`` change; ``None``
    replaces instead."""
    environment: pulumi.Input[Mapping[str, str]] = dataclasses.field(default_factory=dict)
    """Extra environment variables, added to this process's environment."""
    triggers: pulumi.Input[Sequence[Any]] = dataclasses.field(default_factory=list)
    """Any values; a change forces a replacement (e.g. the id of the resource worked on)."""
    dir: pulumi.Input[str] | None = None
    """Working directory (default: the project directory)."""
    interpreter: pulumi.Input[Sequence[str]] = DEFAULT_INTERPRETER
    """argv prefix; the command is appended as one argument."""
    delete_before_replace: pulumi.Input[bool] = True
    """Run the old delete before the new create on replacement (fixed names)."""
    timeout: pulumi.Input[float] = 600.0
    """Seconds each command may take."""

    def to_props(self) -> dict[str, Any]:
        return to_props(self)


RUN_KEYS = ("create", "environment", "dir", "interpreter")
"""Changes that need the command to run again (update if given, else replacement)."""
REPLACE_KEYS = ("triggers",)
STORED_KEYS = ("update", "delete", "delete_before_replace", "timeout")
"""Changes that run nothing: the new values are only kept."""
INPUT_KEYS = (*RUN_KEYS, *REPLACE_KEYS, *STORED_KEYS)
NAME_KEYS = ("project", "stack", "resource_name", "journal")
"""Set by :class:`LocalCommand`, not by its args: what names the resource (its id) and where
its creates are journaled. Not diffed."""


class CommandFailedError(RuntimeError):
    """A command exited non-zero (its exit code and the end of its output are in the message)."""


def run_command(
    command: str,
    *,
    environment: Mapping[str, str] | None = None,
    dir: str | None = None,
    interpreter: Sequence[str] = DEFAULT_INTERPRETER,
    timeout: float = 600.0,
    previous: Mapping[str, str] | None = None,
) -> tuple[str, str]:
    """Run ``command``; return (stdout, stderr) without trailing newlines, or raise.

    ``previous`` (stdout/stderr of the last run) is exposed as ``PULUMI_COMMAND_STDOUT`` and
    ``PULUMI_COMMAND_STDERR``.
    """
    env = dict(os.environ)
    env.update({str(k): str(v) for k, v in (environment or {}).items()})
    if previous is not None:
        env["PULUMI_COMMAND_STDOUT"] = str(previous.get("stdout") or "")
        env["PULUMI_COMMAND_STDERR"] = str(previous.get("stderr") or "")
    argv = [*(interpreter or DEFAULT_INTERPRETER), command]
    limit = float(timeout or 600)
    try:
        # Its own process group (in our session, so that killing a `pulumi up`'s session
        # takes it too): a timeout kills every process the command started, not only the shell.
        proc = subprocess.Popen(
            argv,
            env=env,
            cwd=dir or None,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            process_group=0,
        )
    except OSError as exc:  # interpreter or dir missing
        raise CommandFailedError(f"cannot run {argv[0]!r} in {dir or '.'}: {exc}") from exc
    try:
        out, err = proc.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        raise CommandFailedError(f"command timed out after {limit:g}s: {command}") from None
    except BaseException:
        _kill_group(proc)
        raise
    stdout, stderr = out.rstrip("\n"), err.rstrip("\n")
    if proc.returncode != 0:
        raise CommandFailedError(
            f"command exited {proc.returncode}: {command}\n"
            f"--- stderr ---\n{stderr[-3000:]}\n--- stdout ---\n{stdout[-2000:]}"
        )
    return stdout, stderr


def _kill_group(proc: subprocess.Popen[str]) -> None:
    """SIGKILL the command's whole process group and reap the shell. (Only on a timeout or
    an interruption: a command that ends may leave a daemon on purpose, e.g. VBoxSVC.)"""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    try:
        proc.communicate(timeout=5)
    except subprocess.TimeoutExpired:  # a grandchild in another group holds the pipes
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
        proc.wait(timeout=5)


def command_id(props: Mapping[str, Any]) -> str:
    """The resource's id: a hash of its stack, its name and the inputs that run (a change of
    any of them is a replacement, hence a new id). Without a name (the provider driven
    directly) the inputs alone."""
    key = {
        "project": props.get("project"),
        "stack": props.get("stack"),
        "name": props.get("resource_name"),
        "inputs": input_hashes(props, (*RUN_KEYS, *REPLACE_KEYS)),
    }
    return hashlib.sha256(canonical_json(key).encode()).hexdigest()[:32]


def default_journal_dir() -> str:
    """Where finished creates are journaled: next to the stack's state, so that a new backend
    (a test's, another user's) never sees another one's entries. With a local file backend
    (``PULUMI_BACKEND_URL=file://DIR``, as the project sets it), ``DIR/.cloudlab/commands``;
    otherwise ``$CLOUDLAB_STATE_DIR/commands``. Never in the clone."""
    backend = os.environ.get("PULUMI_BACKEND_URL") or ""
    if backend.startswith("file://"):
        path = backend[len("file://") :].split("?", 1)[0]
        if path:
            return os.path.join(os.path.expanduser(path), ".cloudlab", "commands")
    state = os.environ.get("CLOUDLAB_STATE_DIR") or os.path.join(
        os.environ.get("CLOUDLAB_HOME") or os.path.expanduser("~/.cloudlab"), "state"
    )
    return os.path.join(state, "commands")


def _journal_path(props: Mapping[str, Any], id_: str) -> str | None:
    journal = props.get("journal")
    return os.path.join(str(journal), f"{id_}.json") if journal else None


def _journal_read(path: str | None) -> dict[str, Any] | None:
    if path is None:
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            entry = json.load(handle)
    except (OSError, ValueError):
        return None
    return entry if isinstance(entry, dict) else None


def _journal_write(path: str | None, entry: Mapping[str, Any]) -> None:
    """Write atomically (a rename), readable by the user only: stdout may name what was made."""
    if path is None:
        return
    directory = os.path.dirname(path)
    os.makedirs(directory, mode=0o700, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-")  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(dict(entry), handle)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _journal_remove(path: str | None) -> None:
    if path is not None and os.path.exists(path):
        os.unlink(path)


def _run(props: Mapping[str, Any], key: str, previous: Mapping[str, str] | None = None):
    return run_command(
        str(props[key]),
        environment=props.get("environment") or {},
        dir=props.get("dir"),
        interpreter=props.get("interpreter") or DEFAULT_INTERPRETER,
        timeout=float(props.get("timeout") or 600),
        previous=previous,
    )


def _outs(props: Mapping[str, Any], stdout: str, stderr: str) -> dict[str, Any]:
    outs = {k: props.get(k) for k in (*INPUT_KEYS, *NAME_KEYS)}
    outs.update(stdout=stdout, stderr=stderr, input_hashes=input_hashes(props, INPUT_KEYS))
    return outs


class LocalCommandProvider(HashDiffProvider):
    """The resource id is :func:`command_id`; the state holds the inputs, stdout and stderr.

    Its ``diff`` is its own: a change of what runs is an update when an ``update`` command is
    given, a replacement otherwise.
    """

    INPUT_KEYS = INPUT_KEYS
    REPLACE_KEYS = REPLACE_KEYS

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> dyn.CheckResult:
        failures = []
        create = news.get("create")
        # At preview a command built from a resource still to be created (a snapshot of a VM
        # of the same `up`) is unknown: only a known one is checked; the engine checks again.
        if is_known(create) and (not isinstance(create, str) or not create.strip()):
            failures.append(dyn.CheckFailure("create", "a non-empty shell command"))
        return dyn.CheckResult(news, failures)

    def create(self, props: dict[str, Any]) -> dyn.CreateResult:
        id_ = command_id(props)
        path = _journal_path(props, id_)
        done = _journal_read(path)
        if done is not None:  # an interrupted `up` ran it; the engine never recorded it
            stdout, stderr = str(done.get("stdout") or ""), str(done.get("stderr") or "")
        else:
            stdout, stderr = _run(props, "create")
            _journal_write(path, {"stdout": stdout, "stderr": stderr})
        return dyn.CreateResult(id_=id_, outs=_outs(props, stdout, stderr))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dyn.DiffResult:
        changed = changed_keys(olds.get("input_hashes") or {}, self.hashes(news))
        replaces = [k for k in changed if k in REPLACE_KEYS]
        if not news.get("update"):
            replaces += [k for k in changed if k in RUN_KEYS]
        return dyn.DiffResult(
            changes=bool(changed),
            replaces=sorted(replaces),
            delete_before_replace=bool(replaces) and bool(news.get("delete_before_replace", True)),
        )

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dyn.UpdateResult:
        changed = changed_keys(olds.get("input_hashes") or {}, self.hashes(news))
        stdout, stderr = olds.get("stdout") or "", olds.get("stderr") or ""
        if any(k in RUN_KEYS for k in changed) and news.get("update"):
            stdout, stderr = _run(news, "update", {"stdout": stdout, "stderr": stderr})
        return dyn.UpdateResult(outs=_outs(news, stdout, stderr))

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        if props.get("delete"):
            _run(props, "delete", {"stdout": props.get("stdout"), "stderr": props.get("stderr")})
        _journal_remove(_journal_path(props, _id))


class LocalCommand(dyn.Resource, module="cloudlab/local", name="Command"):
    """A command run on this machine. Outputs: ``stdout``, ``stderr`` (of the last run)."""

    stdout: pulumi.Output[str]
    stderr: pulumi.Output[str]
    create: pulumi.Output[str]
    delete: pulumi.Output[str | None]

    def __init__(
        self, resource_name: str, args: LocalCommandArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        props = args.to_props()
        props.update(
            stdout=None,
            stderr=None,
            input_hashes=None,
            project=pulumi.get_project(),
            stack=pulumi.get_stack(),
            resource_name=resource_name,
            journal=default_journal_dir(),
        )
        super().__init__(LocalCommandProvider(), resource_name, props, opts)
