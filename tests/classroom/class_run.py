"""A class for the engine tests: a roster of its own (a unique project prefix, so nothing of
another run or of a teacher's class is ever counted), a state backend, a ``PULUMI_HOME`` and
workspaces under the test's temporary directory, and the driver run as ``python -m classroom``
in a session of its own (so an interrupted run can be ended whole)."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openstack
import pytest
import yaml
from openstack.connection import Connection

from cloudlab_tools.pulumi_cli import REPO, backend_url
from localcloud.openstack import ADMIN_CLOUD_NAME
from tests.engine.pulumi_project import toolchain_bin
from tests.processes import kill_session

LAB = {"topology": "flat", "image": "ubuntu_20", "flavor": "small2", "sshAllowedCidrs": []}
SERVERS_PER_LAB = 5


@dataclass
class ClassRun:
    """One class's files and the environment of its driver."""

    tmp: Path
    groups: list[str]
    prefix: str
    env: dict[str, str]
    backend: str

    @classmethod
    def make(
        cls, tmp: Path, groups: list[str], backend: str | None = None, name: str = "t"
    ) -> ClassRun:
        prefix = f"{name}{secrets.token_hex(3)}-"
        state = tmp / "state"
        state.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "PATH": f"{toolchain_bin()}{os.pathsep}{os.environ.get('PATH', '')}",
            "PULUMI_CONFIG_PASSPHRASE": "cloudlab-tests",
            "PULUMI_HOME": str(tmp / "pulumi-home"),
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        }
        env.pop("PULUMI_CONFIG_PASSPHRASE_FILE", None)
        run = cls(tmp, groups, prefix, env, backend or backend_url(state))
        run.write_config()
        return run

    @property
    def config(self) -> Path:
        return self.tmp / "Pulumi.classroom.yaml"

    def write_config(self, overrides: dict[str, dict[str, Any]] | None = None) -> None:
        groups = [
            {
                "id": g,
                "name": f"Group {g}",
                **({"calculator": overrides[g]} if overrides and g in overrides else {}),
            }
            for g in self.groups
        ]
        document = {
            "config": {
                "cloudlab:environment": "classroom",
                "cloudlab:classroom": {
                    "projectPrefix": self.prefix,
                    "quotaMargin": 1.5,
                    "groups": groups,
                },
                "cloudlab:calculator": LAB,
            }
        }
        self.config.write_text(yaml.safe_dump(document, sort_keys=False))

    def args(self, command: str, *extra: str, work: str = "work") -> list[str]:
        return [
            sys.executable,
            "-m",
            "classroom",
            command,
            "--config",
            str(self.config),
            "--backend",
            self.backend,
            "--admin-cloud",
            ADMIN_CLOUD_NAME,
            "--work-dir",
            str(self.tmp / work),
            "--handouts",
            str(self.tmp / "handouts"),
            "--workers",
            "2",
            *extra,
        ]

    def popen(self, command: str, *extra: str, work: str = "work") -> subprocess.Popen[str]:
        return subprocess.Popen(
            self.args(command, *extra, work=work),
            cwd=REPO,
            env=self.env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def run(
        self, command: str, *extra: str, timeout: float = 1800, work: str = "work"
    ) -> subprocess.CompletedProcess[str]:
        proc = self.popen(command, *extra, work=work)
        try:
            out, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_session(proc.pid)
            out, _ = proc.communicate()
            pytest.fail(f"classroom {command} ran over {timeout} s:\n{out[-6000:]}")
        return subprocess.CompletedProcess(proc.args, proc.returncode, out, "")

    def interrupt(self, proc: subprocess.Popen[str]) -> None:
        """Ctrl-C, as a teacher would: SIGINT to the driver's process group (its ``pulumi``
        processes cancel their updates and release their locks)."""
        os.killpg(proc.pid, signal.SIGINT)

    def credentials(self, work: str = "work") -> dict[str, dict[str, str]]:
        res = subprocess.run(
            [
                "pulumi",
                "stack",
                "output",
                "groups",
                "--show-secrets",
                "--json",
                "--stack",
                "classroom",
                "--non-interactive",
            ],
            cwd=self.tmp / work / "classroom",
            env={**self.env, "PULUMI_BACKEND_URL": self.backend},
            capture_output=True,
            text=True,
            check=False,
        )
        assert res.returncode == 0, res.stderr
        return json.loads(res.stdout)


def admin() -> Connection:
    return openstack.connect(cloud=ADMIN_CLOUD_NAME)


def class_projects(conn: Connection, prefix: str) -> dict[str, Any]:
    """The class's projects by name, as the admin lists them."""
    return {p.name: p for p in conn.identity.projects() if p.name.startswith(prefix)}


def servers_of(conn: Connection, project_id: str) -> dict[str, str]:
    return {
        s.name: s.status
        for s in conn.compute.servers(all_projects=True, project_id=project_id)
        if s.project_id == project_id
    }
