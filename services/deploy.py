"""Deployment helpers: a systemd unit per service, and a cloud-init document that installs the
package and starts the unit on a fresh VM (Ubuntu images ship ``python3``; nothing else needed).

The unit runs ``python3 -m services SERVICE --host 0.0.0.0 --port PORT [args...]`` from
``/opt/cloudlab`` as a transient unprivileged user (``DynamicUser=yes``), restarts it on
failure, stops it with SIGTERM (the services drain in-flight requests) and, for ports below
1024 (the calculator on port 80), grants only ``CAP_NET_BIND_SERVICE``.
"""

from __future__ import annotations

import base64
import functools
import gzip
import io
import json
import re
import tarfile
from collections.abc import Sequence
from importlib import resources

__all__ = [
    "INSTALL_DIR",
    "SERVICES",
    "cloud_config",
    "package_bundle",
    "package_sources",
    "systemd_quote",
    "systemd_unit",
    "unit_name",
]

INSTALL_DIR = "/opt/cloudlab"
SERVICES = ("sum", "sub", "mul", "div", "calculator")
_PLAIN = re.compile(r"[A-Za-z0-9_@%+=:,./-]+")


def unit_name(service: str) -> str:
    """The unit's file name, e.g. ``cloudlab-sum.service``."""
    if service not in SERVICES:
        raise ValueError(f"unknown service {service!r}; expected one of {', '.join(SERVICES)}")
    return f"cloudlab-{service}.service"


def systemd_quote(arg: str) -> str:
    """Quote one ``ExecStart=`` argument: ``%`` and ``$`` escaped, double quotes if needed."""
    if not arg or any(ord(c) < 32 or ord(c) == 127 for c in arg):
        raise ValueError(f"cannot put {arg!r} on a systemd command line")
    escaped = arg.replace("%", "%%").replace("$", "$$")
    if _PLAIN.fullmatch(arg):
        return escaped
    return '"' + escaped.replace("\\", "\\\\").replace('"', '\\"') + '"'


def systemd_unit(
    service: str,
    port: int,
    args: Sequence[str] = (),
    *,
    host: str = "0.0.0.0",
    workdir: str = INSTALL_DIR,
    python: str = "/usr/bin/python3",
) -> str:
    """Render the systemd unit that runs one service; ``args`` are extra CLI arguments
    (for the calculator: ``["--sum", URL, "--sub", URL, "--mul", URL, "--div", URL]``)."""
    unit_name(service)  # validates the name
    if any(c.isspace() for c in workdir) or not workdir.startswith("/"):
        raise ValueError(f"not an absolute path without spaces: {workdir!r}")
    if not 1 <= port <= 65535:
        raise ValueError(f"not a TCP port: {port!r}")
    command = [python, "-m", "services", service, "--host", host, "--port", str(port), *args]
    lines = [
        "[Unit]",
        f"Description=cloudlab calculator lab: {service} service on port {port}",
        "Wants=network-online.target",
        "After=network-online.target",
        "",
        "[Service]",
        "Type=simple",
        f"WorkingDirectory={workdir.replace('%', '%%')}",
        "Environment=PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1",
        "ExecStart=" + " ".join(systemd_quote(arg) for arg in command),
        "Restart=on-failure",
        "RestartSec=2",
        "KillSignal=SIGTERM",
        "TimeoutStopSec=10",
        "DynamicUser=yes",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "PrivateTmp=yes",
    ]
    if port < 1024:
        lines += [
            "AmbientCapabilities=CAP_NET_BIND_SERVICE",
            "CapabilityBoundingSet=CAP_NET_BIND_SERVICE",
        ]
    else:
        lines.append("CapabilityBoundingSet=")
    lines += ["", "[Install]", "WantedBy=multi-user.target", ""]
    return "\n".join(lines)


def package_sources() -> dict[str, str]:
    """The package's Python sources, ``{"services/<module>.py": text}``, to ship to a VM."""
    package = resources.files("services")
    return {
        f"services/{entry.name}": entry.read_text(encoding="utf-8")
        for entry in sorted(package.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".py")
    }


@functools.lru_cache(maxsize=1)
def package_bundle() -> str:
    """The package as a base64 gzipped tarball of ``services/*.py``, byte-for-byte
    deterministic (sorted entries, zero mtimes), to ship inside user data. Built once per
    process: a lab renders it for every VM."""
    buffer = io.BytesIO()
    # Nested, not parenthesized: the VMs run Python 3.8.
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as gz:  # noqa: SIM117
        with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for path, text in package_sources().items():
                data = text.encode("utf-8")
                info = tarfile.TarInfo(path)
                info.size, info.mode, info.mtime = len(data), 0o644, 0
                tar.addfile(info, io.BytesIO(data))
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def cloud_config(
    service: str,
    port: int,
    args: Sequence[str] = (),
    *,
    host: str = "0.0.0.0",
    workdir: str = INSTALL_DIR,
) -> str:
    """A ``#cloud-config`` user-data document (JSON, which is valid YAML) that unpacks the
    package into ``workdir``, writes the unit to ``/etc/systemd/system``, then enables it.

    The package travels as a gzipped tarball: Nova caps user data at 64 KiB once
    base64-encoded, and the plain sources alone come close to that.
    """
    unit = unit_name(service)
    bundle = f"{workdir}/services.tar.gz"
    document = {
        "write_files": [
            {"path": bundle, "permissions": "0644", "encoding": "b64", "content": package_bundle()},
            {
                "path": f"/etc/systemd/system/{unit}",
                "permissions": "0644",
                "content": systemd_unit(service, port, args, host=host, workdir=workdir),
            },
        ],
        "runcmd": [
            ["tar", "-xzf", bundle, "-C", workdir],
            ["systemctl", "daemon-reload"],
            ["systemctl", "enable", "--now", unit],
        ],
    }
    return "#cloud-config\n" + json.dumps(document, indent=1) + "\n"
