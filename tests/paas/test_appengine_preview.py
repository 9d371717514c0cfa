"""``pulumi preview`` of the ``appengine`` stack on the real engine: the program runs to the
end (settings, the WAR, every resource planned) and the one error is the gcp provider plugin,
which cannot be built on this machine. Needs `make toolchain` and `make servlet`."""

from __future__ import annotations

import re

import pytest

from components.paas.settings import war_file
from tests.engine.pulumi_project import make_project

pytestmark = pytest.mark.engine


def test_the_preview_reaches_the_missing_gcp_plugin(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    if not war_file("apps/hello-servlet/target/hello.war").is_file():
        pytest.fail("the servlet is not built: run `make servlet`")
    project = make_project(tmp_path_factory.mktemp("appengine"), extra_dirs=("apps",))
    project.stack("appengine", config_from="appengine")
    project.run(
        "config", "set", "--path", "cloudlab:appengine.project", "cloudlab-paas-lab",
        "--stack", "appengine",
    )  # fmt: skip
    res = project.run("preview", "--stack", "appengine", check=False)
    output = res.stdout + res.stderr
    assert res.returncode != 0
    errors = set(re.findall(r"error: (.*)", output))
    missing = {e for e in errors if e.startswith("no resource plugin 'pulumi-resource-gcp")}
    assert missing, f"expected the missing gcp plugin to be the error:\n{output[-4000:]}"
    others = errors - missing - {"update failed", "preview failed"}
    assert not others, f"the program failed before reaching the provider: {others}"
