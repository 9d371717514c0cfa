"""Bring the local control plane up, check it, and stop it.

`up` is idempotent: when every daemon runs and the API answers it returns at once; when only some
run (one crashed, or the machine rebooted) it stops the rest and starts all five again on the
same PKI and etcd data, so objects survive a restart as on a real cluster. `down` stops them in
reverse order by PID, waiting for each; `down(purge=True)` also deletes the state directory.
"""

from __future__ import annotations

import contextlib
import fcntl
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from localcloud.k8s import api, components, kubeconfig, nodes, pki, procs
from localcloud.k8s.layout import (
    CONTROLLER_MANAGER_PORT,
    ETCD_URL,
    HOST,
    NODES,
    SCHEDULER_PORT,
    Layout,
)

REPO = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = REPO / "scripts" / "k8s-build.sh"


class StartError(RuntimeError):
    """The control plane could not be brought up (the message names the log to read)."""


def log(msg: str) -> None:
    print(f"k8s: {msg}", file=sys.stderr, flush=True)


@contextmanager
def _locked(layout: Layout) -> Iterator[None]:
    """One `up`/`down` at a time (make k8s in one shell, a test session in another)."""
    layout.run.mkdir(parents=True, exist_ok=True)
    with (layout.run / ".lock").open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield


def build() -> Path:
    """Run scripts/k8s-build.sh (quick when cached) and return its bin dir."""
    out = subprocess.run(
        [str(BUILD_SCRIPT)], check=False, stdout=subprocess.PIPE, text=True, cwd=REPO
    )
    if out.returncode != 0 or not out.stdout.strip():
        raise StartError(f"{BUILD_SCRIPT} failed (exit {out.returncode}); see its messages above")
    return Path(out.stdout.strip().splitlines()[-1])


def _wait(what: str, check: Callable[[], bool], timeout: float, logfile: Path | None) -> float:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if check():
            return time.monotonic() - t0
        time.sleep(0.25)
    hint = f"; last lines of {logfile}:\n{_tail(logfile)}" if logfile else ""
    raise StartError(f"{what} not ready after {timeout:.0f}s{hint}")


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _alive(layout: Layout, name: str) -> Callable[[], bool]:
    def check() -> bool:
        if procs.pid_of(layout, name) is None:
            logfile = layout.log(name)
            raise StartError(f"{name} exited; last lines of {logfile}:\n{_tail(logfile)}")
        return True

    return check


def _list_nodes(layout: Layout) -> list[dict]:
    return api.request(layout, "GET", "/api/v1/nodes")["items"]


def _create_nodes(layout: Layout) -> None:
    for name in NODES:
        try:
            api.request(layout, "POST", "/api/v1/nodes", nodes.manifest(name))
        except api.ApiError as err:
            if err.status != 409:  # already there from an earlier run: etcd data is kept
                raise


def _nodes_settled(layout: Layout) -> bool:
    try:
        found = {n["metadata"]["name"]: n for n in _list_nodes(layout)}
    except (OSError, api.ApiError):
        return False
    return all(name in found and nodes.settled(found[name]) for name in NODES)


def _leases_renewed_since(layout: Layout, since: datetime) -> bool:
    """Every node's lease renewed after ``since``: kwok really plays them.

    After a restart the nodes' stored status still says Ready; a fresh lease is the proof that
    this kwok took them over (the lifecycle controller would mark them NotReady otherwise).
    """
    try:
        leases = api.request(
            layout, "GET", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases"
        )
    except (OSError, api.ApiError):
        return False
    renewed = {
        item["metadata"]["name"]: datetime.fromisoformat(item["spec"]["renewTime"])
        for item in leases["items"]
        if item.get("spec", {}).get("renewTime")
    }
    return all(name in renewed and renewed[name] >= since for name in NODES)


def running(layout: Layout) -> dict[str, int | None]:
    """PID (or None) of every daemon."""
    return {name: procs.pid_of(layout, name) for name in components.NAMES}


def is_up(layout: Layout | None = None) -> bool:
    """All daemons run, the API is ready, and the three nodes are Ready and tainted as intended."""
    layout = layout or Layout.default()
    if not pki.complete(layout) or None in running(layout).values():
        return False
    return api.probe(layout, "/readyz") and _nodes_settled(layout)


def _start_all(layout: Layout, bin_dir: Path) -> None:
    comps = {c.name: c for c in components.all_components(layout, bin_dir)}

    def start(name: str) -> None:
        procs.start(layout, name, comps[name].argv)

    def alive_and(name: str, probe: Callable[[], bool]) -> Callable[[], bool]:
        alive = _alive(layout, name)
        return lambda: alive() and probe()

    t0 = time.monotonic()
    start("etcd")
    etcd_ok = alive_and(
        "etcd",
        lambda: api.probe(layout, "/health", base=ETCD_URL, identity="apiserver-etcd-client"),
    )
    log(f"etcd ready in {_wait('etcd', etcd_ok, 30, layout.log('etcd')):.1f}s")

    start("kube-apiserver")
    api_ok = alive_and("kube-apiserver", lambda: api.probe(layout, "/readyz"))
    took = _wait("kube-apiserver /readyz", api_ok, 90, layout.log("kube-apiserver"))
    log(f"kube-apiserver ready in {took:.1f}s")

    kwok_started = datetime.now(UTC).replace(microsecond=0)
    for name in ("kube-controller-manager", "kube-scheduler", "kwok"):
        start(name)
    _create_nodes(layout)
    for name, port in (
        ("kube-controller-manager", CONTROLLER_MANAGER_PORT),
        ("kube-scheduler", SCHEDULER_PORT),
    ):
        url = f"https://{HOST}:{port}/healthz"
        healthy = alive_and(name, lambda u=url: api.probe_insecure(u))
        took = _wait(name, healthy, 60, layout.log(name))
        log(f"{name} healthy in {took:.1f}s")
    # Ready comes from kwok; the workers' not-ready taints go only once the controller manager's
    # node lifecycle controller has seen them Ready.
    settled = alive_and(
        "kube-controller-manager",
        lambda: _nodes_settled(layout) and _leases_renewed_since(layout, kwok_started),
    )
    nodes_ok = alive_and("kwok", settled)
    took = _wait("nodes Ready, workers untainted", nodes_ok, 120, layout.log("kwok"))
    log(f"nodes settled in {took:.1f}s; control plane up in {time.monotonic() - t0:.1f}s")


def _release_leases(layout: Layout) -> None:
    """Delete the node leases once kwok is stopped (best effort).

    The next kwok would otherwise wait for its predecessor's leases to expire (40 s) before it
    takes them over, and `up` waits for fresh leases.
    """
    base = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases"
    for name in NODES:
        with contextlib.suppress(OSError, api.ApiError):
            api.request(layout, "DELETE", f"{base}/{name}", timeout=3.0)


# kube-apiserver's graceful shutdown waits up to its request timeout (60 s) for in-flight
# requests; now and then its own loopback watches keep it that long. It keeps no state of its
# own (etcd does), so after a few seconds it is killed.
STOP_TIMEOUT = {"kube-apiserver": 8.0}


def _stop_all(layout: Layout) -> list[str]:
    stopped = []
    for name in reversed(components.NAMES):
        how = procs.stop(layout, name, STOP_TIMEOUT.get(name, 20.0))
        if how:
            stopped.append(name)
        if how == "killed":
            log(f"{name} ignored SIGTERM for {STOP_TIMEOUT.get(name, 20.0):.0f}s; killed it")
        if name == "kwok" and pki.complete(layout) and procs.pid_of(layout, "kube-apiserver"):
            _release_leases(layout)
    return stopped


def up(layout: Layout | None = None) -> bool:
    """Start the control plane unless it is already up; True if this call started it.

    On failure everything this call started is stopped again and StartError is raised.
    """
    layout = layout or Layout.default()
    with _locked(layout):
        if is_up(layout):
            return False
        bin_dir = build()
        partial = [n for n, pid in running(layout).items() if pid]
        if partial:
            log(f"restarting: only {', '.join(partial)} running")
            _stop_all(layout)
        if pki.ensure(layout):
            log(f"created the PKI in {layout.pki}")
        layout.conf.mkdir(parents=True, exist_ok=True)
        kubeconfig.write_all(layout)
        try:
            _start_all(layout, bin_dir)
        except BaseException:
            _stop_all(layout)
            raise
        return True


def down(layout: Layout | None = None, *, purge: bool = False) -> list[str]:
    """Stop every daemon (idempotent); return the names of those that were running."""
    layout = layout or Layout.default()
    with _locked(layout):
        stopped = _stop_all(layout)
    if purge and layout.home.exists():
        shutil.rmtree(layout.home)
    return stopped


def status_lines(layout: Layout | None = None) -> list[str]:
    """Human-readable state: each daemon's PID and memory, API readiness, nodes."""
    layout = layout or Layout.default()
    lines = []
    for name, pid in running(layout).items():
        state = f"pid {pid:<7} rss {procs.rss_mib(pid):6.0f} MiB" if pid else "stopped"
        lines.append(f"{name:<24} {state}")
    if pki.complete(layout) and api.probe(layout, "/readyz"):
        lines.append(f"API {api.request(layout, 'GET', '/version')['gitVersion']} ready")
        lines += ["node " + nodes.describe(n) for n in _list_nodes(layout)]
    else:
        lines.append("API not answering")
    return lines
