"""The k8s-workload stack for real: the kubernetes plugin against the local control plane.

``pulumi preview`` and ``up`` of the FastAPI workload, then the facts through the Kubernetes API
itself (the official Python client), never through Pulumi: the Deployment available with its
replicas all bound to the configured worker by the real scheduler, probes, requests and limits;
both Services with the lab's ports. Then a second ``up`` that changes nothing, a scale made with
the API that ``refresh`` shows and ``up`` repairs, the edge migration end to end (the decision
fed by latencies measured against two small servers on 127.0.0.1 standing in for the workers'
NodePorts, since kwok's pods serve no traffic; the Automation API sets the placement and runs
``up``; the pods move to worker2), the policy pack on a real preview and on a violating program,
and ``destroy`` leaving nothing.

The tests share one deployment and run in file order. Needs ``make toolchain`` (the engine and
the kubernetes plugin) and the local control plane (started by the session fixture when down);
without them they fail.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml
from kubernetes import client, config
from pulumi import automation as auto

from components.kubernetes.settings import Resources, WorkloadSettings
from edge.cli import main as edge_main
from localcloud import k8s as local_k8s
from tests.engine.pulumi_project import REPO, PulumiProject, make_project, toolchain_bin

pytestmark = [pytest.mark.engine, pytest.mark.usefixtures("local_k8s")]

STACK = "workload"
IMAGE = "cloudlab/fastapi-app:1.0"  # kwok runs pods without pulling anything
POLICY = str(REPO / "policy")
DEFAULTS = WorkloadSettings(image=IMAGE)


@pytest.fixture(scope="module")
def api() -> Iterator[tuple[client.AppsV1Api, client.CoreV1Api]]:
    api_client = config.new_client_from_config(config_file=str(local_k8s.kubeconfig_path()))
    yield client.AppsV1Api(api_client), client.CoreV1Api(api_client)
    api_client.close()


def configure(project: PulumiProject, stack: str, **values: object) -> None:
    """Merge ``values`` into the stack's config file (``cloudlab:`` keys)."""
    path = project.workdir / f"Pulumi.{stack}.yaml"
    document = yaml.safe_load(path.read_text())
    settings = document.setdefault("config", {})
    for key, value in values.items():
        if isinstance(value, dict) and isinstance(settings.get(f"cloudlab:{key}"), dict):
            settings[f"cloudlab:{key}"].update(value)
        else:
            settings[f"cloudlab:{key}"] = value
    path.write_text(yaml.safe_dump(document))


class Latency(BaseHTTPRequestHandler):
    """A worker's NodePort as the edge command sees it: answers after ``delay`` seconds."""

    delay = 0.0

    def do_GET(self) -> None:
        time.sleep(self.delay)
        body = b'{"hello":"world"}'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        del args


@pytest.fixture(scope="module")
def workers() -> Iterator[dict[str, str]]:
    """worker1 answers in ~60 ms, worker2 in ~1 ms: worker2 is the closer one."""
    servers = []
    for delay in (0.06, 0.001):
        handler = type("Worker", (Latency,), {"delay": delay})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    try:
        yield {
            f"worker{i}": f"http://127.0.0.1:{s.server_address[1]}/"
            for i, s in enumerate(servers, 1)
        }
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


@pytest.fixture(scope="module")
def workload(
    tmp_path_factory: pytest.TempPathFactory, workers: dict[str, str]
) -> Iterator[PulumiProject]:
    project = make_project(tmp_path_factory.mktemp("k8s-workload"), plugins=("kubernetes",))
    project.stack(STACK, config_from="k8s-workload")
    configure(
        project,
        STACK,
        kubeconfigPath=str(local_k8s.kubeconfig_path()),
        workload={"image": IMAGE},
        workerUrls=workers,
    )
    try:
        yield project
    finally:
        project.run("destroy", "--yes", "--stack", STACK, check=False)


def pods(core: client.CoreV1Api) -> list[client.V1Pod]:
    selector = f"app={DEFAULTS.app_name}"
    return [
        p
        for p in core.list_namespaced_pod(DEFAULTS.namespace, label_selector=selector).items
        if p.metadata.deletion_timestamp is None
    ]


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.5)


def test_preview_plans_six_resources(workload: PulumiProject) -> None:
    res = workload.run("preview", "--stack", STACK, "--json")
    creates = [s for s in json.loads(res.stdout)["steps"] if s["op"] == "create"]
    types = sorted(s["urn"].split("::")[2].split("$")[-1] for s in creates)
    assert types.count("kubernetes:core/v1:Service") == 2
    assert types.count("kubernetes:apps/v1:Deployment") == 1
    assert "pulumi:providers:kubernetes" in types


def test_up_deploys_the_app_on_worker1(
    workload: PulumiProject, api: tuple[client.AppsV1Api, client.CoreV1Api]
) -> None:
    apps, core = api
    workload.run("up", "--yes", "--stack", STACK)
    deployment = apps.read_namespaced_deployment(DEFAULTS.app_name, DEFAULTS.namespace)
    assert deployment.spec.replicas == 3
    assert deployment.status.available_replicas == 3
    running = pods(core)
    assert len(running) == 3
    assert {p.spec.node_name for p in running} == {"worker1"}
    assert all(p.status.phase == "Running" for p in running)


def test_probes_requests_and_limits(api: tuple[client.AppsV1Api, client.CoreV1Api]) -> None:
    apps, _ = api
    deployment = apps.read_namespaced_deployment(DEFAULTS.app_name, DEFAULTS.namespace)
    (container,) = deployment.spec.template.spec.containers
    assert container.image == IMAGE
    assert [(p.name, p.container_port) for p in container.ports] == [("http", 5000)]
    for probe in (container.readiness_probe, container.liveness_probe):
        assert (probe.http_get.path, probe.http_get.port) == (DEFAULTS.probe_path, "http")
    r = Resources()
    assert container.resources.requests == {"cpu": r.cpu_request, "memory": r.memory_request}
    assert container.resources.limits == {"cpu": r.cpu_limit, "memory": r.memory_limit}
    terms = deployment.spec.template.spec.affinity.node_affinity
    term = terms.required_during_scheduling_ignored_during_execution.node_selector_terms[0]
    assert [(e.key, e.values) for e in term.match_expressions] == [
        ("kubernetes.io/hostname", ["worker1"])
    ]


def test_services_with_the_labs_ports(api: tuple[client.AppsV1Api, client.CoreV1Api]) -> None:
    _, core = api
    cluster_ip = core.read_namespaced_service(
        f"{DEFAULTS.app_name}-clusterip-service", DEFAULTS.namespace
    )
    node_port = core.read_namespaced_service(f"{DEFAULTS.app_name}-service", DEFAULTS.namespace)
    assert cluster_ip.spec.type == "ClusterIP"
    assert [(p.port, p.target_port) for p in cluster_ip.spec.ports] == [(80, 5000)]
    assert node_port.spec.type == "NodePort"
    assert [(p.port, p.target_port, p.node_port) for p in node_port.spec.ports] == [
        (80, 5000, 31114)
    ]
    selector = {"app": DEFAULTS.app_name}
    assert selector.items() <= node_port.spec.selector.items()


def test_second_up_changes_nothing(workload: PulumiProject) -> None:
    workload.run("up", "--yes", "--expect-no-changes", "--stack", STACK)


def test_drift_is_shown_by_refresh_and_repaired_by_up(
    workload: PulumiProject, api: tuple[client.AppsV1Api, client.CoreV1Api]
) -> None:
    apps, core = api
    apps.patch_namespaced_deployment_scale(
        DEFAULTS.app_name, DEFAULTS.namespace, {"spec": {"replicas": 1}}
    )
    wait_for(lambda: len(pods(core)) == 1, "the scale-down to one pod")
    preview = workload.run("preview", "--refresh", "--stack", STACK, "--json")
    steps = json.loads(preview.stdout)["steps"]
    changed = [s for s in steps if s["op"] in ("update", "replace")]
    assert [s["urn"].rsplit("::", 1)[-1] for s in changed] == ["fastapi-app-deployment"], steps
    workload.run("refresh", "--yes", "--stack", STACK)
    workload.run("up", "--yes", "--stack", STACK)
    assert (
        apps.read_namespaced_deployment_scale(DEFAULTS.app_name, DEFAULTS.namespace).spec.replicas
        == 3
    )
    wait_for(lambda: len(pods(core)) == 3, "three pods again")


def test_edge_migration_moves_the_pods_to_worker2(
    workload: PulumiProject, api: tuple[client.AppsV1Api, client.CoreV1Api]
) -> None:
    """``python -m edge migrate``: measured latencies, the hysteresis, the Automation API."""
    _, core = api
    bin_dir = toolchain_bin()

    def open_stack(name: str) -> auto.Stack:
        return auto.select_stack(
            stack_name=name,
            work_dir=str(workload.workdir),
            opts=auto.LocalWorkspaceOptions(
                env_vars={k: v for k, v in workload.env.items() if k.startswith("PULUMI_")},
                pulumi_command=auto.PulumiCommand(
                    root=str(bin_dir.parent), skip_version_check=True
                ),
            ),
        )

    out = io.StringIO()
    argv = ["migrate", "--stack", STACK, "--rounds", "4", "--interval", "0", "--requests", "3"]
    assert edge_main(argv, stack_factory=open_stack, out=out) == 0
    text = out.getvalue()
    rounds = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    assert len(rounds) == 4 and all(r["worker1"] > r["worker2"] for r in rounds), text
    assert "placement worker1 -> worker2 applied" in text, text
    assert workload.output("placement", STACK) == "worker2"
    wait_for(
        lambda: {p.spec.node_name for p in pods(core)} == {"worker2"} and len(pods(core)) == 3,
        "the pods to move to worker2",
    )


def test_policy_pack_on_a_real_preview(workload: PulumiProject) -> None:
    res = workload.run("preview", "--stack", STACK, "--policy-pack", POLICY)
    assert "cloudlab-guardrails@v1.0.0" in res.stdout
    assert "[mandatory]" not in res.stdout, res.stdout[-3000:]


def test_policy_pack_refuses_a_violating_workload(
    tmp_path: Path, workload: PulumiProject, api: tuple[client.AppsV1Api, client.CoreV1Api]
) -> None:
    """The workload's settings refuse what the pack forbids, so the pack is proven on a small
    program that declares it anyway (no limits, the host's network) against the real API."""
    apps, _ = api
    workdir = tmp_path / "violating-k8s"
    shutil.copytree(REPO / "tests" / "fixtures" / "violating_k8s", workdir)
    (workdir / "venv").symlink_to(REPO / "venv")
    env = {
        **workload.env,
        "KUBECONFIG": str(local_k8s.kubeconfig_path()),
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    project = PulumiProject(workdir, env)
    project.run("stack", "init", "bad")
    res = project.run("preview", "--stack", "bad", "--policy-pack", POLICY, check=False)
    out = res.stdout + res.stderr
    assert res.returncode != 0, out[-3000:]
    assert "[mandatory]  kubernetes-workloads-bounded" in out, out[-3000:]
    assert "has no cpu and memory limit" in out, out[-3000:]
    assert "sets hostNetwork: true" in out, out[-3000:]
    names = [d.metadata.name for d in apps.list_namespaced_deployment("default").items]
    assert "violating" not in names  # a preview creates nothing


def test_destroy_leaves_nothing(
    workload: PulumiProject, api: tuple[client.AppsV1Api, client.CoreV1Api]
) -> None:
    apps, core = api
    workload.run("destroy", "--yes", "--stack", STACK)
    assert DEFAULTS.app_name not in [
        d.metadata.name for d in apps.list_namespaced_deployment(DEFAULTS.namespace).items
    ]
    services = [s.metadata.name for s in core.list_namespaced_service(DEFAULTS.namespace).items]
    assert not [s for s in services if s.startswith(DEFAULTS.app_name)]
    wait_for(lambda: not pods(core), "the pods to go")


def test_the_local_stack_file_previews_against_the_local_cluster(tmp_path: Path) -> None:
    """``Pulumi.k8s-local.yaml``, what the session of docs/this-machine.md deploys, as committed."""
    project = make_project(tmp_path, plugins=("kubernetes",))
    project.stack("k8s-local", config_from="k8s-local")
    res = project.run("preview", "--stack", "k8s-local", "--json")
    steps = json.loads(res.stdout)["steps"]
    assert sum(s["op"] == "create" for s in steps) == 6, steps
