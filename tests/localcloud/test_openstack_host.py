"""The kernel limits the data plane raises (localcloud/openstack/host.py), on a copy of
``/proc/sys``'s layout: raised to the floor, never lowered, and a refusal reported with the
servers it leaves room for and the command that fixes it."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from localcloud.openstack import host


def sysctl_tree(root: Path, values: dict[str, int]) -> Path:
    for key, value in values.items():
        path = root / key.replace(".", "/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{value}\n")
    return root


def read(root: Path, key: str) -> int:
    return int((root / key.replace(".", "/")).read_text())


def test_a_default_limit_is_raised_to_the_floor(tmp_path: Path) -> None:
    root = sysctl_tree(tmp_path, {"fs.inotify.max_user_instances": 128,
                                  "fs.inotify.max_user_watches": 8192})  # fmt: skip
    limits = host.raise_limits(root)
    assert read(root, "fs.inotify.max_user_instances") == 8192
    assert read(root, "fs.inotify.max_user_watches") == 524288
    assert host.describe(limits) == [
        "raised fs.inotify.max_user_instances from 128 to 8192",
        "raised fs.inotify.max_user_watches from 8192 to 524288",
    ]


def test_a_higher_limit_is_kept(tmp_path: Path) -> None:
    root = sysctl_tree(tmp_path, {"fs.inotify.max_user_instances": 65536,
                                  "fs.inotify.max_user_watches": 1048576})  # fmt: skip
    limits = host.raise_limits(root)
    assert read(root, "fs.inotify.max_user_instances") == 65536
    assert read(root, "fs.inotify.max_user_watches") == 1048576
    assert host.describe(limits) == []


def test_a_refused_write_names_the_capacity_and_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = sysctl_tree(tmp_path, {"fs.inotify.max_user_instances": 128})
    target = root / "fs/inotify/max_user_instances"
    write_text = Path.write_text

    def read_only(self: Path, *args: object, **kwargs: object) -> int:
        if self == target:  # as /proc/sys mounted read-only, or a user without the right
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(self))
        return write_text(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "write_text", read_only)
    limits = host.raise_limits(root, {"fs.inotify.max_user_instances": 8192})
    assert read(root, "fs.inotify.max_user_instances") == 128
    assert host.describe(limits) == [
        "could not raise fs.inotify.max_user_instances (128; OSError: Read-only file system): "
        "about 32 servers can run; as root: sysctl -w fs.inotify.max_user_instances=8192"
    ]


@pytest.mark.openstack
@pytest.mark.usefixtures("local_openstack")
def test_the_running_cloud_has_room_for_a_class() -> None:
    """What ``up`` set on this host: a class of 30 groups (150 servers) fits."""
    value = int(Path("/proc/sys/fs/inotify/max_user_instances").read_text())
    assert value >= 30 * 5 * host.INSTANCES_PER_SERVER
