"""A small App Engine WAR for the mock tests (no Maven build needed)."""

from __future__ import annotations

import atexit
import shutil
import tempfile
import zipfile
from functools import cache
from pathlib import Path

APPENGINE_WEB_XML = (
    '<appengine-web-app xmlns="http://appengine.google.com/ns/1.0">\n'
    "  <runtime>java8</runtime>\n"
    "  <manual-scaling><instances>1</instances></manual-scaling>\n"
    "</appengine-web-app>\n"
)


def sample_war(directory: Path) -> Path:
    """``directory/target/hello.war`` with Jetty's runner beside it (as `make servlet` leaves
    them): a web.xml, an appengine-web.xml and one class."""
    path = directory / "target" / "hello.war"
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("WEB-INF/", "")
        archive.writestr("WEB-INF/web.xml", "<web-app/>\n")
        archive.writestr("WEB-INF/appengine-web.xml", APPENGINE_WEB_XML)
        archive.writestr("WEB-INF/classes/cloudlab/hello/HelloServlet.class", b"\xca\xfe\xba\xbe")
    (path.parent / "jetty-runner.jar").write_bytes(b"PK runner")
    return path


@cache
def shared_war() -> Path:
    """One sample WAR for a whole session (in a temporary directory of its own, removed when
    the session's process ends)."""
    directory = Path(tempfile.mkdtemp(prefix="cloudlab-war-"))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    return sample_war(directory)
