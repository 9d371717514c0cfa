"""DevAppServer's pieces that need no dev server: the instance count written into
appengine-web.xml, the process identity, and what diff decides."""

from __future__ import annotations

import os
import subprocess
import zipfile
from pathlib import Path

import pytest

from components.dynamic.base import input_hashes
from components.dynamic.devappserver import (
    INPUT_KEYS,
    DevAppServerArgs,
    DevAppServerProvider,
    alive,
    proc_start_time,
    set_instances,
    start,
    unpack,
)
from tests.paas.sample import sample_war

DESCRIPTOR = (
    '<appengine-web-app xmlns="http://appengine.google.com/ns/1.0">\n'
    "  <runtime>java8</runtime>\n{scaling}</appengine-web-app>\n"
)


def test_manual_scaling_is_rewritten_with_the_count() -> None:
    text = DESCRIPTOR.format(
        scaling="  <manual-scaling>\n <instances>1</instances>\n</manual-scaling>\n"
    )
    out = set_instances(text, 3)
    assert "<manual-scaling><instances>3</instances></manual-scaling>" in out
    assert out.count("<instances>") == 1


def test_other_scaling_is_replaced_by_manual_scaling() -> None:
    text = DESCRIPTOR.format(
        scaling="  <automatic-scaling><max-instances>4</max-instances></automatic-scaling>\n"
    )
    out = set_instances(text, 2)
    assert "automatic-scaling" not in out
    assert out.rstrip().endswith(
        "<manual-scaling><instances>2</instances></manual-scaling>\n</appengine-web-app>"
    )


def test_unpack_writes_the_count_into_the_copy(tmp_path: Path) -> None:
    war = sample_war(tmp_path)
    unpack(war, tmp_path / "app", 4)
    descriptor = (tmp_path / "app" / "WEB-INF" / "appengine-web.xml").read_text()
    assert "<instances>4</instances>" in descriptor
    with zipfile.ZipFile(war) as archive:  # the WAR itself is left as it was
        assert b"<instances>1</instances>" in archive.read("WEB-INF/appengine-web.xml")


def test_a_war_without_appengine_web_xml_is_refused(tmp_path: Path) -> None:
    war = tmp_path / "plain.war"
    with zipfile.ZipFile(war, "w") as archive:
        archive.writestr("WEB-INF/web.xml", "<web-app/>")
    with pytest.raises(RuntimeError, match="not an App Engine app"):
        unpack(war, tmp_path / "app", 1)


def test_a_process_is_known_by_pid_and_start_time() -> None:
    me = os.getpid()
    assert alive(me, proc_start_time(me))
    assert not alive(me, proc_start_time(me) + 1)  # a recycled PID is another process
    child = subprocess.Popen(["true"])
    child.wait()
    assert proc_start_time(child.pid) is None
    assert not alive(None, None)


def args(tmp_path: Path, **changes) -> dict:
    war = sample_war(tmp_path)
    base = DevAppServerArgs(
        war=str(war), war_hash="h1", instances=3, host="127.0.0.1", port=8081,
        sdk_root="/sdk", work_dir=str(tmp_path / "work"),
    ).to_props()  # fmt: skip
    return {**base, **changes}


def olds(props: dict, pid: int | None = None) -> dict:
    pid = os.getpid() if pid is None else pid
    return {**props, "pid": pid, "start_time": proc_start_time(pid),
            "input_hashes": input_hashes(props, INPUT_KEYS)}  # fmt: skip


def test_the_same_deployment_changes_nothing(tmp_path: Path) -> None:
    p = args(tmp_path)
    assert DevAppServerProvider().diff("id", olds(p), p).changes is False


@pytest.mark.parametrize(
    ("key", "value"), [("war_hash", "h2"), ("instances", 2), ("port", 8082), ("host", "127.0.0.2")]
)
def test_a_changed_war_count_or_address_redeploys(tmp_path: Path, key: str, value) -> None:
    p = args(tmp_path)
    d = DevAppServerProvider().diff("id", olds(p), {**p, key: value})
    assert d.replaces == [key] and d.delete_before_replace


def test_a_longer_timeout_is_only_kept(tmp_path: Path) -> None:
    p = args(tmp_path)
    d = DevAppServerProvider().diff("id", olds(p), {**p, "start_timeout": 300.0})
    assert d.changes and not d.replaces


def test_a_dead_server_is_drift_that_update_repairs(tmp_path: Path) -> None:
    p = args(tmp_path)
    child = subprocess.Popen(["true"])
    child.wait()
    dead = {**olds(p), "pid": child.pid}
    d = DevAppServerProvider().diff("id", dead, p)
    assert d.changes and not d.replaces
    assert DevAppServerProvider().read("id", dead).id == ""  # refresh: gone


def test_check_refuses_a_bad_instance_count(tmp_path: Path) -> None:
    provider = DevAppServerProvider()
    assert provider.check({}, args(tmp_path, instances=3.0)).failures == []
    assert [f.property for f in provider.check({}, args(tmp_path, instances=0)).failures] == [
        "instances"
    ]


def test_a_missing_launcher_is_said_so(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match=r"java_dev_appserver\.sh not found"):
        start(args(tmp_path, sdk_root=str(tmp_path / "nosdk")))
