"""Secrets handed to path-only APIs through memory files: nothing on disk, even after SIGKILL."""

from __future__ import annotations

import os
import signal
import ssl
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from components.memfiles import memory_file

ROOT = Path(__file__).resolve().parents[2]


def _self_signed(tmp: Path) -> tuple[str, str]:
    key, crt = tmp / "k.pem", tmp / "c.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
         "-out", str(crt), "-days", "1", "-subj", "/CN=cloudlab-test"],
        check=True, capture_output=True,
    )  # fmt: skip
    return crt.read_text(), key.read_text()


def test_ssl_loads_a_client_key_from_memory_files(tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    context = ssl.create_default_context()
    with memory_file("client.crt", cert) as cert_path, memory_file("client.key", key) as key_path:
        assert not cert_path.startswith(tempfile.gettempdir())
        assert os.readlink(key_path).startswith("/memfd:client.key")
        context.load_cert_chain(cert_path, key_path)  # raises if the key cannot be read


def test_nothing_is_left_on_disk_after_a_sigkill(tmp_path: Path) -> None:
    """A process holding the key in a memory file is SIGKILLed: no file anywhere holds it
    (a file in a temporary directory stayed, as the readiness gate's did)."""
    _, key = _self_signed(tmp_path)
    secret_line = key.splitlines()[1]
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    script = textwrap.dedent(
        """
        import os, sys, time
        from components.memfiles import memory_file
        with memory_file("client.key", os.environ["KEY"]) as path:
            print(path, flush=True)
            time.sleep(60)
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, "KEY": key, "TMPDIR": str(tmpdir)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        path = proc.stdout.readline().strip()
        link = os.readlink(f"/proc/{proc.pid}/fd/{path.rsplit('/', 1)[1]}")
        assert link.startswith("/memfd:client.key"), link  # in memory, not a file system
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        if proc.stdout is not None:
            proc.stdout.close()
    time.sleep(0.1)
    leftovers = [p for p in tmpdir.rglob("*") if p.is_file() and secret_line in p.read_text()]
    assert leftovers == []
    assert list(tmpdir.iterdir()) == []
