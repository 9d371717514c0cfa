"""Bring the local OpenStack up, take it down, report its state.

``up`` is idempotent and quick when everything already runs; a restart with the state kept skips
every one-time step (migrations, cells, bootstrap), and a cold start does them all.
"""

import contextlib
import datetime
import fcntl
import os
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from localcloud.openstack import databases, host, netns, ovs, procs
from localcloud.openstack.clouds import write_entries
from localcloud.openstack.config import boot_seconds, render_all
from localcloud.openstack.layout import HOST, PORTS, REPO_ROOT, Layout
from localcloud.openstack.progress import say, step, wait_until
from localcloud.openstack.services import AGENTS, ALL, APIS, NEUTRON_RPC, NOVA_SERVICES, processes
from localcloud.openstack.system import ensure_packages
from localcloud.openstack.venv import ensure_venv, plugins_current

COLD_ESTIMATE_S = 180  # empty state dir, venv and apt packages present (220 s measured under load)
# Stopped together first (they all talk to the databases and the broker), then the rest in order.
STOP_TIERS = (
    tuple(reversed((*APIS, NEUTRON_RPC, *AGENTS, *NOVA_SERVICES))),
    ("rabbitmq", "ovs-vswitchd"),
    ("epmd", "ovsdb-server"),
    ("mariadb",),
)


@dataclass(frozen=True)
class ProcStatus:
    """One process as ``status`` reports it."""

    name: str
    pid: int | None
    port: int | None
    pss_kib: int


def http_answers(port: int) -> bool:
    """Whether an API answers HTTP on ``port`` (any status below 500 counts)."""
    try:
        with urllib.request.urlopen(f"http://{HOST}:{port}/", timeout=30) as reply:
            return reply.status < 500
    except urllib.error.HTTPError as err:
        return err.code < 500
    except OSError:
        return False


def is_up(layout: Layout | None = None) -> bool:
    """Every process runs, the bootstrap finished and Keystone answers."""
    layout = layout or Layout.default()
    if not (layout.state / "done" / "bootstrap-resources").exists():
        return False
    table = processes(layout)
    if any(procs.running_pid(layout, p) is None for p in table.values()):
        return False
    return http_answers(PORTS["keystone"])


def _configured_boot_seconds(layout: Layout) -> str | None:
    nova_conf = layout.conf / "nova" / "nova.conf"
    if not nova_conf.exists():
        return None
    for line in nova_conf.read_text().splitlines():
        if line.startswith("boot_seconds"):
            return line.split("=", 1)[1].strip()
    return None


def _start(layout: Layout, proc: procs.Proc) -> int:
    pid = procs.running_pid(layout, proc)
    if pid is not None:
        return pid
    if proc.port is not None and procs.port_open(proc.port):
        raise RuntimeError(
            f"port {proc.port} ({proc.name}) is taken by a process that is not ours: stop it "
            "(e.g. a system service apt started) and retry"
        )
    return procs.start(layout, proc)


def _alive(layout: Layout, proc: procs.Proc):
    return lambda: procs.running_pid(layout, proc) is not None


def _bootstrap(layout: Layout, phase: str) -> None:
    marker = layout.state / "done" / f"bootstrap-{phase}"
    if marker.exists():
        return
    log = layout.log(f"bootstrap-{phase}")
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO_ROOT),
        "CLOUDLAB_OPENSTACK_STATE_DIR": str(layout.state),
    }
    with step(f"bootstrap: {phase} (openstacksdk)", estimate_s=15, log=log), log.open("w") as out:
        argv = [str(layout.bin("python")), "-m", "localcloud.openstack.bootstrap", phase]
        result = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT, env=env, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"bootstrap {phase} failed; see {log}")
    marker.touch()


@contextlib.contextmanager
def _exclusive(layout: Layout) -> Iterator[None]:
    """One ``up`` or ``down`` at a time per state directory (tests and ``make openstack`` may
    race): a second caller waits for the first, then sees its result."""
    layout.state.mkdir(parents=True, exist_ok=True)
    with (layout.state / "lifecycle.lock").open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            say("another up/down of the local OpenStack is running: waiting for it")
            fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def up(layout: Layout | None = None) -> bool:
    """Start whatever is not running; True if anything was started."""
    layout = layout or Layout.default()
    with _exclusive(layout):
        return _up_locked(layout)


STATE_FORMAT = "2"
"""The state directory's format: 2 has the data plane (Open vSwitch, Neutron's agents, the
`public` network on 100.64.24.0/24, servers as containers). A state of another format holds
networks and services this code would not recreate, so ``up`` refuses it with what to do."""


def require_state_format(layout: Layout) -> None:
    """Stamp a new state directory; refuse one written in another format."""
    stamp = layout.state / "format"
    if stamp.exists():
        found = stamp.read_text().strip()
    elif (layout.state / "done").exists():
        found = "1"  # before the stamp: the control plane only
    else:
        layout.state.mkdir(parents=True, exist_ok=True)
        stamp.write_text(STATE_FORMAT + "\n")
        return
    if found != STATE_FORMAT:
        raise RuntimeError(
            f"the local cloud's state in {layout.state} has format {found}, this code needs "
            f"{STATE_FORMAT} (the data plane): stop it and start afresh with "
            f"`make openstack-down && rm -rf {layout.state} && make openstack`"
        )


def _up_locked(layout: Layout) -> bool:
    require_state_format(layout)
    _host_limits()  # a cloud left running gets them too (idempotent; says only changes)
    if is_up(layout):
        # Already up: apply only what changed. A new plugin build restarts the two services that
        # load it; an explicitly requested boot time (CLOUDLAB_OPENSTACK_BOOT_SECONDS) different
        # from the running one restarts nova-compute. A plain `up` changes nothing.
        restart = []
        if not plugins_current(layout):
            ensure_venv(layout)
            restart = ["neutron", "nova-compute"]
        requested = os.environ.get("CLOUDLAB_OPENSTACK_BOOT_SECONDS")
        if requested is not None and _configured_boot_seconds(layout) != boot_seconds():
            restart = restart or ["nova-compute"]
        if restart:
            _restart(layout, restart)
        write_entries(layout)  # no-op unless the user's clouds.yaml lost our entries
        return bool(restart)
    table = processes(layout)
    before = {name for name in ALL if procs.running_pid(layout, table[name]) is not None}
    try:
        return _bring_up(layout)
    except BaseException:
        # A failed start leaves nothing of its own running (what ran before is kept).
        started_now = [
            name
            for name in ALL
            if name not in before and procs.running_pid(layout, table[name]) is not None
        ]
        if started_now:
            say(f"start failed: stopping what it started ({', '.join(started_now)})")
            _stop(layout, started_now)
        raise


def _host_limits() -> None:
    """The kernel limits many server containers need (see localcloud.openstack.host)."""
    for line in host.describe(host.raise_limits()):
        say(line)


def _bring_up(layout: Layout) -> bool:
    started = time.monotonic()
    say(f"bringing the local OpenStack up (cold ~{COLD_ESTIMATE_S} s; state in {layout.state})")
    ensure_packages(layout)
    ensure_venv(layout)
    for sub in ("logs", "run", "done", "nova/instances"):
        (layout.state / sub).mkdir(parents=True, exist_ok=True)
    render_all(layout)
    (layout.state / "rabbitmq").mkdir(parents=True, exist_ok=True)
    table = processes(layout)

    # MariaDB and RabbitMQ start together; RabbitMQ is needed only by nova's services.
    databases.init_datadir(layout)
    _start(layout, table["mariadb"])
    _start_switch(layout, table)
    _start(layout, table["epmd"])
    wait_until(lambda: procs.port_open(PORTS["epmd"]), "epmd", 20, layout.log("epmd"))
    _start(layout, table["rabbitmq"])
    wait_until(
        lambda: databases.sql_ready(layout),
        "MariaDB",
        60,
        layout.log("mariadb"),
        alive=_alive(layout, table["mariadb"]),
    )
    if not (layout.state / "done" / "databases").exists():
        databases.create_databases(layout)
        (layout.state / "done" / "databases").touch()

    # Each service: migrations, start, readiness, in parallel with the others (one database
    # each). Keystone then gets the identity bootstrap the other services authenticate with.
    ready: set[str] = set()
    ready_lock = threading.Lock()

    def service(name: str) -> None:
        databases.migrate(layout, "nova" if name == "nova-api" else name)
        if name == "nova-api":
            _nova_services_when("nova-migrated")
        proc = table[name]
        _start(layout, proc)
        wait_until(
            lambda: http_answers(proc.port),
            f"{name} API on port {proc.port}",
            240,
            layout.log(name),
            interval_s=1,
            alive=_alive(layout, proc),
        )
        if name == "keystone":
            _bootstrap(layout, "identity")
            _nova_services_when("identity")
        if name == "neutron":
            # the agents' RPC server consumes before they start (their first call waits
            # rpc_response_timeout, 60 s, on a queue nobody reads)
            _start(layout, table[NEUTRON_RPC])

    def _nova_services_when(event: str) -> None:
        # nova's conductor and scheduler need their databases, the service users and the broker;
        # started as soon as those exist, they are consuming by the time nova-compute asks the
        # conductor (which otherwise costs it a 10 s timeout).
        with ready_lock:
            ready.add(event)
            if ready != {"identity", "nova-migrated"}:
                return
        wait_until(
            lambda: procs.port_open(PORTS["rabbitmq"]),
            "RabbitMQ",
            120,
            layout.log("rabbitmq"),
            alive=_alive(layout, table["rabbitmq"]),
        )
        for name in ("nova-conductor", "nova-scheduler"):
            _start(layout, table[name])

    what = "migrations and APIs, in parallel"
    with step(what, estimate_s=90, log=layout.logs), ThreadPoolExecutor(len(APIS)) as pool:
        for future in [pool.submit(service, name) for name in APIS]:
            future.result()

    _start_agents(layout, table)
    compute = table["nova-compute"]
    utc_start = (datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=2)).strftime(
        "%Y-%m-%d %H:%M:%S"
    )
    _start(layout, compute)
    what = "waiting for nova-compute to register"
    with step(what, estimate_s=20, log=layout.log("nova-compute")):
        wait_until(
            lambda: databases.compute_reported_since(layout, utc_start),
            "nova-compute",
            180,
            layout.log("nova-compute"),
            interval_s=1,
            alive=_alive(layout, compute),
        )
    databases.discover_hosts(layout)
    require_loopback_only(layout)
    _ensure_server_image(layout)
    _bootstrap(layout, "resources")
    clouds = write_entries(layout)
    say(f"up in {time.monotonic() - started:.1f} s; clouds.yaml: {clouds}")
    return True


def require_loopback_only(layout: Layout) -> None:
    """Refuse a cloud that listens beyond 127.0.0.1: every process we started, and its children,
    must bind loopback only (a service that ignored its bind setting would be open to every
    network the machine is on). Raises, and ``up`` then stops what it started."""
    table = processes(layout)
    wide = []
    for name, proc in table.items():
        pid = procs.running_pid(layout, proc)
        if pid is not None:
            wide += [(name, sock) for sock in procs.listeners(procs.group_pids(pid))]
    wide = [(name, sock) for name, sock in wide if not sock.loopback]
    if wide:
        listed = ", ".join(f"{name} (pid {s.pid}) on {s.address}:{s.port}" for name, s in wide)
        raise RuntimeError(f"refusing to run: listening beyond 127.0.0.1: {listed}")


def _ensure_server_image(layout: Layout) -> None:
    """The Docker engine and the servers' image (built once from Debian's packages)."""
    if (layout.state / "done" / "bootstrap-resources").exists():
        return
    log = layout.log("server-image")
    with step("Docker engine and the server image", estimate_s=180, log=log), log.open("a") as out:
        for script in ("docker-engine.sh", "openstack-image.sh"):
            argv = [str(REPO_ROOT / "scripts" / script)]
            if subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT).returncode != 0:
                raise RuntimeError(f"scripts/{script} failed; see {log}")


def _start_switch(layout: Layout, table: dict[str, procs.Proc]) -> None:
    """ovsdb-server, then ovs-vswitchd, then br-ex with the public network's gateway address."""
    ovs.init_db(layout)
    server, switch = table["ovsdb-server"], table["ovs-vswitchd"]
    _start(layout, server)
    wait_until(
        ovs.db_socket(layout).exists,
        "ovsdb-server",
        20,
        layout.log("ovsdb-server"),
        alive=_alive(layout, server),
    )
    _start(layout, switch)
    wait_until(
        lambda: ovs.vswitchd_ready(layout),
        "ovs-vswitchd",
        30,
        layout.log("ovs-vswitchd"),
        alive=_alive(layout, switch),
    )
    ovs.setup_external_bridge(layout)


def _start_agents(layout: Layout, table: dict[str, procs.Proc]) -> None:
    """Neutron's RPC server and agents, once the API and the broker answer; waits for each
    agent to report in."""
    utc_start = (datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=2)).strftime(
        "%Y-%m-%d %H:%M:%S"
    )
    for name in (NEUTRON_RPC, *AGENTS):  # the RPC server started with the API: a no-op then
        _start(layout, table[name])
    with step("waiting for Neutron's agents to report", estimate_s=30, log=layout.logs):
        for name in AGENTS:
            wait_until(
                lambda name=name: databases.agent_reported_since(
                    layout, AGENTS[name][0], utc_start
                ),
                name,
                180,
                layout.log(name),
                interval_s=1,
                alive=_alive(layout, table[name]),
            )


def _restart(layout: Layout, names: list[str]) -> None:
    """Re-render the config and restart ``names`` (neutron and/or nova-compute), with waits."""
    render_all(layout)
    table = processes(layout)
    what = f"restarting {', '.join(names)} (fake boot time {boot_seconds()} s)"
    with step(what, 25, layout.logs):
        for name in names:
            proc = table[name]
            procs.stop(layout, proc)
            utc_start = (
                datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=2)
            ).strftime("%Y-%m-%d %H:%M:%S")
            procs.start(layout, proc)
            if name == "nova-compute":
                ready = lambda since=utc_start: databases.compute_reported_since(layout, since)  # noqa: E731
            else:
                ready = lambda port=proc.port: http_answers(port)  # noqa: E731
            wait_until(ready, name, 180, layout.log(name), alive=_alive(layout, proc))


def restart(names: list[str], layout: Layout | None = None) -> None:
    """Restart the named services of a running cloud (``neutron``, ``nova-compute``...), each
    waited for as at start."""
    layout = layout or Layout.default()
    with _exclusive(layout):
        _restart(layout, names)


def down(layout: Layout | None = None) -> bool:
    """Stop every process by PID, waiting for each; True if anything was running."""
    layout = layout or Layout.default()
    with _exclusive(layout):
        return _down_locked(layout)


def _down_locked(layout: Layout) -> bool:
    table = processes(layout)
    running = [name for name in ALL if procs.running_pid(layout, table[name]) is not None]
    if not running:
        return False
    started = time.monotonic()
    ids = netns.neutron_ids(layout) if "mariadb" in running else set()
    with step(f"stopping the local OpenStack ({len(running)} processes)", estimate_s=15):
        _stop(layout, running)
        netns.clean(layout, ids)
    say(f"down in {time.monotonic() - started:.1f} s")
    return True


def _stop(layout: Layout, names: list[str]) -> None:
    """Stop ``names`` tier by tier (the services together, then broker, epmd, database)."""
    table = processes(layout)
    for tier in STOP_TIERS:
        chosen = [name for name in tier if name in names]
        if chosen:
            with ThreadPoolExecutor(max_workers=len(chosen)) as pool:
                list(pool.map(lambda name: procs.stop(layout, table[name]), chosen))


def status(layout: Layout | None = None) -> list[ProcStatus]:
    """Each process: PID (None if stopped), port, memory (PSS of its whole process group)."""
    layout = layout or Layout.default()
    rows = []
    for name, proc in processes(layout).items():
        pid = procs.running_pid(layout, proc)
        pss = procs.pss_kib(procs.group_pids(pid)) if pid else 0
        rows.append(ProcStatus(name, pid, proc.port, pss))
    return rows
