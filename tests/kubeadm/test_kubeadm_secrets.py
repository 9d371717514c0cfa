"""The bootstrap secrets stay out of the nodes' logs: the rendered scripts run, for real, with
fake ``kubeadm``, ``kubectl`` and the other tools first on ``PATH``, and neither their stdout nor
their stderr (what cloud-init copies to the console log and the journal) holds the token, its
secret half or the CA key.

The fake ``kubeadm`` behaves as the real one does on what matters here: ``kubeadm init``
prints the bootstrap token ("[bootstrap-token] Using token: ..." and the join command at the
end) unless ``--skip-token-print`` is given; ``kubeadm join`` fails once (the master still
booting), so the retry loop and ``kubeadm reset`` run too, under the script's own ``set -x``.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.kubeadm.cloudinit import (
    INIT_SCRIPT,
    JOIN_SCRIPT,
    MasterBootstrap,
    WorkerBootstrap,
    render_master_user_data,
    render_worker_user_data,
)

TOKEN_ID, TOKEN_SECRET = "q7x2kd", "m4n8v0c2x6z1l3k5"
TOKEN = f"{TOKEN_ID}.{TOKEN_SECRET}"
CA_KEY_BODY = "MIIEowIBAAKCAQEAz9Rtest0nlyCAKEYmaterialXyZ"
CA_KEY = f"-----BEGIN RSA PRIVATE KEY-----\n{CA_KEY_BODY}\n-----END RSA PRIVATE KEY-----\n"
PIN = "sha256:" + "cd" * 32
SECRETS = (TOKEN, TOKEN_SECRET, CA_KEY_BODY)

FAKE_KUBEADM = """#!/bin/bash
echo "kubeadm $*" >> "$FAKES_LOG"
case "$1" in
  init)
    skip=no
    for arg in "$@"; do [ "$arg" = --skip-token-print ] && skip=yes; done
    echo "[init] Using Kubernetes version: v1.28.15"
    if [ "$skip" = no ]; then echo "[bootstrap-token] Using token: $FAKE_TOKEN"; fi
    echo "Your Kubernetes control-plane has initialized successfully!"
    if [ "$skip" = no ]; then
      echo "kubeadm join 10.1.0.10:6443 --token $FAKE_TOKEN \\\\"
    else
      echo "kubeadm join 10.1.0.10:6443 --token <value withheld> \\\\"
    fi
    echo "  --discovery-token-ca-cert-hash sha256:cdcd" ;;
  join)
    if [ ! -e "$FAKES_DIR/joined-once" ]; then
      touch "$FAKES_DIR/joined-once"
      echo "error execution phase preflight: couldn't validate the identity of the API Server" >&2
      exit 1
    fi
    echo "This node has joined the cluster" ;;
  reset) echo "[reset] Stopping the kubelet service" ;;
esac
"""
RECORDER = '#!/bin/bash\necho "$(basename "$0") $*" >> "$FAKES_LOG"\n'


def master() -> MasterBootstrap:
    return MasterBootstrap(
        node_name="master",
        kubernetes_version="1.28",
        master_ip="10.1.0.10",
        bootstrap_token=TOKEN,
        ca_cert_pem="-----BEGIN CERTIFICATE-----\nQ0E=\n-----END CERTIFICATE-----\n",
        ca_key_pem=CA_KEY,
    )


def worker() -> WorkerBootstrap:
    return WorkerBootstrap(
        node_name="worker1",
        kubernetes_version="1.28",
        master_ip="10.1.0.10",
        bootstrap_token=TOKEN,
        ca_cert_hash=PIN,
    )


def files_of(user_data: str) -> dict[str, dict[str, Any]]:
    return {f["path"]: f for f in yaml.safe_load(user_data)["write_files"]}


@pytest.fixture
def fakes(tmp_path: Path) -> dict[str, str]:
    """A PATH whose first directory fakes every tool the scripts run that would change this
    machine (kubeadm, kubectl, install, sleep...); the environment the scripts run with."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "kubeadm").write_text(FAKE_KUBEADM)
    for tool in ("kubectl", "install", "sleep", "systemctl", "iptables"):
        (bin_dir / tool).write_text(RECORDER)
    for tool in bin_dir.iterdir():
        tool.chmod(0o755)
    return {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "FAKES_LOG": str(tmp_path / "calls.log"),
        "FAKES_DIR": str(tmp_path),
        "FAKE_TOKEN": TOKEN,
        "HOME": str(tmp_path),
    }


def run_script(text: str, env: dict[str, str], tmp_path: Path) -> str:
    """Run one rendered script with bash as cloud-init would; its stdout and stderr."""
    script = tmp_path / "script.sh"
    script.write_text(text)
    res = subprocess.run(
        ["bash", str(script)], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert res.returncode == 0, f"{res.stdout}\n{res.stderr}"
    return res.stdout + res.stderr


def calls(env: dict[str, str]) -> list[str]:
    return Path(env["FAKES_LOG"]).read_text().splitlines()


def test_kubeadm_init_prints_no_token(fakes: dict[str, str], tmp_path: Path) -> None:
    assert not Path("/etc/kubernetes/admin.conf").exists(), "this machine is a control plane?"
    init = files_of(render_master_user_data(master()))[INIT_SCRIPT]["content"]
    output = run_script(init, fakes, tmp_path)
    assert [c for c in calls(fakes) if c.startswith("kubeadm init")], "kubeadm init never ran"
    assert "Your Kubernetes control-plane has initialized" in output
    leaked = [s for s in SECRETS if s in output]
    assert not leaked, f"printed: {leaked}\n{output}"


def test_the_join_prints_no_token_even_traced_and_retried(
    fakes: dict[str, str], tmp_path: Path
) -> None:
    join = files_of(render_worker_user_data(worker()))[JOIN_SCRIPT]["content"]
    output = run_script(join, fakes, tmp_path)
    joins = [c for c in calls(fakes) if c.startswith("kubeadm join")]
    assert len(joins) == 2, calls(fakes)  # the first failed, the retry joined
    assert "kubeadm reset" in "\n".join(calls(fakes))
    assert "join attempt 1 failed" in output
    leaked = [s for s in SECRETS if s in output]
    assert not leaked, f"printed: {leaked}\n{output}"
    # ... nor on a command line, which any process of the node can read in /proc.
    assert not [c for c in joins if TOKEN_SECRET in c]


def test_the_token_reaches_kubeadm_through_0600_files_only() -> None:
    master_files = files_of(render_master_user_data(master()))
    worker_files = files_of(render_worker_user_data(worker()))
    for files in (master_files, worker_files):
        holding = [p for p, f in files.items() if TOKEN_SECRET in f["content"]]
        assert holding, "the token must reach kubeadm"
        for path in holding:
            assert files[path]["permissions"] == "0600", path
            assert path.endswith(".yaml"), f"{path}: a script, not a config file"
    join = yaml.safe_load(worker_files["/etc/cloudlab/kubeadm-join.yaml"]["content"])
    assert join["kind"] == "JoinConfiguration"
    discovery = join["discovery"]["bootstrapToken"]
    assert discovery == {
        "apiServerEndpoint": "10.1.0.10:6443",
        "token": TOKEN,
        "caCertHashes": [PIN],
    }
    assert join["nodeRegistration"]["name"] == "worker1"


def test_workers_get_no_ca_key() -> None:
    text = render_worker_user_data(worker())
    assert CA_KEY_BODY not in text and "PRIVATE KEY" not in text


def test_fakes_are_what_runs(fakes: dict[str, str], tmp_path: Path) -> None:
    """The fake is first on PATH (else the secrets tests would prove nothing)."""
    out = run_script("command -v kubeadm\n", fakes, tmp_path)
    assert out.strip() == os.path.join(fakes["PATH"].split(":")[0], "kubeadm")
