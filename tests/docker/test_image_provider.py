"""LocalImageProvider against the real engine: build, read, rebuild on change, delete."""

from __future__ import annotations

import docker.errors
import pytest

from components.dynamic.docker import STACK_LABEL, LocalImageArgs, LocalImageProvider, context_hash

pytestmark = pytest.mark.docker

BASE_IMAGE = "cloudlab/base:bookworm"

DOCKERFILE = """\
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
ARG GREETING=unset
COPY hello.txt /hello.txt
RUN echo "$GREETING" > /greeting.txt
"""


def _args(stack, ctx, **kw):
    return LocalImageArgs(
        name=f"cloudlab-test/{stack}", tag="t1", context=str(ctx), context_hash=context_hash(ctx),
        build_args={"BASE_IMAGE": BASE_IMAGE, "GREETING": "hi"}, stack=stack, **kw,
    ).to_props()  # fmt: skip


def _cat(engine, image, path):
    return engine.containers.run(image, ["cat", path], remove=True).decode().strip()


def test_image_lifecycle(engine, stack, tmp_path):
    (tmp_path / "Dockerfile").write_text(DOCKERFILE)
    (tmp_path / "hello.txt").write_text("v1\n")
    p = LocalImageProvider()
    props = _args(stack, tmp_path)
    created = p.create(props)
    ref = f"cloudlab-test/{stack}:t1"
    assert created.id == ref and created.outs["image_id"].startswith("sha256:")
    image = engine.images.get(ref)
    assert image.id == created.outs["image_id"]
    assert image.labels[STACK_LABEL] == stack
    assert _cat(engine, ref, "/hello.txt") == "v1"
    assert _cat(engine, ref, "/greeting.txt") == "hi"

    read = p.read(ref, created.outs)
    assert read.id == ref and read.outs["image_id"] == image.id
    assert p.diff(ref, read.outs, _args(stack, tmp_path)).changes is False

    (tmp_path / "hello.txt").write_text("v2\n")
    news = _args(stack, tmp_path)
    d = p.diff(ref, read.outs, news)
    assert d.changes and not d.replaces  # rebuild in place, same tag
    updated = p.update(ref, read.outs, news)
    assert updated.outs["image_id"] != created.outs["image_id"]
    assert _cat(engine, ref, "/hello.txt") == "v2"
    with pytest.raises(docker.errors.ImageNotFound):  # the old build was cleaned up
        engine.images.get(created.outs["image_id"])

    p.delete(ref, updated.outs)
    with pytest.raises(docker.errors.ImageNotFound):
        engine.images.get(ref)
    p.delete(ref, updated.outs)  # idempotent
    assert p.read(ref, updated.outs).id == ""


def test_image_build_failure_is_reported(stack, tmp_path):
    (tmp_path / "Dockerfile").write_text(f"FROM {BASE_IMAGE}\nRUN echo boom-marker && false\n")
    with pytest.raises(RuntimeError, match="boom-marker"):
        LocalImageProvider().create(_args(stack, tmp_path))


def test_image_delete_tolerates_in_use(engine, stack, tmp_path):
    (tmp_path / "Dockerfile").write_text(DOCKERFILE)
    (tmp_path / "hello.txt").write_text("v1\n")
    p = LocalImageProvider()
    created = p.create(_args(stack, tmp_path))
    engine.containers.create(created.outs["image_id"], ["true"], name=f"{stack}-user",
                             labels={STACK_LABEL: stack})  # fmt: skip
    p.delete(created.id, created.outs)  # image in use by a container: kept, no error
    kept = engine.images.get(created.outs["image_id"])  # ImageNotFound if it was removed
    assert created.outs["ref"] in kept.tags  # not even untagged: the container still names it
