"""``pulumi up`` of the secured calculator lab against the local OpenStack, side by side in one
run with the same resources made one after another by a plain openstacksdk script (one process,
the fastest imperative way) and by the ``openstack`` CLI (one command per resource, as the lab
was done by hand).

Run: ``make bench-openstack`` (``--boot-seconds 20`` imitates a real cloud's boot time; the
local cloud's nova-compute alone is restarted with that boot time, and put back as it was at
the end). Needs the toolchain and the openstack plugin (``make toolchain``) and the local
OpenStack (``make openstack``). Everything is made in the lab's project (``cloudlab-local``)
and deleted again, also on failure; the servers left are counted through openstacksdk.

It also says what the provider's status polling costs: the bridged instance resource polls
nova on the upstream provider's schedule (``StateChangeConf`` with ``Delay: 0``,
``MinTimeout: 3 s``, back-off doubling to a 10 s cap: polls at 0, 3, 9, 19, 29... s after the
create call), so a server that is ACTIVE after 4 s is seen at 9 s, one ACTIVE after 21 s at
29 s. Nova's ``launched_at`` of each server, the provider's ``GET /servers/<id>`` in nova-api's
request log and the engine's event for the instance measure it. The provider has no setting for
it, and ``customTimeouts`` only sets the wait's ``Timeout``: checked on 2026-12-01 with a
one-server program at a 20 s boot time, ``create: 3m`` polled at +0, 3.1, 9.3, 19.4, 29.6 s as
without it (+0, 3.1, 9.3, 19.5, 29.8 s); up 33.2-34.2 s against 32.7-34.8 s.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import datetime
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bench.report import fragment
from cloudlab_tools.pulumi_cli import REPO as ROOT
from cloudlab_tools.pulumi_cli import make_project
from components.calculator.settings import CalculatorSettings, parse_calculator_settings
from components.calculator.userdata import render_user_data
from components.openstack.network import allocation_pools

CLOUD = "cloudlab-local"
STACK = "benchopenstack"
INSTANCE_TYPE = "openstack:compute/instance:Instance"
WORK_DIR = Path.home() / ".cloudlab" / "bench-openstack"
"""Each run's working files (the project copy, its Pulumi state, the lists of what each side
made), kept outside /tmp so that a run that dies is cleaned up by the next one."""
SDK_POLL_S = 0.5
"""How often the openstacksdk script polls a server for ACTIVE (its fastest honest wait)."""


# --------------------------------------------------------------------------- machine, cloud


def machine() -> str:
    """Cores, CPU model, load and date: the context the times were measured in."""
    model = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"{now}; {os.cpu_count()} cores, {model}; load {load}; {platform.platform()}"


def services_bin(name: str) -> Path:
    """A command of the local cloud's services venv (the ``openstack`` CLI)."""
    from localcloud.openstack.layout import Layout

    return Layout.default().bin(name)


def configured_boot_seconds() -> float | None:
    """The fake driver's boot time as nova-compute was configured (``None``: not configured)."""
    from localcloud.openstack.layout import Layout

    conf = Layout.default().conf / "nova" / "nova.conf"
    if not conf.exists():
        return None
    for line in conf.read_text().splitlines():
        if line.replace(" ", "").startswith("boot_seconds="):
            return float(line.split("=", 1)[1])
    return None


def set_boot_seconds(seconds: float) -> None:
    """Make the local cloud boot servers in ``seconds``: ``localcloud.openstack up`` with
    CLOUDLAB_OPENSTACK_BOOT_SECONDS restarts nova-compute alone when the value changes."""
    env = {**os.environ, "CLOUDLAB_OPENSTACK_BOOT_SECONDS": f"{seconds:g}"}
    cmd = [sys.executable, "-m", "localcloud.openstack", "up"]
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    now = configured_boot_seconds()
    if now != seconds:
        raise RuntimeError(f"nova-compute runs with boot_seconds={now}, not {seconds:g}")


def ensure_cloud_up() -> None:
    """The bench measures the cloud, it does not start it: a cloud that is down is an error."""
    res = subprocess.run(
        [sys.executable, "-m", "localcloud.openstack", "status"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if res.returncode != 0:
        sys.exit(f"the local OpenStack is not up (make openstack):\n{res.stdout}")


def connect() -> Any:
    """An openstacksdk connection to the lab's project."""
    import openstack

    return openstack.connect(cloud=CLOUD)


def lab_settings() -> CalculatorSettings:
    """The secured lab as Pulumi.openstack.yaml configures it (what all three sides build)."""
    config = yaml.safe_load((ROOT / "Pulumi.openstack.yaml").read_text())["config"]
    settings = parse_calculator_settings(config["cloudlab:calculator"])
    if not settings.secured or settings.replicas != 1:
        raise SystemExit("the bench builds the secured lab with one VM per operator")
    return settings


# --------------------------------------------------------------------------- what was made


@dataclass
class Made:
    """What one side created, appended as it goes to a JSON file, so that a run that fails
    half-way (or a child process that dies) can still be deleted."""

    path: Path
    items: list[dict[str, Any]] = field(default_factory=list)

    def add(self, kind: str, ident: str, **extra: Any) -> str:
        self.items.append({"kind": kind, "id": ident, **extra})
        self.path.write_text(json.dumps(self.items))
        return ident

    @classmethod
    def load(cls, path: Path) -> Made:
        items = json.loads(path.read_text()) if path.exists() and path.stat().st_size else []
        return cls(path, items)

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [item for item in self.items if item["kind"] == kind]


DELETE_ORDER = (
    "floating_ip",
    "server",
    "port",
    "router_subnet",
    "router_port",
    "router",
    "security_group",
    "subnet",
    "network",
)


def sdk_delete(conn: Any, made: Made) -> None:
    """Delete what ``made`` lists, one call after another, in dependency order (also the
    clean-up path: anything already gone is skipped)."""
    net, compute = conn.network, conn.compute
    for kind in DELETE_ORDER:
        for item in reversed(made.of(kind)):
            ident = item["id"]
            if kind == "floating_ip":
                net.delete_ip(ident, ignore_missing=True)
            elif kind == "server":
                server = compute.find_server(ident, ignore_missing=True)
                if server is not None:
                    compute.delete_server(server)
                    compute.wait_for_delete(server, interval=SDK_POLL_S, wait=300)
            elif kind == "port":
                net.delete_port(ident, ignore_missing=True)
            elif kind in ("router_subnet", "router_port"):
                router = net.find_router(item["router"], ignore_missing=True)
                if router is None:
                    continue
                key = "subnet_id" if kind == "router_subnet" else "port_id"
                with contextlib.suppress(Exception):  # interface already removed
                    net.remove_interface_from_router(router, **{key: ident})
            elif kind == "router":
                net.delete_router(ident, ignore_missing=True)
            elif kind == "security_group":
                net.delete_security_group(ident, ignore_missing=True)
            elif kind == "subnet":
                net.delete_subnet(ident, ignore_missing=True)
            elif kind == "network":
                net.delete_network(ident, ignore_missing=True)


def leftovers(conn: Any, made: Made) -> list[str]:
    """What ``made`` lists that still exists, asked of the cloud (servers above all)."""
    net = conn.network
    finders: dict[str, Callable[[str], Any]] = {
        "floating_ip": lambda i: net.find_ip(i, ignore_missing=True),
        "server": lambda i: conn.compute.find_server(i, ignore_missing=True),
        "port": lambda i: net.find_port(i, ignore_missing=True),
        "router": lambda i: net.find_router(i, ignore_missing=True),
        "security_group": lambda i: net.find_security_group(i, ignore_missing=True),
        "subnet": lambda i: net.find_subnet(i, ignore_missing=True),
        "network": lambda i: net.find_network(i, ignore_missing=True),
    }
    left = []
    for item in made.items:
        find = finders.get(item["kind"])
        if find is not None and find(item["id"]) is not None:
            left.append(f"{item['kind']} {item['id']}")
    return left


# --------------------------------------------------------------------------- openstacksdk side


def calculator_user_data(settings: CalculatorSettings, operand_ips: dict[str, str]) -> str:
    """The calculator's cloud-init, calling each operand at its private address."""
    ports = dict(settings.service_ports.items())
    urls = {op: [f"http://{ip}:{ports[op]}"] for op, ip in operand_ips.items()}
    return render_user_data("calculator", settings.public_port, urls)


def sdk_create(made: Made, prefix: str) -> None:
    """The secured lab, one openstacksdk call after another; each server waited ACTIVE."""
    s = lab_settings()
    conn = connect()
    net, compute = conn.network, conn.compute
    public = net.find_network(s.external_network, ignore_missing=False)
    image = compute.find_image(s.image, ignore_missing=False)
    flavor = compute.find_flavor(s.flavor, ignore_missing=False)

    def network(
        name: str, cidr: str, gateway: str, reserved: tuple[str, ...] = ()
    ) -> tuple[str, str]:
        n = made.add("network", net.create_network(name=name, admin_state_up=True).id)
        # as the stack does: a fixed router leg stays out of the pool (the DHCP port comes first)
        pools = [
            {"start": p.start, "end": p.end} for p in allocation_pools(cidr, gateway, reserved)
        ]
        sub = net.create_subnet(
            name=f"{name}-subnet",
            network_id=n,
            cidr=cidr,
            ip_version=4,
            enable_dhcp=True,
            gateway_ip=gateway,
            **({"allocation_pools": pools} if pools else {}),
        )
        return n, made.add("subnet", sub.id)

    front, front_sub = network(
        f"{prefix}-frontend", s.frontend_cidr, s.frontend_gateway_ip, (s.router_frontend_ip,)
    )
    net.update_subnet(
        front_sub,
        host_routes=[{"destination": s.backend_cidr, "nexthop": s.router_frontend_ip}],
    )
    back, back_sub = network(f"{prefix}-backend", s.backend_cidr, s.router_backend_ip)

    internal = made.add("router", net.create_router(name=f"{prefix}-internal").id)
    for key, n, sub, ip in (
        ("frontend", front, front_sub, s.router_frontend_ip),
        ("backend", back, back_sub, s.router_backend_ip),
    ):
        port = net.create_port(
            name=f"{prefix}-internal-{key}",
            network_id=n,
            fixed_ips=[{"subnet_id": sub, "ip_address": ip}],
        )
        net.add_interface_to_router(internal, port_id=port.id)
        made.add("router_port", port.id, router=internal)
    edge = net.create_router(name=f"{prefix}-edge", external_gateway_info={"network_id": public.id})
    made.add("router", edge.id)
    net.add_interface_to_router(edge, subnet_id=front_sub)
    made.add("router_subnet", front_sub, router=edge.id)

    def group(name: str, description: str, cidr: str, port: int) -> str:
        g = made.add(
            "security_group", net.create_security_group(name=name, description=description).id
        )
        net.create_security_group_rule(
            security_group_id=g,
            direction="ingress",
            ethertype="IPv4",
            protocol="tcp",
            port_range_min=port,
            port_range_max=port,
            remote_ip_prefix=cidr,
        )
        return g

    gateway_groups = [
        group(f"{prefix}-gateway", "calculator gateway", cidr, s.public_port)
        for cidr in s.allowed_cidrs
    ]
    operand_groups = {
        op: group(f"{prefix}-{op}", f"{op} service", s.frontend_cidr, port)
        for op, port in s.service_ports.items()
    }

    def vm_port(name: str, n: str, sub: str, groups: list[str]) -> Any:
        port = net.create_port(
            name=name, network_id=n, fixed_ips=[{"subnet_id": sub}], security_group_ids=groups
        )
        made.add("port", port.id)
        return port

    operand_ports = {
        op: vm_port(f"{prefix}-{op}", back, back_sub, [operand_groups[op]])
        for op, _ in s.service_ports.items()
    }
    calc_port = vm_port(f"{prefix}-calculator", front, front_sub, gateway_groups)

    def boot(name: str, port_id: str, data: str) -> None:
        started = time.time()
        server = compute.create_server(
            name=name,
            image_id=image.id,
            flavor_id=flavor.id,
            networks=[{"port": port_id}],
            user_data=base64.b64encode(data.encode()).decode(),
        )
        made.add("server", server.id, name=name)
        compute.wait_for_server(server, status="ACTIVE", interval=SDK_POLL_S, wait=600)
        made.add("timing", server.id, created=started, seen_active=time.time())

    ports = dict(s.service_ports.items())
    for op, port in operand_ports.items():
        boot(f"{prefix}-{op}", port.id, render_user_data(op, ports[op]))
    operand_ips = {op: p.fixed_ips[0]["ip_address"] for op, p in operand_ports.items()}
    boot(f"{prefix}-calculator", calc_port.id, calculator_user_data(s, operand_ips))

    fip = net.create_ip(floating_network_id=public.id)
    made.add("floating_ip", fip.id)
    net.update_ip(fip, port_id=calc_port.id)


def child_main(args: argparse.Namespace) -> None:
    """The openstacksdk script, in a process of its own (start-up and imports are timed)."""
    made = Made.load(Path(args.made))
    if args.child == "sdk-create":
        sdk_create(made, args.prefix)
    else:
        sdk_delete(connect(), made)


def run_sdk_child(what: str, made_path: Path, prefix: str) -> float:
    """Seconds of ``python -m bench.bench_openstack --child what`` (a fresh process)."""
    start = time.perf_counter()
    subprocess.run(
        [
            *(sys.executable, "-m", "bench.bench_openstack", "--child", what),
            *("--made", str(made_path), "--prefix", prefix),
        ],
        cwd=ROOT,
        check=True,
    )
    return time.perf_counter() - start


# --------------------------------------------------------------------------- openstack CLI side


class Cli:
    """The ``openstack`` CLI, one process per command, as typed by hand."""

    def __init__(self) -> None:
        self.exe = str(services_bin("openstack"))
        self.env = {**os.environ, "OS_CLOUD": CLOUD}
        self.calls = 0

    def __call__(self, *args: str) -> str:
        self.calls += 1
        res = subprocess.run(
            [self.exe, *args], env=self.env, capture_output=True, text=True, check=False
        )
        if res.returncode != 0:
            raise RuntimeError(f"openstack {' '.join(args)}: {res.stderr.strip()[-2000:]}")
        return res.stdout.strip()

    def make(self, *args: str) -> str:
        """A ``create`` command's new id."""
        return self(*args, "-f", "value", "-c", "id")


def cli_create(cli: Cli, made: Made, prefix: str, workdir: Path) -> None:
    """The secured lab by the CLI: networks, subnets, route, routers, groups, ports, servers
    (``server create --wait``), the floating IP."""
    s = lab_settings()

    def network(name: str, cidr: str, gateway: str) -> tuple[str, str]:
        n = made.add("network", cli.make("network", "create", name))
        sub = cli.make(
            "subnet", "create", "--network", n, "--subnet-range", cidr,
            "--gateway", gateway, f"{name}-subnet",
        )  # fmt: skip
        return n, made.add("subnet", sub)

    front, front_sub = network(f"{prefix}-frontend", s.frontend_cidr, s.frontend_gateway_ip)
    route = f"destination={s.backend_cidr},gateway={s.router_frontend_ip}"
    cli("subnet", "set", "--host-route", route, front_sub)
    back, back_sub = network(f"{prefix}-backend", s.backend_cidr, s.router_backend_ip)

    internal = made.add("router", cli.make("router", "create", f"{prefix}-internal"))
    for key, n, sub, ip in (
        ("frontend", front, front_sub, s.router_frontend_ip),
        ("backend", back, back_sub, s.router_backend_ip),
    ):
        port = cli.make(
            "port", "create", "--network", n, "--fixed-ip", f"subnet={sub},ip-address={ip}",
            f"{prefix}-internal-{key}",
        )  # fmt: skip
        cli("router", "add", "port", internal, port)
        made.add("router_port", port, router=internal)
    edge = made.add("router", cli.make("router", "create", f"{prefix}-edge"))
    cli("router", "set", "--external-gateway", s.external_network, edge)
    cli("router", "add", "subnet", edge, front_sub)
    made.add("router_subnet", front_sub, router=edge)

    def group(name: str, cidr: str, port: int) -> str:
        g = made.add("security_group", cli.make("security", "group", "create", name))
        cli.make(
            "security", "group", "rule", "create", "--ingress", "--ethertype", "IPv4",
            "--protocol", "tcp", "--dst-port", str(port), "--remote-ip", cidr, g,
        )  # fmt: skip
        return g

    gateway_groups = [group(f"{prefix}-gateway", c, s.public_port) for c in s.allowed_cidrs]
    operand_groups = {
        op: group(f"{prefix}-{op}", s.frontend_cidr, port) for op, port in s.service_ports.items()
    }

    def vm_port(name: str, n: str, sub: str, groups: list[str]) -> str:
        sg = [a for g in groups for a in ("--security-group", g)]
        return made.add(
            "port",
            cli.make("port", "create", "--network", n, "--fixed-ip", f"subnet={sub}", *sg, name),
        )

    operand_ports = {
        op: vm_port(f"{prefix}-{op}", back, back_sub, [operand_groups[op]])
        for op, _ in s.service_ports.items()
    }
    calc_port = vm_port(f"{prefix}-calculator", front, front_sub, gateway_groups)

    def boot(name: str, port: str, data: str) -> None:
        path = workdir / f"{name}.yaml"
        path.write_text(data)
        server = cli.make(
            "server", "create", "--image", s.image, "--flavor", s.flavor, "--port", port,
            "--user-data", str(path), "--wait", name,
        )  # fmt: skip
        made.add("server", server, name=name)

    ports = dict(s.service_ports.items())
    for op, port in operand_ports.items():
        boot(f"{prefix}-{op}", port, render_user_data(op, ports[op]))
    operand_ips = {
        op: cli("port", "show", port, "-f", "json", "-c", "fixed_ips")
        for op, port in operand_ports.items()
    }
    ips = {op: json.loads(text)["fixed_ips"][0]["ip_address"] for op, text in operand_ips.items()}
    boot(f"{prefix}-calculator", calc_port, calculator_user_data(s, ips))
    fip = made.add("floating_ip", cli.make("floating", "ip", "create", s.external_network))
    cli("floating", "ip", "set", "--port", calc_port, fip)


def cli_delete(cli: Cli, made: Made) -> None:
    """Everything again, one CLI command per resource, in dependency order."""
    for kind in DELETE_ORDER:
        for item in reversed(made.of(kind)):
            ident = item["id"]
            if kind == "floating_ip":
                cli("floating", "ip", "delete", ident)
            elif kind == "server":
                cli("server", "delete", "--wait", ident)
            elif kind == "port":
                cli("port", "delete", ident)
            elif kind == "router_subnet":
                cli("router", "remove", "subnet", item["router"], ident)
            elif kind == "router_port":
                cli("router", "remove", "port", item["router"], ident)
            elif kind == "router":
                cli("router", "delete", ident)
            elif kind == "security_group":
                cli("security", "group", "delete", ident)
            elif kind == "subnet":
                cli("subnet", "delete", ident)
            elif kind == "network":
                cli("network", "delete", ident)


# --------------------------------------------------------------------------- Pulumi side


class Pulumi:
    """A throwaway copy of the project with a file backend and the built openstack plugin in
    its own PULUMI_HOME (the repository and the user's state stay untouched)."""

    def __init__(self, tmp: Path) -> None:
        self.project = make_project(
            tmp, plugins=("openstack",), extra_env={"OS_CLOUD": CLOUD}, passphrase="cloudlab-bench"
        )
        self.workdir, self.env = self.project.workdir, self.project.env
        self.version = self.run("version").stdout.strip()
        self.project.stack(STACK, config_from="openstack")

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return self.project.run(*args, check=check, timeout=None)

    def timed(self, *args: str) -> float:
        start = time.perf_counter()
        self.run(*args)
        return time.perf_counter() - start

    def up_with_events(self, log: Path) -> tuple[float, dict[str, float], float]:
        """Seconds of a ``pulumi up --json``, and the wall-clock moment each instance was
        reported created (its engine event, stamped as the line arrives; ``--json`` streams
        the engine's events one per line; the largest lag between an event's own timestamp and
        its arrival is returned to show it). The raw stream is kept in ``log``."""
        seen: dict[str, float] = {}
        lag = 0.0
        start = time.perf_counter()
        with log.open("w") as raw:
            proc = subprocess.Popen(
                ["pulumi", "up", "--yes", "--skip-preview", "--json", "--non-interactive"],
                cwd=self.workdir,
                env=self.env,
                stdout=subprocess.PIPE,
                stderr=raw,
                text=True,
            )
            assert proc.stdout is not None
            for line in proc.stdout:
                now = time.time()
                raw.write(f"{now:.3f} {line}")
                with contextlib.suppress(ValueError, AttributeError, TypeError):
                    event = json.loads(line)
                    lag = max(lag, now - event["timestamp"] - 1)  # the stamp is whole seconds
                    meta = event.get("resOutputsEvent", {}).get("metadata", {})
                    if meta.get("type") == INSTANCE_TYPE:
                        seen.setdefault(meta["urn"], now)
            code = proc.wait()
        took = time.perf_counter() - start
        if code != 0:
            raise RuntimeError(f"pulumi up exited {code}: see {log}\n{log.read_text()[-3000:]}")
        return took, seen, lag

    def resources(self) -> list[dict[str, Any]]:
        state = json.loads(self.run("stack", "export").stdout)
        return state.get("deployment", {}).get("resources") or []

    def made(self, path: Path) -> Made:
        """The stack's cloud resources as a :class:`Made` (for clean-up and the leftover count)."""
        kinds = {
            INSTANCE_TYPE: "server",
            "openstack:networking/floatingIp:FloatingIp": "floating_ip",
            "openstack:networking/port:Port": "port",
            "openstack:networking/router:Router": "router",
            "openstack:networking/secGroup:SecGroup": "security_group",
            "openstack:networking/subnet:Subnet": "subnet",
            "openstack:networking/network:Network": "network",
        }
        made = Made(path)
        for res in self.resources():
            kind = kinds.get(res.get("type", ""))
            if kind and res.get("id"):
                made.add(kind, res["id"], urn=res["urn"])
            elif res.get("type") == "openstack:networking/routerInterface:RouterInterface":
                outputs = res.get("outputs", {})
                made.add("router_port", outputs.get("portId"), router=outputs.get("routerId"))
        return made


# --------------------------------------------------------------------------- one round


@dataclass
class ServerWait:
    """One server of ``pulumi up``: nova's clock (created_at, launched_at), the provider's
    status requests as nova-api logged them, and when the engine reported it created."""

    name: str
    created: float
    launched: float
    polls: list[float]
    reported: float

    def seen_by(self) -> float | None:
        """The status GET that found the server ACTIVE: the provider reads the server at once
        after it (resourceComputeInstanceV2Read), so it is the first GET followed by another
        within a second; the polls before it are 3 s or more apart."""
        for poll, following in zip(self.polls, self.polls[1:], strict=False):
            if following - poll < 1.0:
                return poll
        return None

    def line(self) -> str:
        """Offsets from the provider's first status request (its create call returned)."""
        if not self.polls:
            return f"{self.name}: no status request found in nova-api's log"
        t0 = self.polls[0]
        saw = self.seen_by()
        polls = " ".join(f"{p - t0:.1f}" for p in self.polls)
        saw_text = f"seen by the GET at +{saw - t0:.1f} s" if saw else "not seen by a GET"
        build = self.launched - self.created
        active, reported = self.launched - t0, self.reported - t0
        return (
            f"{self.name:<16} build {build:4.1f} s; status GETs at +[{polls}] s; ACTIVE at "
            f"+{active:.1f} s, {saw_text}; reported +{reported:.1f} s"
        )


def api_polls(server_ids: list[str], since: float) -> dict[str, list[float]]:
    """Per server, the times of ``GET /v2.1/servers/<id>`` in nova-api's request log since
    ``since``: the provider's status polls (the log's clock is UTC, as this machine's)."""
    from localcloud.openstack.layout import Layout

    log = Layout.default().log("nova-api")
    wanted = {f'"GET /v2.1/servers/{i}"': i for i in server_ids}
    out: dict[str, list[float]] = {i: [] for i in server_ids}
    with log.open(errors="replace") as lines:
        for line in lines:
            if "GET /v2.1/servers/" not in line:
                continue
            key = next((k for k in wanted if k in line), None)
            if key is None:
                continue
            with contextlib.suppress(ValueError):
                stamp = datetime.datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S.%f")
                when = stamp.replace(tzinfo=datetime.UTC).timestamp()
                if when >= since:
                    out[wanted[key]].append(when)
    return out


@dataclass
class Round:
    times: dict[str, float] = field(default_factory=dict)
    poll: list[ServerWait] = field(default_factory=list)
    """How the engine waited for each server of ``pulumi up``."""
    stream_lag: float = 0.0
    sdk_poll: dict[str, float] = field(default_factory=dict)
    """Per sdk server: the time from launched_at until the script saw it ACTIVE."""
    cli_calls: int = 0
    made: list[Made] = field(default_factory=list)
    """What each side made (the final leftover count looks for every server in them)."""


def launched(conn: Any, server_ids: list[str]) -> dict[str, tuple[str, float, float]]:
    """Per server id: name, created_at and launched_at (nova's own clock, epoch seconds)."""

    def epoch(text: str) -> float:
        value = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.UTC)
        return value.timestamp()

    out = {}
    for ident in server_ids:
        server = conn.compute.get_server(ident)
        out[ident] = (server.name, epoch(server.created_at), epoch(server.launched_at))
    return out


def one_round(conn: Any, work: Path, number: int) -> Round:
    r = Round()
    say = lambda msg: print(f"  [round {number}] {msg}", file=sys.stderr, flush=True)  # noqa: E731

    # 1. Pulumi: up, no-change up, destroy.
    tmp = work / f"pulumi-{number}"
    tmp.mkdir()
    say("pulumi: setting up a throwaway project and stack")
    pulumi = Pulumi(tmp)
    made_path = tmp / "pulumi.made.json"
    try:
        say("pulumi up")
        up_started = time.time()
        r.times["pulumi up"], seen, r.stream_lag = pulumi.up_with_events(tmp / "events.jsonl")
        made = pulumi.made(made_path)
        r.made.append(made)
        servers = launched(conn, [i["id"] for i in made.of("server")])
        polls = api_polls([i["id"] for i in made.of("server")], up_started)
        for item in made.of("server"):
            name, created, done = servers[item["id"]]
            if item["urn"] in seen:
                r.poll.append(
                    ServerWait(name, created, done, polls.get(item["id"], []), seen[item["urn"]])
                )
        say("pulumi up (no change)")
        r.times["pulumi up, no change"] = pulumi.timed("up", "--yes", "--skip-preview")
        say("pulumi destroy")
        r.times["pulumi destroy"] = pulumi.timed("destroy", "--yes", "--skip-preview")
    finally:
        # What the stack holds now (also after a failed up), plus what the last export saw.
        rest = Made.load(made_path)
        with contextlib.suppress(Exception):
            rest.items += pulumi.made(tmp / "pulumi-now.made.json").items
        if leftovers(conn, rest):
            say("cleaning up after pulumi")
            pulumi.run("destroy", "--yes", "--skip-preview", check=False)
            sdk_delete(conn, rest)
    print(f"  pulumi: {pulumi.version}", file=sys.stderr)

    # 2. openstacksdk, one process, one call after another.
    made_path = work / f"sdk-{number}.made.json"
    prefix = f"bench-sdk{number}"
    try:
        say("openstacksdk script: create")
        r.times["sdk create"] = run_sdk_child("sdk-create", made_path, prefix)
        made = Made.load(made_path)
        r.made.append(made)
        servers = launched(conn, [i["id"] for i in made.of("server")])
        for t in made.of("timing"):
            name, created, done = servers[t["id"]]
            r.sdk_poll[name] = t["seen_active"] - done
        say("openstacksdk script: delete")
        r.times["sdk delete"] = run_sdk_child("sdk-delete", made_path, prefix)
    finally:
        made = Made.load(made_path)
        if leftovers(conn, made):
            say("cleaning up after the sdk script")
            sdk_delete(conn, made)

    # 3. The openstack CLI, one command after another.
    made = Made(work / f"cli-{number}.made.json")
    r.made.append(made)
    cli = Cli()
    try:
        say("openstack CLI: create")
        start = time.perf_counter()
        cli_create(cli, made, f"bench-cli{number}", work)
        r.times["cli create"] = time.perf_counter() - start
        r.cli_calls = cli.calls
        say("openstack CLI: delete")
        start = time.perf_counter()
        cli_delete(cli, made)
        r.times["cli delete"] = time.perf_counter() - start
    finally:
        if leftovers(conn, made):
            say("cleaning up after the CLI")
            sdk_delete(conn, made)
    return r


# --------------------------------------------------------------------------- report


def report(rounds: list[Round], boot: float) -> None:
    def med(key: str) -> float:
        return statistics.median(r.times[key] for r in rounds)

    keys = list(rounds[0].times)
    print(f"\nlocal OpenStack, fake driver boot time {boot:g} s; {len(rounds)} round(s)")
    print(f"{'step':<24}" + "".join(f"{f'round {i + 1}':>10}" for i in range(len(rounds))))
    for key in keys:
        cells = "".join(f"{r.times[key]:>9.1f}s" for r in rounds)
        print(f"{key:<24}{cells}   median {med(key):.1f} s")
    up, sdk, cli = med("pulumi up"), med("sdk create"), med("cli create")
    print(
        f"\nratios (medians): pulumi up / sdk create = {up / sdk:.2f}   "
        f"pulumi up / cli create = {up / cli:.2f}"
    )
    print(
        f"no-change up / first up = {med('pulumi up, no change') / up:.2f}   "
        f"pulumi destroy / sdk delete = {med('pulumi destroy') / med('sdk delete'):.2f}   "
        f"cli create / sdk create = {cli / sdk:.2f}"
    )
    goal = "MET" if up <= 0.5 * sdk else "NOT met"
    print(f"goal pulumi up <= 0.5 x sdk create: {goal} ({up:.1f} s vs {0.5 * sdk:.1f} s)")
    print(f"CLI: {rounds[0].cli_calls} commands to create the lab")

    print("\nstatus polling of pulumi up (nova's clock: build = created_at -> launched_at; the")
    print("provider's GET /servers/<id> from nova-api's log, from its first one, i.e. its create")
    print("call's return; reported = the engine's event for the instance)")
    for i, r in enumerate(rounds):
        for wait in sorted(r.poll, key=lambda w: w.name):
            print(f"  round {i + 1} {wait.line()}")
        print(f"  round {i + 1} largest lag of the engine's event stream: {r.stream_lag:.1f} s")
    seen = [(w, w.seen_by()) for r in rounds for w in r.poll]
    slack = [saw - w.launched for w, saw in seen if saw is not None]
    after = [w.reported - saw for w, saw in seen if saw is not None]
    sdk_waits = [w for r in rounds for w in r.sdk_poll.values()]
    if slack:
        print(
            f"  launched_at -> the provider's GET that saw ACTIVE: mean "
            f"{statistics.mean(slack):.1f} s, max {max(slack):.1f} s; that GET -> the engine's "
            f"event: mean {statistics.mean(after):.1f} s"
        )
    if sdk_waits:
        print(
            f"  the sdk script (polling every {SDK_POLL_S:g} s) saw ACTIVE "
            f"+{statistics.mean(sdk_waits):.1f} s after launched_at on average"
        )
    print(
        "  why: terraform-provider-openstack v3.4.0 resourceComputeInstanceV2Create waits with\n"
        "  retry.StateChangeConf{Pending: BUILD, Target: ACTIVE, Delay: 0, MinTimeout: 3s,\n"
        "  Timeout: d.Timeout(create)=30m}; the SDK's back-off doubles the wait from 3 s to a\n"
        "  10 s cap, so nova is polled at 0, 3, 9, 19, 29... s. Neither the provider's config\n"
        "  nor customTimeouts sets Delay/MinTimeout/PollInterval: customTimeouts only sets\n"
        "  Timeout, so it can make the wait fail sooner, never poll sooner."
    )


# --------------------------------------------------------------------------- main


def sweep_previous_runs(conn: Any) -> None:
    """Delete what an earlier run that died left in the cloud (its lists of what it made)."""
    if not WORK_DIR.exists():
        return
    for run in sorted(WORK_DIR.iterdir()):
        made = Made(run / "swept.made.json")
        for path in run.rglob("*.made.json"):
            with contextlib.suppress(ValueError):
                made.items += [i for i in Made.load(path).items if isinstance(i, dict)]
        if leftovers(conn, made):
            print(f"cleaning up what {run} left: {leftovers(conn, made)}", file=sys.stderr)
            sdk_delete(conn, made)
        if leftovers(conn, made):
            sys.exit(f"could not delete what {run} left: {leftovers(conn, made)}")
        shutil.rmtree(run)


def interrupted(signum: int, frame: Any) -> None:
    """SIGTERM unwinds like Ctrl-C, so that the clean-up blocks run."""
    raise KeyboardInterrupt(f"signal {signum}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument(
        "--boot-seconds",
        type=float,
        default=0.0,
        help="the fake driver's boot time for this run (nova-compute is restarted if it differs)",
    )
    parser.add_argument("--child", choices=("sdk-create", "sdk-delete"), help=argparse.SUPPRESS)
    parser.add_argument("--made", help=argparse.SUPPRESS)
    parser.add_argument("--prefix", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_main(args)
        return

    signal.signal(signal.SIGTERM, interrupted)
    ensure_cloud_up()
    print(f"machine: {machine()}")
    before = configured_boot_seconds()
    conn = connect()
    already = len(list(conn.compute.servers()))
    print(f"servers in project cloudlab before the run (not ours): {already}")
    sweep_previous_runs(conn)
    rounds: list[Round] = []
    work = WORK_DIR / datetime.datetime.now(datetime.UTC).strftime("run-%Y%m%dT%H%M%S")
    work.mkdir(parents=True)
    try:
        if before != args.boot_seconds:
            print(f"restarting nova-compute: boot time {before} -> {args.boot_seconds:g} s")
            set_boot_seconds(args.boot_seconds)
        for number in range(1, args.rounds + 1):
            rounds.append(one_round(conn, work, number))
    finally:
        if before is not None and before != args.boot_seconds:
            print(f"restoring nova-compute's boot time {before:g} s", file=sys.stderr)
            set_boot_seconds(before)
    report(rounds, args.boot_seconds)
    ours = [i["id"] for r in rounds for m in r.made for i in m.of("server")]
    left = [i for i in ours if conn.compute.find_server(i, ignore_missing=True) is not None]
    print(f"\nservers made by this run: {len(ours)}; left in project cloudlab: {len(left)} {left}")
    print(f"machine at the end: {machine()}")
    if left:
        sys.exit(1)
    shutil.rmtree(work)


if __name__ == "__main__":
    if "--child" in sys.argv:
        main()  # one timed step of a run: its output is the parent's, not a report of its own
    else:
        title = "OpenStack: pulumi up against openstacksdk and the openstack CLI"
        with fragment("openstack", title), contextlib.suppress(BrokenPipeError):
            main()
