"""Fixtures for the Docker provider tests: a real engine (missing engine = failure, not skip),
unique names, free subnets and ports, and cleanup of everything a test labelled."""

from __future__ import annotations

import ipaddress
import secrets
import socket
import subprocess
from collections.abc import Iterator

import pytest

from components.dynamic.docker import cleanup, docker_client

BASE_IMAGE = "cloudlab/base:bookworm"


@pytest.fixture(scope="session")
def engine():
    """The docker-py client; fails (never skips) when the engine or the base image is missing."""
    client = docker_client()  # raises DockerUnavailableError with a hint
    try:
        client.images.get(BASE_IMAGE)
    except Exception as exc:
        pytest.fail(f"{BASE_IMAGE} missing: run scripts/base-image.sh ({exc})")
    return client


@pytest.fixture
def stack(engine) -> Iterator[str]:
    """A unique ``cloudlab.stack`` label value; everything carrying it is removed afterwards."""
    name = f"test-{secrets.token_hex(4)}"
    yield name
    cleanup(name, images=True)


@pytest.fixture
def free_subnets(engine):
    """Factory of /24s in 192.168.160-199 that no Docker network uses yet."""
    taken: set[ipaddress.IPv4Network] = set()
    for net in engine.networks.list():
        for pool in (net.attrs.get("IPAM") or {}).get("Config") or []:
            if pool.get("Subnet") and ":" not in pool["Subnet"]:
                taken.add(ipaddress.ip_network(pool["Subnet"]))

    def take() -> ipaddress.IPv4Network:
        for third in range(160 + secrets.randbelow(40), 200):
            cand = ipaddress.ip_network(f"192.168.{third}.0/24")
            if not any(cand.overlaps(t) for t in taken):
                taken.add(cand)
                return cand
        raise RuntimeError("no free 192.168.160-199 subnet")

    return take


@pytest.fixture(scope="session")
def base_image() -> str:
    return BASE_IMAGE


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sh(*argv: str, check: bool = False) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, check=check, timeout=60)


def http_code(container: str, url: str) -> str:
    """HTTP status of one GET sent from inside ``container`` ("000" when nothing answered)."""
    out = sh("docker", "exec", container, "curl", "-s", "-m", "3", "-o", "/dev/null",
             "-w", "%{http_code}", url)  # fmt: skip
    return out.stdout.strip() or "000"


class Helpers:
    """Shell helpers handed to tests as the ``helpers`` fixture."""

    free_port = staticmethod(free_port)
    sh = staticmethod(sh)
    http_code = staticmethod(http_code)


@pytest.fixture(scope="session")
def helpers() -> type[Helpers]:
    return Helpers
