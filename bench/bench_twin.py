"""Time from nothing to a calculator that answers: ``pulumi up`` of the Docker twin versus
``docker-compose up`` of the same containers from the same image, measured in one run.

Also the time of a ``pulumi up`` that has nothing to change. Run: ``make bench-twin``.
Needs the toolchain (``make toolchain``), the Docker engine, the base image and
``docker-compose`` (Debian's package; ``make bench-twin`` installs it).

The compose file is generated from the twin's own plan (addresses, networks, routing
prelude), so both sides start exactly the same containers.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import yaml

from bench.engine_profile import LOG_FLAGS, profile, render
from bench.report import fragment
from cloudlab_tools.pulumi_cli import REPO as ROOT
from cloudlab_tools.pulumi_cli import make_project
from components.calculator.compose import compose_file
from components.calculator.docker_twin import SERVICES_DIR
from components.calculator.settings import parse_calculator_settings
from components.dynamic.docker.cleanup import cleanup

STACK = "benchtwin"
IMAGE = "cloudlab/calculator:bench"
EXPRESSION, ANSWER = b"(5+6)*2", "result = 22\r\n"


def wait_for_answer(
    url: str, deadline_s: float = 120, proc: subprocess.Popen | None = None
) -> float:
    """Seconds until ``url`` answers the lab's transcript (polled every 50 ms); stops early
    when ``proc`` (the ``pulumi up`` that makes it) has failed."""
    start = time.perf_counter()
    while time.perf_counter() - start < deadline_s:
        if proc is not None and proc.poll() not in (None, 0):
            raise RuntimeError(f"pulumi up exited {proc.returncode} before {url} answered")
        try:
            request = urllib.request.Request(url, data=EXPRESSION, method="POST")
            with urllib.request.urlopen(request, timeout=2) as response:
                if response.read().decode() == ANSWER:
                    return time.perf_counter() - start
        except OSError:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"{url} did not answer within {deadline_s} s")


def sh(*args: str, cwd: Path | None = None) -> None:
    subprocess.run(args, cwd=cwd, check=True, capture_output=True, text=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if shutil.which("docker-compose") is None:
        sys.exit("docker-compose is missing: `apt-get install docker-compose` (make bench-twin)")
    dev = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["config"]
    calculator_config = dev["cloudlab:calculator"]
    url = f"http://127.0.0.1:{calculator_config.get('publicPort', 50005)}"
    base = dev["cloudlab:docker"]["baseImage"]
    # One image for both sides, built before the clock starts (pulumi reuses Docker's cache).
    sh("docker", "build", "-q", "-t", IMAGE, "--build-arg", f"BASE_IMAGE={base}", str(SERVICES_DIR))

    with tempfile.TemporaryDirectory() as tmp:
        project = make_project(Path(tmp))
        project.stack(STACK, config_from="dev")
        compose_dir = Path(tmp) / "compose"
        compose_dir.mkdir()
        (compose_dir / "docker-compose.yml").write_text(
            yaml.safe_dump(
                compose_file(parse_calculator_settings(calculator_config), IMAGE), sort_keys=False
            )
        )
        pulumi_s, pulumi_done_s, compose_s, compose_done_s, noop_s = [], [], [], [], []
        profiles: dict[str, str] = {}
        try:
            for round_ in range(args.rounds + 1):
                # The last round is the profiled one: the engine's log at -v=7 costs time of its
                # own, so it is kept out of the timings above it.
                profiled = round_ == args.rounds
                flags = LOG_FLAGS if profiled else ()
                # To a file, not a pipe: nobody reads a pipe while the calculator is polled, and
                # the engine's log would fill it and stall the engine.
                log = Path(tmp) / "up.log"
                start = time.time()
                with log.open("w") as sink:
                    proc = subprocess.Popen(
                        [
                            *("pulumi", "up", "--yes", "--non-interactive", "--skip-preview"),
                            *("--stack", STACK, *flags),
                        ],
                        cwd=project.workdir,
                        env=project.env,
                        stdout=subprocess.DEVNULL,
                        stderr=sink,
                        text=True,
                    )
                    try:
                        wait_for_answer(url, proc=proc)
                    except RuntimeError as error:
                        sys.exit(f"{error}:\n{log.read_text()[-3000:]}")
                    answered = time.time() - start
                    proc.wait(timeout=300)
                    ended = time.time()
                err = log.read_text()
                if proc.returncode != 0:
                    sys.exit(f"pulumi up failed: {err[-2000:]}")
                start_noop = time.time()
                noop = subprocess.run(
                    [
                        *("pulumi", "up", "--yes", "--non-interactive", "--skip-preview"),
                        *("--expect-no-changes", "--stack", STACK, *flags),
                    ],
                    cwd=project.workdir,
                    env=project.env,
                    capture_output=True,
                    text=True,
                    check=False,
                )
                ended_noop = time.time()
                if noop.returncode != 0:
                    sys.exit(f"no-change pulumi up failed: {noop.stderr[-2000:]}")
                if profiled:
                    profiles["first `pulumi up`"] = render(profile(err, start, ended))
                    profiles["no-change `pulumi up`"] = render(
                        profile(noop.stderr, start_noop, ended_noop)
                    )
                else:
                    pulumi_s.append(answered)
                    pulumi_done_s.append(ended - start)
                    noop_s.append(ended_noop - start_noop)
                project.run("destroy", "--yes", "--skip-preview", "--stack", STACK)
                if profiled:
                    break

                start = time.time()
                sh("docker-compose", "-p", STACK, "up", "-d", cwd=compose_dir)
                compose_done_s.append(time.time() - start)
                wait_for_answer(url)
                compose_s.append(time.time() - start)
                sh("docker-compose", "-p", STACK, "down", "-v", cwd=compose_dir)
        finally:
            subprocess.run(
                ["docker-compose", "-p", STACK, "down", "-v"],
                cwd=compose_dir,
                capture_output=True,
                check=False,
            )
            project.run("destroy", "--yes", "--stack", STACK, check=False)
            cleanup(STACK)

    def show(name: str, values: list[float]) -> None:
        print(
            f"{name:<42} median {statistics.median(values):6.2f} s   "
            f"min {min(values):6.2f} s   (n={len(values)})"
        )

    def ratio(name: str, a: list[float], b: list[float], goal: float) -> None:
        value = statistics.median(a) / statistics.median(b)
        verdict = "met" if value <= goal else "NOT met"
        print(f"{name:<52} {value:5.2f}   (goal <= {goal}: {verdict})")

    show("pulumi up -> calculator answers", pulumi_s)
    show("docker-compose up -> calculator answers", compose_s)
    show("pulumi up, whole command", pulumi_done_s)
    show("docker-compose up -d, whole command", compose_done_s)
    show("pulumi up with no change", noop_s)
    ratio("ratio pulumi/compose (empty -> answering)", pulumi_s, compose_s, 1.2)
    ratio("ratio no-change up / first up (whole commands)", noop_s, pulumi_done_s, 0.3)
    for name, table in profiles.items():
        print(f"\nprofile of one more {name} (engine log at -v=7, not in the timings above):")
        print(table)


if __name__ == "__main__":
    with fragment("twin", "The twin: pulumi up against docker-compose up"):
        main()
