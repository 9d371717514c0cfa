"""A fake Proxmox VE API on 127.0.0.1: the few endpoints the autonomic manager uses.

A threaded HTTPS server (stdlib ``http.server``) over an in-memory cluster: nodes with a
memory size and a base load, LXC containers whose memory counts while they run. Auth is a
ticket (``POST /access/ticket``, cookie + CSRF header) or an API token header. Operations
return a UPID; the task reports ``running`` for ``task_polls`` status polls, then
``stopped``, and only then takes effect. Faults can be queued per operation: an HTTP error
on submission, a task that fails, a task that never ends.
"""

from __future__ import annotations

import json
import secrets
import ssl
import subprocess
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

MiB = 1024**2
GiB = 1024**3
OPERATIONS = ("create", "start", "stop", "migrate", "delete")


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (its own CA), made with the openssl CLI."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    command = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1"
    command += " -addext subjectAltName=IP:127.0.0.1"
    subprocess.run(
        [*command.split(), "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    return cert, key


@dataclass
class Node:
    name: str
    mem_total: int
    base_used: int
    online: bool = True


@dataclass
class Ct:
    vmid: int
    node: str
    hostname: str
    maxmem: int
    status: str = "stopped"
    load: float = 1.0
    """Fraction of ``maxmem`` in use while running."""
    params: dict[str, str] = field(default_factory=dict)

    @property
    def mem(self) -> int:
        return int(self.maxmem * self.load) if self.status == "running" else 0


@dataclass
class Task:
    upid: str
    node: str
    op: str
    vmid: int
    polls_left: float
    apply: Any
    """Callable returning ``None`` (done) or an error message (the task fails)."""
    status: str = "running"
    exitstatus: str | None = None
    forced_error: str | None = None


@dataclass
class Fault:
    """``http`` (submission answered with ``code``), ``lost`` (the submission is accepted and
    its task runs, but the answer is ``code``, as when a proxy times out on a request the
    server went on with), ``task`` (task fails), ``hang``, or, as the fault of the op
    ``status``, a task-status poll answered with ``code``."""

    kind: str
    message: str = "injected failure"
    code: int = 500


class FakeProxmox:
    """The cluster model and its HTTPS server. ``url`` is set once :meth:`start` ran."""

    def __init__(
        self,
        nodes: dict[str, tuple[int, int]] | None = None,
        *,
        user: str = "root@pam",
        password: str = "lab-password",
        token_id: str = "cloudlab",
        token_secret: str = "0000-fake-secret",
        task_polls: int = 1,
    ) -> None:
        nodes = nodes or {"srv-px1": (16 * GiB, 1 * GiB), "srv-px2": (16 * GiB, 1 * GiB)}
        self.nodes = {name: Node(name, total, used) for name, (total, used) in nodes.items()}
        self.cts: dict[int, Ct] = {}
        self.tasks: dict[str, Task] = {}
        self.faults: dict[str, list[Fault]] = defaultdict(list)
        self.submitted: list[tuple[str, int, str]] = []
        """Every operation accepted, in order: (op, vmid, node)."""
        self.requests: list[tuple[str, str]] = []
        self.user, self.password = user, password
        self.token = f"{user}!{token_id}={token_secret}"
        self.tickets: dict[str, str] = {}
        self.task_polls = task_polls
        self.lock = threading.RLock()
        self._pid = 0x1000
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    # --- the model, for tests -------------------------------------------------------------

    def used(self, node: str) -> int:
        with self.lock:
            n = self.nodes[node]
            return n.base_used + sum(c.mem for c in self.cts.values() if c.node == node)

    def usage(self, node: str) -> float:
        return self.used(node) / self.nodes[node].mem_total

    def add_ct(self, vmid: int, node: str, *, mem_mib: int = 512, running: bool = True) -> Ct:
        with self.lock:
            ct = Ct(vmid, node, f"ct{vmid}", mem_mib * MiB, "running" if running else "stopped")
            self.cts[vmid] = ct
            return ct

    def on(self, node: str) -> list[int]:
        with self.lock:
            return sorted(v for v, c in self.cts.items() if c.node == node)

    def running(self) -> list[int]:
        with self.lock:
            return sorted(v for v, c in self.cts.items() if c.status == "running")

    def inject(self, op: str, fault: Fault, times: int = 1) -> None:
        assert op in (*OPERATIONS, "status", "tasks"), op
        with self.lock:
            self.faults[op].extend([fault] * times)

    def count(self, op: str, vmid: int | None = None) -> int:
        return sum(1 for o, v, _ in self.submitted if o == op and vmid in (None, v))

    # --- server ----------------------------------------------------------------------------

    def start(self, cert: Path, key: Path) -> str:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        self.url = f"https://127.0.0.1:{self._server.server_address[1]}/"
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    # --- API -------------------------------------------------------------------------------

    def handle(self, method: str, parts: list[str], form: dict[str, str]) -> tuple[int, Any]:
        with self.lock:
            self.requests.append((method, "/".join(parts)))
            match (method, parts):
                case ("GET", ["nodes"]):
                    return 200, [self._node_entry(n) for n in self.nodes.values()]
                case (_, ["nodes", node, *_]) if node not in self.nodes:
                    return 500, f"hostname lookup '{node}' failed"
                case (_, ["nodes", node, *_]) if not self.nodes[node].online:
                    return 595, f"no route to host {node}"
                case ("GET", ["nodes", node, "status"]):
                    n = self.nodes[node]
                    used = self.used(node)
                    memory = {"used": used, "total": n.mem_total, "free": n.mem_total - used}
                    return 200, {"memory": memory, "uptime": 1234}
                case ("GET", ["nodes", node, "lxc"]):
                    return 200, [self._ct_entry(c) for c in self.cts.values() if c.node == node]
                case ("POST", ["nodes", node, "lxc"]):
                    return self._create(node, form)
                case ("GET", ["nodes", node, "lxc", vmid, "status", "current"]):
                    ct = self._ct(node, vmid)
                    return (200, self._ct_entry(ct)) if ct else self._no_ct(node, vmid)
                case ("POST", ["nodes", node, "lxc", vmid, "status", ("start" | "stop") as op]):
                    return self._operate(op, node, vmid, form)
                case ("POST", ["nodes", node, "lxc", vmid, "migrate"]):
                    return self._operate("migrate", node, vmid, form)
                case ("DELETE", ["nodes", node, "lxc", vmid]):
                    return self._operate("delete", node, vmid, form)
                case ("GET", ["nodes", node, "tasks", upid, "status"]):
                    return self._task_status(upid)
                case ("GET", ["nodes", node, "tasks"]):  # PVE's task list, by vmid if asked
                    fault = self._fault("tasks")
                    if fault is not None and fault.kind != "ok":  # "ok": this one goes through
                        return fault.code, fault.message
                    vmid = form.get("vmid")
                    return 200, [
                        {"upid": t.upid, "node": t.node, "type": t.op, "status": t.status,
                         "id": str(t.vmid)}
                        for t in self.tasks.values()
                        if t.node == node and (vmid is None or str(t.vmid) == vmid)
                    ]  # fmt: skip
            return 501, f"Method '{method} /{'/'.join(parts)}' not implemented"

    def _node_entry(self, n: Node) -> dict[str, Any]:
        status = "online" if n.online else "offline"
        return {"node": n.name, "status": status, "mem": self.used(n.name), "maxmem": n.mem_total}

    def _ct_entry(self, c: Ct) -> dict[str, Any]:
        return {
            "vmid": c.vmid,
            "name": c.hostname,
            "status": c.status,
            "mem": c.mem,
            "maxmem": c.maxmem,
            "type": "lxc",
        }

    def _ct(self, node: str, vmid: str) -> Ct | None:
        ct = self.cts.get(int(vmid)) if vmid.isdigit() else None
        return ct if ct is not None and ct.node == node else None

    def _no_ct(self, node: str, vmid: str) -> tuple[int, str]:
        return 500, f"Configuration file 'nodes/{node}/lxc/{vmid}.conf' does not exist"

    def _fault(self, op: str) -> Fault | None:
        return self.faults[op].pop(0) if self.faults[op] else None

    def _upid(self, node: str, op: str, vmid: int) -> str:
        self._pid += 1
        kind = {"create": "vzcreate", "start": "vzstart", "stop": "vzstop"}.get(op, f"vz{op}")
        return f"UPID:{node}:{self._pid:08X}:{self._pid:08X}:65F0A1B2:{kind}:{vmid}:{self.user}:"

    def _submit(self, op: str, node: str, vmid: int, apply: Any) -> tuple[int, Any]:
        fault = self._fault(op)
        if fault is not None and fault.kind == "http":
            return fault.code, fault.message
        self.submitted.append((op, vmid, node))
        upid = self._upid(node, op, vmid)
        polls = float("inf") if fault is not None and fault.kind == "hang" else self.task_polls
        forced = fault.message if fault is not None and fault.kind == "task" else None
        self.tasks[upid] = Task(upid, node, op, vmid, polls, apply, forced_error=forced)
        if polls == 0:
            self._finish(self.tasks[upid])
        if fault is not None and fault.kind == "lost":
            return fault.code, fault.message
        return 200, upid

    def _finish(self, task: Task) -> None:
        error = task.forced_error or task.apply()
        task.status = "stopped"
        task.exitstatus = "OK" if error is None else error

    def _task_status(self, upid: str) -> tuple[int, Any]:
        fault = self._fault("status")
        if fault is not None:
            return fault.code, fault.message
        task = self.tasks.get(upid)
        if task is None:
            return 500, f"no such task '{upid}'"
        if task.status == "running":
            task.polls_left -= 1
            if task.polls_left < 0:
                self._finish(task)
        out = {"upid": upid, "node": task.node, "status": task.status, "type": task.op}
        if task.exitstatus is not None:
            out["exitstatus"] = task.exitstatus
        return 200, out

    def _create(self, node: str, form: dict[str, str]) -> tuple[int, Any]:
        vmid = int(form.get("vmid", "0"))
        if not 100 <= vmid <= 999_999_999:
            return 400, "vmid: value must be between 100 and 999999999"
        if vmid in self.cts:
            return 500, f"CT {vmid} already exists on node '{self.cts[vmid].node}'"
        for required in ("ostemplate", "hostname", "memory"):
            if required not in form:
                return 400, f"{required}: property is missing"

        def apply() -> str | None:
            if vmid in self.cts:
                return f"CT {vmid} already exists"
            ct = Ct(vmid, node, form["hostname"], int(form["memory"]) * MiB, params=dict(form))
            self.cts[vmid] = ct
            return None

        return self._submit("create", node, vmid, apply)

    def _operate(self, op: str, node: str, vmid: str, form: dict[str, str]) -> tuple[int, Any]:
        ct = self._ct(node, vmid)
        if ct is None:
            return self._no_ct(node, vmid)
        if op == "migrate" and form.get("target") not in self.nodes:
            return 400, f"target: no such node {form.get('target')!r}"

        def apply() -> str | None:
            if op == "start":
                if ct.status == "running":
                    return "CT already running"
                ct.status = "running"
            elif op == "stop":
                if ct.status != "running":
                    return "CT not running"
                ct.status = "stopped"
            elif op == "migrate":
                if ct.status == "running":
                    return "CT is running - use online migration (--restart)"
                ct.node = form["target"]
            elif op == "delete":
                if ct.status == "running":
                    return f"CT {ct.vmid} is running - destroy failed"
                del self.cts[ct.vmid]
            return None

        return self._submit(op, node, ct.vmid, apply)

    # --- auth ------------------------------------------------------------------------------

    def login(self, form: dict[str, str]) -> tuple[int, Any]:
        if form.get("username") != self.user or form.get("password") != self.password:
            return 401, "authentication failure"
        ticket = f"PVE:{self.user}:{secrets.token_hex(8)}"
        csrf = secrets.token_hex(8)
        with self.lock:
            self.tickets[ticket] = csrf
        return 200, {"ticket": ticket, "CSRFPreventionToken": csrf, "username": self.user}

    def authorised(self, method: str, headers: Any) -> bool:
        if headers.get("Authorization") == f"PVEAPIToken={self.token}":
            return True
        cookies = dict(
            part.strip().split("=", 1)
            for part in (headers.get("Cookie") or "").split(";")
            if "=" in part
        )
        ticket = unquote(cookies.get("PVEAuthCookie", ""))
        with self.lock:
            csrf = self.tickets.get(ticket)
        if csrf is None:
            return False
        return method == "GET" or headers.get("CSRFPreventionToken") == csrf


class _Handler(BaseHTTPRequestHandler):
    fake: FakeProxmox
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        query = {**parse_qs(url.query), **parse_qs(body)}
        form = {k: v[-1] for k, v in query.items()}
        parts = [unquote(p) for p in url.path.split("/") if p]
        if parts[:2] != ["api2", "json"]:
            self._reply(404, "not found")
            return
        parts = parts[2:]
        if method == "POST" and parts == ["access", "ticket"]:
            self._reply(*self.fake.login(form))
        elif not self.fake.authorised(method, self.headers):
            self._reply(401, "permission denied - invalid PVE ticket")
        else:
            self._reply(*self.fake.handle(method, parts, form))

    def _reply(self, code: int, data: Any) -> None:
        if code == 200:
            payload = json.dumps({"data": data}).encode()
            self.send_response(200)
        else:
            payload = json.dumps({"data": None, "message": str(data)}).encode()
            self.send_response(code, str(data))
        self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")
