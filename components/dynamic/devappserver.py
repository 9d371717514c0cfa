"""``DevAppServer``: an app deployed to the App Engine dev server of the Google Cloud CLI.

The stand-in for ``gcloud app deploy`` on this machine: ``create`` unpacks the WAR into a
directory of its own, writes the instance count into its ``appengine-web.xml`` (manual
scaling) and starts ``java_dev_appserver.sh`` bound to ``host`` as a detached process (a
session of its own), then waits until the module's port and every instance's port answer.

The server outlives the ``pulumi up`` that started it: the state records its PID, its start
time (``/proc/<pid>/stat``, so a recycled PID is never taken for it), its ports and its
directory. ``read`` (``pulumi refresh``, and every ``up`` with ``--refresh``) reports it gone
when that process no longer runs, so the next ``up`` starts it again; ``delete`` ends its
whole session and removes the directory.

What ``diff`` decides (:class:`~components.dynamic.base.HashDiffProvider`): the same WAR
(``war_hash``, a digest of its entries), instance count, address and SDK change nothing; any
of them changed redeploys (the old server stops first: same ports). ``work_dir`` and
``start_timeout`` are only kept.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
import uuid
import zipfile
from pathlib import Path
from typing import Any

import pulumi
import pulumi.dynamic as dyn

from components.dynamic.base import HashDiffProvider, input_hashes, to_props

RUNNING = "Dev App Server is now running"
INSTANCE_LINE = re.compile(r"Module instance \S+ instance (\d+) is running at http://[^:/]+:(\d+)/")
MANUAL_SCALING = re.compile(r"<manual-scaling>.*?</manual-scaling>", re.DOTALL)


@dataclasses.dataclass
class DevAppServerArgs:
    """Inputs of a :class:`DevAppServer`."""

    war: pulumi.Input[str]
    """The WAR to deploy (absolute path)."""
    war_hash: pulumi.Input[str]
    """A digest of the WAR's entries (:func:`components.paas.war.war_digest`): a change
    redeploys."""
    instances: pulumi.Input[int]
    """Manual scaling's instance count."""
    host: pulumi.Input[str]
    """Address of every port the server opens (127.0.0.1: this machine only)."""
    port: pulumi.Input[int]
    """The module's port (the instances get ports the server picks)."""
    sdk_root: pulumi.Input[str]
    """The Google Cloud CLI's root (its ``bin/java_dev_appserver.sh`` is run)."""
    work_dir: pulumi.Input[str]
    """Where the deployed copies of the app and the server's logs go."""
    start_timeout: pulumi.Input[float] = 90.0
    """Seconds ``create`` waits for every port to answer."""

    def to_props(self) -> dict[str, Any]:
        return to_props(self)


REPLACE_KEYS = ("war", "war_hash", "instances", "host", "port", "sdk_root")
INPUT_KEYS = (*REPLACE_KEYS, "work_dir", "start_timeout")


def proc_start_time(pid: int) -> int | None:
    """Start time of ``pid`` in clock ticks since boot (``/proc/<pid>/stat`` field 22), or
    None when no such process runs (a zombie counts as gone)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return None if fields[0] == "Z" else int(fields[19])


def alive(pid: int | None, start_time: int | None) -> bool:
    """Whether the process recorded as (``pid``, ``start_time``) still runs."""
    return bool(pid) and start_time is not None and proc_start_time(int(pid)) == start_time


def set_instances(descriptor: str, instances: int) -> str:
    """``appengine-web.xml`` with manual scaling of ``instances`` (replacing any scaling)."""
    scaling = f"<manual-scaling><instances>{int(instances)}</instances></manual-scaling>"
    if MANUAL_SCALING.search(descriptor):
        return MANUAL_SCALING.sub(scaling, descriptor, count=1)
    for other in ("automatic-scaling", "basic-scaling"):
        descriptor = re.sub(rf"<{other}>.*?</{other}>", "", descriptor, flags=re.DOTALL)
    return descriptor.replace("</appengine-web-app>", f"  {scaling}\n</appengine-web-app>")


def unpack(war: Path, app_dir: Path, instances: int) -> None:
    """The WAR exploded into ``app_dir``, its instance count set."""
    with zipfile.ZipFile(war) as archive:
        archive.extractall(app_dir)
    descriptor = app_dir / "WEB-INF" / "appengine-web.xml"
    if not descriptor.is_file():
        raise RuntimeError(f"{war} has no WEB-INF/appengine-web.xml: not an App Engine app")
    descriptor.write_text(set_instances(descriptor.read_text(), instances))


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _tail(log: Path, lines: int = 40) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    return "<no log>"


def stop(pid: int | None, start_time: int | None, timeout: float = 15.0) -> None:
    """End the server's session (the launcher, KickStart and the JVM): TERM, then KILL."""
    if not alive(pid, start_time):
        return
    pgid = int(pid)  # started in a session of its own: its process group is its PID
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, sig)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(-1, os.WNOHANG)  # reap it when it is our child
            if not alive(pid, start_time) and not _group_alive(pgid):
                return
            time.sleep(0.2)


def _group_alive(pgid: int) -> bool:
    """Whether a live (not zombie) process of group ``pgid`` remains: the server's processes
    are reaped by whoever adopted them, maybe later, so ``kill(0)`` alone would count zombies."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2 :].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def start(props: dict[str, Any]) -> dict[str, Any]:
    """Unpack the WAR and start the dev server; the outputs once every port answers."""
    launcher = Path(props["sdk_root"]) / "bin" / "java_dev_appserver.sh"
    if not os.access(launcher, os.X_OK):
        raise RuntimeError(f"{launcher} not found: install the Google Cloud CLI's App Engine Java")
    work = Path(props["work_dir"])
    deployment = work / uuid.uuid4().hex[:12]
    app_dir, log = deployment / "app", deployment / "devappserver.log"
    app_dir.mkdir(parents=True)
    unpack(Path(props["war"]), app_dir, int(props["instances"]))
    host, port = str(props["host"]), int(props["port"])
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(launcher), f"--address={host}", f"--port={port}", str(app_dir)],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # detached: it outlives this provider and `pulumi up`
            close_fds=True,
        )
    pid = process.pid
    start_time = proc_start_time(pid)
    url = f"http://{host}:{port}/"
    deadline = time.monotonic() + float(props.get("start_timeout") or 90)
    instance_ports: dict[int, int] = {}
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the dev server exited {process.returncode}")
            text = log.read_text(errors="replace")
            instance_ports = {int(i): int(p) for i, p in INSTANCE_LINE.findall(text)}
            ready = RUNNING in text and len(instance_ports) == int(props["instances"])
            urls = [url] + [f"http://{host}:{p}/" for p in instance_ports.values()]
            if ready and all(_answers(u) for u in urls):
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"the dev server did not answer on {urls} in time")
            time.sleep(0.5)
    except Exception as exc:
        stop(pid, start_time)
        shutil.rmtree(deployment, ignore_errors=True)
        raise RuntimeError(f"{exc}\n--- {log} ---\n{_tail(log)}") from exc
    return {
        **{k: props.get(k) for k in INPUT_KEYS},
        "pid": pid,
        "start_time": start_time,
        "url": url,
        "instance_urls": [f"http://{host}:{instance_ports[i]}/" for i in sorted(instance_ports)],
        "deployment_dir": str(deployment),
        "log": str(log),
        "input_hashes": input_hashes(props, INPUT_KEYS),
    }


class DevAppServerProvider(HashDiffProvider):
    """The resource id is a random uuid; the server is the (PID, start time) in the outputs."""

    INPUT_KEYS = INPUT_KEYS
    REPLACE_KEYS = REPLACE_KEYS
    DELETE_BEFORE_REPLACE = True
    """The same ports: the old server stops before the new one starts."""

    def drift(self, olds: Any) -> bool:
        """The recorded server no longer runs (stopped, machine rebooted): ``update`` starts it."""
        return not alive(olds.get("pid"), olds.get("start_time"))

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> dyn.CheckResult:
        failures = []
        instances = news.get("instances")  # the engine sends numbers as floats (3.0)
        whole = isinstance(instances, int | float) and float(instances).is_integer()
        if isinstance(instances, bool) or not whole or instances < 1:
            failures.append(dyn.CheckFailure("instances", "a positive instance count"))
        return dyn.CheckResult(news, failures)

    def create(self, props: dict[str, Any]) -> dyn.CreateResult:
        return dyn.CreateResult(id_=uuid.uuid4().hex, outs=start(props))

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dyn.UpdateResult:
        """Kept inputs changed (``work_dir``, ``start_timeout``): nothing to do; the server is
        gone (:meth:`drift`): start it again."""
        if self.drift(olds):
            self.delete(_id, olds)
            return dyn.UpdateResult(outs=start(news))
        outs = dict(olds)
        outs.update({k: news.get(k) for k in INPUT_KEYS}, input_hashes=self.hashes(news))
        return dyn.UpdateResult(outs=outs)

    def read(self, id_: str, props: dict[str, Any]) -> dyn.ReadResult:
        if not alive(props.get("pid"), props.get("start_time")):
            return dyn.ReadResult("", {})  # stopped: the next `up` starts it again
        return dyn.ReadResult(id_, dict(props))

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        stop(props.get("pid"), props.get("start_time"))
        if props.get("deployment_dir"):
            shutil.rmtree(props["deployment_dir"], ignore_errors=True)


class DevAppServer(dyn.Resource, module="cloudlab/appengine", name="DevAppServer"):
    """An app served by the App Engine dev server. Outputs: ``url`` (the module's port, which
    spreads requests over the instances), ``instance_urls``, ``pid``, ``start_time``, ``log``."""

    url: pulumi.Output[str]
    instance_urls: pulumi.Output[list[str]]
    pid: pulumi.Output[int]
    start_time: pulumi.Output[int]
    log: pulumi.Output[str]

    def __init__(
        self, resource_name: str, args: DevAppServerArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        props = args.to_props()
        props.update(
            pid=None,
            start_time=None,
            url=None,
            instance_urls=None,
            deployment_dir=None,
            log=None,
            input_hashes=None,
        )
        super().__init__(DevAppServerProvider(), resource_name, props, opts)
