"""services.deploy (systemd unit, cloud-init) and services/Dockerfile."""

from __future__ import annotations

import base64
import io
import json
import re
import shlex
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from services.deploy import (
    INSTALL_DIR,
    cloud_config,
    package_bundle,
    package_sources,
    systemd_quote,
    systemd_unit,
    unit_name,
)
from tests.services.svc_support import request

REPO = Path(__file__).resolve().parents[2]


def unit_settings(unit: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in unit.splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            found.setdefault(key, []).append(value)
    return found


def test_operand_unit() -> None:
    unit = systemd_unit("sum", 50001)
    assert unit.startswith("[Unit]\n")
    assert "\n[Service]\n" in unit
    assert unit.endswith("\n[Install]\nWantedBy=multi-user.target\n")
    settings = unit_settings(unit)
    assert settings["ExecStart"] == ["/usr/bin/python3 -m services sum --host 0.0.0.0 --port 50001"]
    assert settings["WorkingDirectory"] == [INSTALL_DIR]
    assert settings["DynamicUser"] == ["yes"]
    assert settings["Restart"] == ["on-failure"]
    assert settings["KillSignal"] == ["SIGTERM"]
    assert settings["After"] == ["network-online.target"]
    assert "AmbientCapabilities" not in settings
    assert settings["CapabilityBoundingSet"] == [""]


def test_calculator_unit_on_port_80_with_urls() -> None:
    urls = ["--sum", "http://192.168.18.11:50001/", "--div", "http://192.168.18.14:50004/"]
    settings = unit_settings(systemd_unit("calculator", 80, urls, host="192.168.210.5"))
    assert settings["ExecStart"] == [
        "/usr/bin/python3 -m services calculator --host 192.168.210.5 --port 80 "
        "--sum http://192.168.18.11:50001/ --div http://192.168.18.14:50004/"
    ]
    assert settings["AmbientCapabilities"] == ["CAP_NET_BIND_SERVICE"]
    assert settings["CapabilityBoundingSet"] == ["CAP_NET_BIND_SERVICE"]


def test_systemd_quoting() -> None:
    assert systemd_quote("http://h:1/") == "http://h:1/"
    assert systemd_quote("http://h/%41") == "http://h/%%41"
    assert systemd_quote("a b") == '"a b"'
    assert systemd_quote('say "hi" \\ $HOME') == '"say \\"hi\\" \\\\ $$HOME"'
    assert systemd_quote(";") == '";"'
    for bad in ["", "a\nb", "tab\there"]:
        with pytest.raises(ValueError):
            systemd_quote(bad)


@pytest.mark.parametrize(
    ("service", "port", "args"),
    [("pow", 1, []), ("sum", 0, []), ("sum", 65536, []), ("sum", 1, ["--x\n"])],
)
def test_unit_rejects_bad_input(service: str, port: int, args: list[str]) -> None:
    with pytest.raises(ValueError):
        systemd_unit(service, port, args)


def test_unit_names() -> None:
    assert unit_name("calculator") == "cloudlab-calculator.service"
    with pytest.raises(ValueError, match="unknown service"):
        unit_name("pow")


def test_package_sources_cover_every_module() -> None:
    sources = package_sources()
    on_disk = sorted(f"services/{p.name}" for p in (REPO / "services").glob("*.py"))
    assert sorted(sources) == on_disk
    assert "services/__main__.py" in sources
    assert sources["services/jsnumber.py"] == (REPO / "services/jsnumber.py").read_text()


def test_cloud_config_installs_and_starts_the_unit() -> None:
    text = cloud_config("div", 50004)
    header, _, body = text.partition("\n")
    assert header == "#cloud-config"
    document = json.loads(body)
    paths = {f["path"]: f for f in document["write_files"]}
    unit = paths["/etc/systemd/system/cloudlab-div.service"]["content"]
    assert unit == systemd_unit("div", 50004)
    bundle = paths[f"{INSTALL_DIR}/services.tar.gz"]
    assert bundle["encoding"] == "b64"
    with tarfile.open(fileobj=io.BytesIO(base64.b64decode(bundle["content"]))) as tar:
        assert sorted(tar.getnames()) == sorted(package_sources())
    assert document["runcmd"] == [
        ["tar", "-xzf", f"{INSTALL_DIR}/services.tar.gz", "-C", INSTALL_DIR],
        ["systemctl", "daemon-reload"],
        ["systemctl", "enable", "--now", "cloudlab-div.service"],
    ]
    # Nova's limit is 64 KiB of base64: the whole document must stay well below it.
    assert len(base64.b64encode(text.encode())) < 48 * 1024
    assert package_bundle() == package_bundle()


def apply_cloud_config(document: dict, root: Path) -> None:
    """Do what cloud-init does with our document, under ``root`` instead of ``/``."""
    for entry in document["write_files"]:
        target = root / entry["path"].lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        if entry.get("encoding") == "b64":
            target.write_bytes(base64.b64decode(entry["content"]))
        else:
            target.write_text(entry["content"])
    for command in document["runcmd"]:
        if command[0] == "tar":
            archive, workdir = command[2], command[4]
            with tarfile.open(root / archive.lstrip("/")) as tar:
                tar.extractall(root / workdir.lstrip("/"), filter="data")


def test_what_cloud_init_writes_runs_as_the_unit_says(tmp_path: Path) -> None:
    """Write the cloud-config files under tmp_path, then run the unit's ExecStart from its
    WorkingDirectory (with this interpreter and a free port): the service answers."""
    document = json.loads(cloud_config("mul", 50003).partition("\n")[2])
    apply_cloud_config(document, tmp_path)
    settings = unit_settings((tmp_path / "etc/systemd/system/cloudlab-mul.service").read_text())
    argv = shlex.split(settings["ExecStart"][0].replace("%%", "%"))
    argv[0] = sys.executable
    argv[argv.index("--port") + 1] = "0"
    argv[argv.index("--host") + 1] = "127.0.0.1"
    workdir = tmp_path / settings["WorkingDirectory"][0].lstrip("/")
    proc = subprocess.Popen(argv, cwd=workdir, stderr=subprocess.PIPE, text=True, env={})
    try:
        assert proc.stderr is not None
        match = re.search(r"listening on (\S+)", proc.stderr.readline())
        assert match, "the installed service did not start"
        assert request(match.group(1), "5 6").body == b"30\r\n"
    finally:
        proc.terminate()
        proc.communicate(timeout=10)
    assert proc.returncode == 0


def test_dockerfile() -> None:
    lines = [
        line.strip()
        for line in (REPO / "services/Dockerfile").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert lines[0] == "ARG BASE_IMAGE=python:3.12-slim"
    assert lines[1] == "FROM ${BASE_IMAGE}"
    assert 'ENTRYPOINT ["python3", "-m", "services"]' in lines
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users
    assert users[-1].split(":")[0] not in ("0", "root")
    assert any(line.startswith("COPY ") and "services" in line for line in lines)
    assert not any("pip" in line for line in lines if line.startswith("RUN"))
