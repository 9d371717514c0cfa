"""LocalCommand's provider, driven directly: what runs at create, update, delete, and when."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from components.dynamic.command import (
    CommandFailedError,
    LocalCommand,
    LocalCommandArgs,
    LocalCommandProvider,
    run_command,
)
from tests.harness import run_program

TYPE = "pulumi-python:dynamic/cloudlab/local:Command"


def props(**overrides: Any) -> dict[str, Any]:
    """The inputs as the engine hands them to the provider (defaults of LocalCommandArgs)."""
    base = LocalCommandArgs(create="true").to_props()
    base.update(overrides)
    return base


@pytest.fixture
def provider() -> LocalCommandProvider:
    return LocalCommandProvider()


def test_create_runs_the_command_and_keeps_its_output(provider, tmp_path: Path) -> None:
    res = provider.create(
        props(
            create="echo out; echo err >&2; echo $GREETING > made; pwd",
            environment={"GREETING": "hello"},
            dir=str(tmp_path),
        )
    )
    assert res.outs["stdout"] == f"out\n{tmp_path}"
    assert res.outs["stderr"] == "err"
    assert (tmp_path / "made").read_text() == "hello\n"
    assert res.id


def test_a_failing_command_fails_with_its_exit_code_and_stderr(provider) -> None:
    with pytest.raises(CommandFailedError, match=r"exited 3: .*\n--- stderr ---\nboom"):
        provider.create(props(create="echo boom >&2; exit 3"))


def test_a_missing_directory_is_a_clear_error() -> None:
    with pytest.raises(CommandFailedError, match="cannot run"):
        run_command("true", dir="/nonexistent/cloudlab")


def test_a_command_that_hangs_times_out() -> None:
    with pytest.raises(CommandFailedError, match=r"timed out after 0\.2s"):
        run_command("sleep 5", timeout=0.2)


def test_delete_runs_the_delete_command_with_the_create_output(provider, tmp_path: Path) -> None:
    p = props(create="echo id-42", delete="echo deleted $PULUMI_COMMAND_STDOUT > gone")
    p["dir"] = str(tmp_path)
    outs = provider.create(p).outs
    provider.delete("id", outs)
    assert (tmp_path / "gone").read_text() == "deleted id-42\n"


def test_delete_without_a_delete_command_runs_nothing(provider, tmp_path: Path) -> None:
    outs = provider.create(props(create="true", dir=str(tmp_path))).outs
    provider.delete("id", outs)
    assert list(tmp_path.iterdir()) == []


class TestDiff:
    def old(self, provider, **kw: Any) -> dict[str, Any]:
        return provider.create(props(**kw)).outs

    def test_no_change_means_nothing_to_do(self, provider) -> None:
        olds = self.old(provider, create="true", triggers=["a"], environment={"A": "1"})
        d = provider.diff("id", olds, props(create="true", triggers=["a"], environment={"A": "1"}))
        assert (d.changes, d.replaces) == (False, [])

    def test_a_trigger_forces_a_replacement_deleting_first(self, provider) -> None:
        olds = self.old(provider, create="true", triggers=["vm-1"])
        d = provider.diff("id", olds, props(create="true", triggers=["vm-2"]))
        assert (d.changes, d.replaces, d.delete_before_replace) == (True, ["triggers"], True)

    def test_create_before_delete_when_asked(self, provider) -> None:
        olds = self.old(provider, create="true", triggers=["a"])
        news = props(create="true", triggers=["b"], delete_before_replace=False)
        assert provider.diff("id", olds, news).delete_before_replace is False

    @pytest.mark.parametrize(
        "change",
        [{"create": "echo new"}, {"environment": {"A": "2"}}, {"dir": "/tmp"}],
    )
    def test_a_new_command_replaces_without_an_update_command(self, provider, change) -> None:
        olds = self.old(provider, create="true", environment={"A": "1"})
        news = props(create="true", environment={"A": "1"})
        news.update(change)
        d = provider.diff("id", olds, news)
        assert d.changes
        assert d.replaces == list(change)

    def test_with_an_update_command_it_runs_in_place(self, provider, tmp_path: Path) -> None:
        olds = self.old(provider, create="echo v1", update="echo updated $PULUMI_COMMAND_STDOUT")
        news = props(create="echo v2", update="echo updated $PULUMI_COMMAND_STDOUT")
        d = provider.diff("id", olds, news)
        assert (d.changes, d.replaces) == (True, [])
        outs = provider.update("id", olds, news).outs
        assert outs["stdout"] == "updated v1"

    def test_a_new_delete_command_is_kept_without_running_anything(
        self, provider, tmp_path: Path
    ) -> None:
        olds = self.old(provider, create="echo made", dir=str(tmp_path))
        news = props(create="echo made", dir=str(tmp_path), delete="touch deleted")
        d = provider.diff("id", olds, news)
        assert (d.changes, d.replaces) == (True, [])
        outs = provider.update("id", olds, news).outs
        assert outs["stdout"] == "made"
        assert outs["delete"] == "touch deleted"
        assert list(tmp_path.iterdir()) == []


def test_check_rejects_an_empty_create(provider) -> None:
    assert [f.property for f in provider.check({}, props(create=" ")).failures] == ["create"]
    assert provider.check({}, props(create="true")).failures == []


def test_check_accepts_a_create_unknown_at_preview(provider) -> None:
    """A command built from a resource of the same `up` (a snapshot of a VM still to be
    created) is unknown at preview: only a known command is checked."""
    from pulumi.output import Unknown
    from pulumi.runtime import rpc

    assert provider.check({}, props(create=Unknown())).failures == []
    assert provider.check({}, props(create=rpc.UNKNOWN)).failures == []
    assert [f.property for f in provider.check({}, props(create=7)).failures] == ["create"]


def test_registered_inputs_under_mocks() -> None:
    def program() -> None:
        LocalCommand(
            "cmd",
            LocalCommandArgs(create="echo a", delete="echo b", environment={"X": "1"}),
        )

    (res,) = run_program(program).of_type(TYPE)
    assert res.inputs["create"] == "echo a"
    assert res.inputs["delete"] == "echo b"
    assert res.inputs["environment"] == {"X": "1"}
    assert res.inputs["interpreter"] == ["/bin/sh", "-c"]


def _running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie waiting for its reaper is not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_a_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    """``sleep 60 & wait`` with a 1 s timeout: the shell AND its background sleep are gone,
    and the timeout is 1 s, not the 60 s the sleep held the output pipes open for."""
    pidfile = tmp_path / "sleep.pid"
    started = time.monotonic()
    with pytest.raises(CommandFailedError, match=r"timed out after 1s"):
        run_command(f"sleep 60 & echo $! > {pidfile}; wait", timeout=1)
    assert time.monotonic() - started < 10
    pid = int(pidfile.read_text())
    deadline = time.monotonic() + 5
    while _running(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _running(pid), "the background sleep outlived the timeout"


def _named(**overrides: Any) -> dict[str, Any]:
    return props(stack="dev", resource_name="vm-image", **overrides)


def test_the_id_is_deterministic_and_changes_with_what_runs(provider, tmp_path: Path) -> None:
    first = provider.create(_named(create="true")).id
    assert first == provider.create(_named(create="true")).id
    assert first != provider.create(_named(create="echo other")).id
    assert first != provider.create(_named(create="true", triggers=["vm-2"])).id
    assert first != provider.create(props(stack="dev", resource_name="other", create="true")).id
    assert first != provider.create(props(stack="prod", resource_name="vm-image", create="true")).id


def test_an_interrupted_create_is_taken_over_not_run_twice(provider, tmp_path: Path) -> None:
    """A ``pulumi up`` killed after the command finished but before the engine recorded it:
    the next ``up`` calls create again, which takes the journaled result over."""
    journal = tmp_path / "journal"
    work = tmp_path / "work"
    work.mkdir()
    p = _named(
        create="echo made >> runs; echo image-$(wc -l < runs)",
        delete="rm runs",
        dir=str(work),
        journal=str(journal),
    )
    first = provider.create(p)
    assert first.outs["stdout"] == "image-1"
    (entry,) = journal.iterdir()
    assert entry.stat().st_mode & 0o777 == 0o600
    again = provider.create(p)  # the engine lost the first create's result
    assert (again.id, again.outs["stdout"]) == (first.id, "image-1")
    assert (work / "runs").read_text() == "made\n"  # ran once
    provider.delete(again.id, again.outs)
    assert list(journal.iterdir()) == []
    assert provider.create(p).outs["stdout"] == "image-1"  # after a delete it runs again
    assert (work / "runs").read_text() == "made\n"


def test_the_component_journals_next_to_the_stack_state(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CLOUDLAB_STATE_DIR", str(tmp_path))
    monkeypatch.delenv("PULUMI_BACKEND_URL", raising=False)

    def program() -> None:
        LocalCommand("cmd", LocalCommandArgs(create="echo a"))

    (res,) = run_program(program).of_type(TYPE)
    assert res.inputs["journal"] == str(tmp_path / "commands")
    monkeypatch.setenv("PULUMI_BACKEND_URL", f"file://{tmp_path}/backend?metadata=skip")
    (res,) = run_program(program).of_type(TYPE)
    assert res.inputs["journal"] == str(tmp_path / "backend" / ".cloudlab" / "commands")
    assert res.inputs["resource_name"] == "cmd"
    assert res.inputs["stack"]
