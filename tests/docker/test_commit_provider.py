"""CommittedImageProvider against the real engine: docker commit, adoption of a snapshot an
interrupted update left, refusal of someone else's image of the same name, delete."""

from __future__ import annotations

import docker.errors
import pytest

from components.dynamic.docker import ContainerArgs, ContainerProvider
from components.dynamic.docker.commit import CommittedImageArgs, CommittedImageProvider

pytestmark = pytest.mark.docker


def test_commit_adopt_refuse_delete(engine, stack, base_image):
    source = ContainerProvider().create(
        ContainerArgs(name=f"{stack}-src", image=base_image, stack=stack,
                      command=["sh", "-c", "echo made-here > /marker; sleep infinity"]).to_props()
    )  # fmt: skip
    args = CommittedImageArgs(
        container=source.id, name=f"cloudlab-test/{stack}-snap", tag="v1", stack=stack
    )
    p = CommittedImageProvider()
    first = p.create(args.to_props())
    ref = f"cloudlab-test/{stack}-snap:v1"
    assert first.id == ref
    out = engine.containers.run(ref, ["cat", "/marker"], remove=True, entrypoint=[])
    assert out == b"made-here\n"  # the running container's file system, not its image's

    again = p.create(args.to_props())  # an interrupted update committed it already
    assert again.id == ref and again.outs["image_id"] == first.outs["image_id"]

    other = CommittedImageArgs(
        container=source.id, name=f"cloudlab-test/{stack}-snap", tag="v1", stack=f"{stack}-x"
    )
    with pytest.raises(RuntimeError, match="already exists and is not this snapshot"):
        p.create(other.to_props())

    p.delete(first.id, first.outs)
    with pytest.raises(docker.errors.ImageNotFound):
        engine.images.get(ref)
