"""The local OpenStack's clouds.yaml entries are merged into the user's file, never clobbering it.

Pure file handling (no cloud needed): the user's other clouds and settings survive, a rerun with
the same passwords leaves the file untouched, and a file that is not a clouds mapping is refused.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from localcloud.openstack.clouds import write_entries
from localcloud.openstack.layout import ADMIN_CLOUD_NAME, CLOUD_NAME, Layout

USERS_FILE = """\
# my clouds
clouds:
  university:
    auth:
      auth_url: https://keystone.example.edu:5000/v3
      username: student
    region_name: RegionOne
client:
  force_ipv4: true
"""


@pytest.fixture
def layout(tmp_path: Path) -> Layout:
    return Layout(state=tmp_path / "state", cache=tmp_path / "cache")


def test_merge_keeps_the_users_clouds_and_settings(layout: Layout, tmp_path: Path) -> None:
    path = tmp_path / "clouds.yaml"
    path.write_text(USERS_FILE)
    write_entries(layout, path)
    data = yaml.safe_load(path.read_text())
    before = yaml.safe_load(USERS_FILE)
    assert data["clouds"]["university"] == before["clouds"]["university"]
    assert data["client"] == before["client"]
    assert data["clouds"][CLOUD_NAME]["auth"]["project_name"] == "cloudlab"
    assert data["clouds"][CLOUD_NAME]["auth"]["auth_url"] == "http://127.0.0.1:5000/v3"
    assert data["clouds"][ADMIN_CLOUD_NAME]["auth"]["username"] == "admin"
    assert path.stat().st_mode & 0o077 == 0  # passwords inside: owner only
    # The original is kept once, byte for byte.
    assert (tmp_path / "clouds.yaml.before-cloudlab").read_text() == USERS_FILE


def test_rerun_leaves_the_file_untouched(layout: Layout, tmp_path: Path) -> None:
    path = tmp_path / "clouds.yaml"
    write_entries(layout, path)
    first = path.read_bytes()
    mtime = path.stat().st_mtime_ns
    write_entries(layout, path)
    assert path.read_bytes() == first
    assert path.stat().st_mtime_ns == mtime


def test_a_file_that_is_not_a_clouds_mapping_is_refused(layout: Layout, tmp_path: Path) -> None:
    path = tmp_path / "clouds.yaml"
    path.write_text("- just\n- a list\n")
    with pytest.raises(RuntimeError, match="not touching it"):
        write_entries(layout, path)
    assert path.read_text() == "- just\n- a list\n"
