"""A class of N groups against the local OpenStack, side by side in one run with N times a
single group's ``up``: wall time, the ratio to the sequential estimate, peak memory of the
driver's process tree, and the speed-up each added worker brings; then ``down`` to zero,
counted through openstacksdk as the admin.

Run: ``venv/bin/python -m bench.bench_classroom --groups 30 --workers 4,8`` (a class of 30;
``--groups 3 --workers 1,2`` is a quick one). Needs the toolchain with the openstack plugin
(``make toolchain``) and the local OpenStack (``make openstack``) with its admin entry in
``clouds.yaml``. Everything lives under a temporary directory (state, ``PULUMI_HOME``,
workspaces); the class's projects carry a prefix of their own.

The single group is measured first, after a warm-up ``up`` and ``down`` (its group stack's
first ``up`` alone, as each group's in a class), then the class once per worker count (wall
time of the whole ``up``, classroom stack included); every class is brought down before the
next and must leave nothing.
"""

from __future__ import annotations

import argparse
import itertools
import os
import re
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import openstack
import yaml

from bench.report import fragment
from classroom.checks import leftovers
from cloudlab_tools.pulumi_cli import REPO, backend_url, toolchain_bin

ADMIN_CLOUD = "cloudlab-local-admin"
LAB = {"topology": "flat", "image": "ubuntu_20", "flavor": "small2", "sshAllowedCidrs": []}


def tree_rss(root: int) -> int:
    """Resident memory (bytes) of ``root`` and every process below it."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            status = (entry / "status").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
        found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
        rss[int(entry.name)] = int(found.group(1)) * 1024 if found else 0
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total


class Class:
    """A roster of ``n`` groups with its own state, run through ``python -m classroom``."""

    def __init__(self, tmp: Path, n: int, name: str) -> None:
        self.tmp = tmp / name
        self.tmp.mkdir()
        (self.tmp / "state").mkdir()
        self.prefix = f"b{secrets.token_hex(3)}-"
        self.groups = [f"g{i:02d}" for i in range(1, n + 1)]
        document = {
            "config": {
                "cloudlab:environment": "classroom",
                "cloudlab:classroom": {
                    "projectPrefix": self.prefix,
                    "groups": [{"id": g} for g in self.groups],
                },
                "cloudlab:calculator": LAB,
            }
        }
        (self.tmp / "Pulumi.classroom.yaml").write_text(yaml.safe_dump(document))
        self.env = {
            **os.environ,
            "PATH": f"{toolchain_bin()}{os.pathsep}{os.environ.get('PATH', '')}",
            "PULUMI_CONFIG_PASSPHRASE": "bench",
            "PULUMI_HOME": str(self.tmp / "pulumi-home"),
        }
        self.env.pop("PULUMI_CONFIG_PASSPHRASE_FILE", None)
        self.up_since_down = False
        """An ``up`` ran (even a failed one) and no ``down`` after it."""

    def run(self, command: str, *extra: str, check: bool = True) -> tuple[float, int, str]:
        """Wall seconds, peak memory (bytes) of the driver's tree, and the output; a failure
        ends the bench (``check``) once the caller's ``finally`` has taken the classes down."""
        if command == "up":
            self.up_since_down = True
        args = [
            sys.executable,
            "-m",
            "classroom",
            command,
            "--config",
            str(self.tmp / "Pulumi.classroom.yaml"),
            "--backend",
            backend_url(self.tmp / "state"),
            "--admin-cloud",
            ADMIN_CLOUD,
            "--work-dir",
            str(self.tmp / "work"),
            "--handouts",
            str(self.tmp / "handouts"),
            *extra,
        ]
        t0 = time.monotonic()
        proc = subprocess.Popen(
            args,
            cwd=REPO,
            env=self.env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        peak = 0
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, tree_rss(proc.pid))
                time.sleep(0.5)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        out, _ = proc.communicate()
        done.set()
        sampler.join()
        seconds = time.monotonic() - t0
        if command == "down" and proc.returncode == 0:
            self.up_since_down = False
        if check and proc.returncode != 0:
            raise SystemExit(f"classroom {command} failed:\n{out[-5000:]}")
        return seconds, peak, out


def group_seconds(output: str) -> list[float]:
    return [float(s) for s in re.findall(r"\] up g\d+: ok in ([\d.]+)s", output)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_classroom")
    parser.add_argument("--groups", type=int, default=30)
    parser.add_argument("--workers", default="4,8", help="worker counts, comma-separated")
    args = parser.parse_args(argv)
    counts = [int(w) for w in args.workers.split(",")]
    admin = openstack.connect(cloud=ADMIN_CLOUD)
    with tempfile.TemporaryDirectory(prefix="bench-classroom-") as tmp:
        made: list[Class] = []
        try:
            return _measure(Path(tmp), args.groups, counts, admin, made)
        finally:
            # A failed up still leaves a class in the cloud, whose state is in ``tmp``: take
            # every class down before the directory goes (down is idempotent).
            for klass in made:
                if klass.up_since_down:
                    klass.run("down", "--workers", "4", check=False)
                    left = leftovers(admin, klass.prefix)
                    print(f"  down after a failure ({klass.prefix}): {left}")
            admin.close()


def _measure(
    tmp: Path,
    groups: int,
    counts: list[int],
    admin: openstack.connection.Connection,
    made: list[Class],
) -> int:
    # The first up of this run is a warm-up (the plugin's first start, the services'
    # caches): printed, not counted; the second, of a fresh group stack, is the baseline.
    single = Class(tmp, 1, "single")
    made.append(single)
    _, _, out = single.run("up", "--workers", "1")
    single.run("down", "--workers", "1")
    print(f"warm-up: one group's first up of the run: {group_seconds(out)[0]:.1f} s")
    _, _, out = single.run("up", "--workers", "1")
    single_group = group_seconds(out)
    single.run("down", "--workers", "1")
    t1 = single_group[0]
    print(f"one group's up: {t1:.1f} s; {groups} x that (sequential): {groups * t1:.1f} s")
    walls: dict[int, float] = {}
    for workers in counts:
        klass = Class(tmp, groups, f"class-{workers}")
        made.append(klass)
        wall, peak, out = klass.run("up", "--workers", str(workers))
        fan_out = sum(group_seconds(out))
        walls[workers] = wall
        print(
            f"{groups} groups, {workers} workers: {wall:.1f} s wall "
            f"(ratio to {groups} x one group: {wall / (groups * t1):.2f}), "
            f"sum of the groups' ups {fan_out:.1f} s, peak memory "
            f"{peak / 2**20:.0f} MiB"
        )
        klass.run("down", "--workers", str(workers))
        left = leftovers(admin, klass.prefix)
        print(f"  down: left in the cloud (admin's count): {left}")
        if not left.empty:
            return 1
    for before, after in itertools.pairwise(counts):
        print(
            f"speed-up from {before} to {after} workers: {walls[before] / walls[after]:.2f}x "
            f"({(walls[before] / walls[after] - 1) / (after - before) * 100:.0f}% per added "
            "worker)"
        )
    return 0


if __name__ == "__main__":
    with fragment("classroom", "A class: N groups against N times one group's up"):
        sys.exit(main())
