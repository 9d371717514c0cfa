"""Fixtures of the PaaS lab's mock tests: a WAR of their own, so they need no Maven build."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

APPENGINE_WEB_XML = (
    '<appengine-web-app xmlns="http://appengine.google.com/ns/1.0">\n'
    "  <runtime>java8</runtime>\n"
    "  <manual-scaling><instances>1</instances></manual-scaling>\n"
    "</appengine-web-app>\n"
)


@pytest.fixture
def war(tmp_path: Path) -> Path:
    """A small App Engine WAR with Jetty's runner beside it (as `make servlet` leaves them)."""
    path = tmp_path / "target" / "hello.war"
    path.parent.mkdir()
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("WEB-INF/", "")
        archive.writestr("WEB-INF/web.xml", "<web-app/>\n")
        archive.writestr("WEB-INF/appengine-web.xml", APPENGINE_WEB_XML)
        archive.writestr("WEB-INF/classes/cloudlab/hello/HelloServlet.class", b"\xca\xfe\xba\xbe")
    (path.parent / "jetty-runner.jar").write_bytes(b"PK runner")
    return path
