"""From ``pulumi up``'s start to the first ``result = 22`` at the floating IP, on the local
OpenStack with its data plane, side by side in one run with the sequential openstacksdk script of
``bench.bench_openstack`` (same lab, each server waited ACTIVE) waiting for the same answer.

Both sides are checked from an "outside" network namespace on the public network (its only
route), as the tests do. Also printed: the local cloud's memory (PSS of its processes, and the
lab's containers), and with ``--cold`` its cold start (a fresh state directory, the cloud must be
down first; the venv, the apt packages and the server image are kept).

Run: ``make bench-openstack-dataplane`` (needs ``make toolchain`` and ``make openstack``).
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.bench_openstack import (
    ROOT,
    WORK_DIR,
    Made,
    Pulumi,
    connect,
    ensure_cloud_up,
    leftovers,
    machine,
    run_sdk_child,
    sdk_delete,
)
from bench.report import fragment
from localcloud.openstack.outside import Outside

ANSWER = "result = 22"
WAIT_S = 600
POLL_S = 1.0
CONTAINER_LABEL = "cloudlab.openstack.instance"


def first_answer(conn: Any, outside: Outside, start: float, done: threading.Event) -> float | None:
    """Seconds from ``start`` to the first ``result = 22`` at the project's floating IP."""
    deadline = start + WAIT_S
    while time.perf_counter() < deadline:
        ips = [i.floating_ip_address for i in conn.network.ips(project_id=conn.current_project_id)]
        if len(ips) == 1:
            reply = outside.post(ips[0], 50005, timeout=3)
            if reply.stdout.strip() == ANSWER:
                return time.perf_counter() - start
        elif done.is_set() and not ips:
            return None  # the side finished without a floating IP: nothing will answer
        time.sleep(POLL_S)
    return None


def containers_mib() -> float:
    """Memory the lab's containers use (Docker's own accounting), in MiB."""
    out = subprocess.run(
        ["docker", "ps", "-q", "--filter", f"label={CONTAINER_LABEL}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    if not out:
        return 0.0
    stats = subprocess.run(
        ["docker", "stats", "--no-stream", "--format", "{{.MemUsage}}", *out],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    units = {"B": 1 / 2**20, "KiB": 1 / 1024, "MiB": 1, "GiB": 1024}
    total = 0.0
    for line in stats:
        match = re.match(r"([0-9.]+)([A-Za-z]+)", line.split("/")[0].strip())
        if match:
            total += float(match.group(1)) * units.get(match.group(2), 1)
    return total


def cloud_pss_mib() -> float:
    from localcloud.openstack import status

    return sum(row.pss_kib for row in status()) / 1024


def pulumi_side(conn: Any, outside: Outside, work: Path) -> tuple[float | None, float, float]:
    """(first answer, pulumi up's own duration, lab containers' MiB); destroyed after."""
    (work / "pulumi").mkdir()
    project = Pulumi(work / "pulumi")
    done = threading.Event()
    took: list[float] = []

    def up() -> None:
        t0 = time.perf_counter()
        try:
            project.run("up", "--yes", "--skip-preview", "--non-interactive")
        finally:
            took.append(time.perf_counter() - t0)
            done.set()

    start = time.perf_counter()
    thread = threading.Thread(target=up)
    thread.start()
    try:
        answer = first_answer(conn, outside, start, done)
        thread.join()
        memory = containers_mib()
    finally:
        thread.join()
        project.run("destroy", "--yes", "--skip-preview", "--non-interactive", check=False)
    return answer, took[0] if took else float("nan"), memory


def sdk_side(conn: Any, outside: Outside, work: Path) -> tuple[float | None, float]:
    """(first answer, the script's own duration); everything deleted after."""
    made_path = work / "sdk.made.json"
    done = threading.Event()
    took: list[float] = []

    def create() -> None:
        try:
            took.append(run_sdk_child("sdk-create", made_path, "bdp"))
        finally:
            done.set()

    start = time.perf_counter()
    thread = threading.Thread(target=create)
    thread.start()
    try:
        answer = first_answer(conn, outside, start, done)
        thread.join()
    finally:
        thread.join()
        sdk_delete(conn, Made.load(made_path))
    left = leftovers(conn, Made.load(made_path))
    if left:
        sys.exit(f"the openstacksdk side left {left}")
    return answer, took[0] if took else float("nan")


def cold_start() -> float:
    """Seconds of ``python -m localcloud.openstack up`` on an empty state directory (then down
    and removed). The cloud must be down: its ports are fixed."""
    from localcloud.openstack import is_up

    if is_up():
        sys.exit("--cold needs the local OpenStack down first (make openstack-down)")
    state = Path(tempfile.mkdtemp(prefix="cloudlab-cold-"))
    env = {**os.environ, "CLOUDLAB_OPENSTACK_STATE": str(state / "openstack")}
    command = [sys.executable, "-m", "localcloud.openstack"]
    try:
        start = time.perf_counter()
        subprocess.run([*command, "up"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        took = time.perf_counter() - start
        print(f"cloud PSS right after a cold start: {cloud_pss_with(env):.0f} MiB")
    finally:
        subprocess.run([*command, "down"], cwd=ROOT, env=env, check=False)
        shutil.rmtree(state, ignore_errors=True)
    return took


def cloud_pss_with(env: dict[str, str]) -> float:
    out = subprocess.run(
        [sys.executable, "-m", "localcloud.openstack", "status"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    for line in out.splitlines():
        if "memory (PSS" in line:
            return float(line.rsplit(":", 1)[1].split()[0])
    return float("nan")


def fmt(seconds: float | None) -> str:
    return "no answer" if seconds is None else f"{seconds:6.1f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold", action="store_true", help="only measure a cold start")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    if args.cold:
        print(f"cold start of the local OpenStack with its data plane: {cold_start():.1f} s")
        return
    ensure_cloud_up()
    conn = connect()
    if list(conn.compute.servers()):
        sys.exit("the lab's project already holds servers: the bench needs it empty")
    work = WORK_DIR / datetime.datetime.now(datetime.UTC).strftime("dataplane-%Y%m%dT%H%M%S")
    work.mkdir(parents=True)
    outside = Outside(name="cl-bench-out", address="100.64.24.6").create()
    try:
        idle = cloud_pss_mib()
        p_answer, p_up, p_mem = pulumi_side(conn, outside, work)
        s_answer, s_script = sdk_side(conn, outside, work)
    finally:
        outside.delete()
    print("\nfrom the start to the first `result = 22` at the floating IP (outside netns):")
    print(f"  pulumi up           {fmt(p_answer)}   (pulumi up itself: {p_up:.1f} s)")
    print(f"  openstacksdk script {fmt(s_answer)}   (the script itself: {s_script:.1f} s)")
    if p_answer and s_answer:
        print(f"  ratio pulumi / openstacksdk: {p_answer / s_answer:.2f}")
    print(f"\nlocal cloud memory (PSS of its processes): {idle:.0f} MiB")
    print(f"the lab's five containers (Docker's accounting): {p_mem:.0f} MiB")
    if idle:
        print(f"ratio containers / cloud: {p_mem / idle:.2f}")
    print(f"machine at the end: {machine()}")
    shutil.rmtree(work)
    if p_answer is None or s_answer is None:
        sys.exit(1)


if __name__ == "__main__":
    title = "OpenStack data plane: pulumi up to the first result = 22"
    with fragment("openstack_dataplane", title):
        main()
