"""``LocalImage``: an image built from a local context directory and Dockerfile."""

from __future__ import annotations

import dataclasses
import fnmatch
import hashlib
import os
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import pulumi
import pulumi.dynamic as dyn

from components.dynamic.base import HashDiffProvider, input_hashes, stack_labels, to_props

DEFAULT_EXCLUDES: tuple[str, ...] = ("__pycache__", "*.pyc", ".git", ".pytest_cache", ".ruff_cache")


def package_context(package: str, *parts: str) -> Path:
    """The build context shipped inside ``package`` (its directory, or ``parts`` below it), found
    through :mod:`importlib.resources` wherever the package is installed (a checkout, a wheel in
    a virtualenv), never through the checkout's layout.

    Docker reads a build context from a directory, so the package must live on the file system
    (not in a zip archive): :class:`FileNotFoundError` otherwise.
    """
    found = resources.files(package).joinpath(*parts)
    path = Path(str(found))
    if not isinstance(found, Path) or not path.is_dir():
        raise FileNotFoundError(
            f"build context {package}/{'/'.join(parts)} is not a directory on the file system "
            "(install cloudlab-labs unzipped, e.g. with pip)"
        )
    return path


def context_hash(
    context: str | os.PathLike[str], excludes: tuple[str, ...] = DEFAULT_EXCLUDES
) -> str:
    """sha256 over a build context: every file's relative path, mode bit x and content.

    Computed at program time and passed as ``LocalImageArgs.context_hash`` so that a change of any
    source file triggers a rebuild. Names (of files or directories) matching ``excludes`` globs
    are skipped. Symlinks are hashed by their target path, not followed.
    """
    root = Path(context)
    if not root.is_dir():
        raise FileNotFoundError(f"build context {root} is not a directory")
    digest = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(
            d for d in dirnames if not any(fnmatch.fnmatch(d, e) for e in excludes)
        )
        for name in sorted(filenames):
            if any(fnmatch.fnmatch(name, e) for e in excludes):
                continue
            path = Path(dirpath) / name
            rel = path.relative_to(root).as_posix()
            digest.update(rel.encode() + b"\0")
            if path.is_symlink():
                digest.update(b"L" + os.readlink(path).encode() + b"\0")
                continue
            digest.update(b"X" if os.access(path, os.X_OK) else b"F")
            with path.open("rb") as fh:
                for chunk in iter(lambda fh=fh: fh.read(1 << 16), b""):
                    digest.update(chunk)
            digest.update(b"\0")
    return digest.hexdigest()


@dataclasses.dataclass
class LocalImageArgs:
    """Build ``name:tag`` from ``context`` (a directory) with ``dockerfile`` (relative to it)."""

    name: pulumi.Input[str]
    context: pulumi.Input[str]
    context_hash: pulumi.Input[str]
    """:func:`context_hash` of ``context``; a change rebuilds the image."""
    stack: pulumi.Input[str]
    """Value of the ``cloudlab.stack`` label."""
    tag: pulumi.Input[str] = "latest"
    dockerfile: pulumi.Input[str] = "Dockerfile"
    build_args: pulumi.Input[dict[str, str]] = dataclasses.field(default_factory=dict)
    """e.g. ``{"BASE_IMAGE": "cloudlab/base:bookworm"}``; not secret (they end up in the image)."""
    labels: pulumi.Input[dict[str, str]] = dataclasses.field(default_factory=dict)

    def to_props(self) -> dict[str, Any]:
        return to_props(self)


INPUT_KEYS = (
    "name", "tag", "context", "dockerfile", "build_args", "labels", "stack", "context_hash",
)  # fmt: skip
REPLACE_KEYS = ("name", "tag")
"""A new ``name:tag`` is a new image (the old tag removed after); other changes rebuild in place."""


class LocalImageProvider(HashDiffProvider):
    """Builds with the engine's builder; the resource id is the image ref ``name:tag``."""

    INPUT_KEYS = INPUT_KEYS
    REPLACE_KEYS = REPLACE_KEYS
    DELETE_BEFORE_REPLACE = False

    def _build(self, props: dict[str, Any]) -> dict[str, Any]:
        import docker.errors

        from .client import docker_client

        client = docker_client(timeout=600)
        ref = f"{props['name']}:{props.get('tag') or 'latest'}"
        try:
            image, _ = client.images.build(
                path=str(props["context"]),
                dockerfile=props.get("dockerfile") or "Dockerfile",
                tag=ref,
                buildargs={str(k): str(v) for k, v in (props.get("build_args") or {}).items()},
                labels=stack_labels(props["stack"], props.get("labels")),
                rm=True,
                forcerm=True,
                pull=False,
            )
        except docker.errors.BuildError as exc:
            lines = [str(c.get("stream") or c.get("error") or "").rstrip() for c in exc.build_log]
            tail = "\n".join(line for line in lines if line)[-3000:]
            raise RuntimeError(f"docker build of {ref} failed: {exc.msg}\n{tail}") from exc
        outs = {k: props.get(k) for k in INPUT_KEYS}
        outs.update(ref=ref, image_id=image.id, input_hashes=input_hashes(props, INPUT_KEYS))
        return outs

    def create(self, props: dict[str, Any]) -> dyn.CreateResult:
        outs = self._build(props)
        return dyn.CreateResult(id_=outs["ref"], outs=outs)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dyn.UpdateResult:
        outs = self._build(news)
        old_id = olds.get("image_id")
        if old_id and old_id != outs["image_id"]:
            _remove_image(old_id)  # the previous build, now untagged; kept if still in use
        return dyn.UpdateResult(outs=outs)

    def read(self, id_: str, props: dict[str, Any]) -> dyn.ReadResult:
        import docker.errors

        from .client import docker_client

        try:
            image = docker_client().images.get(id_)
        except docker.errors.ImageNotFound:
            return dyn.ReadResult("", {})
        outs = dict(props)
        outs["image_id"] = image.id
        return dyn.ReadResult(id_, outs)

    def delete(self, id_: str, _props: dict[str, Any]) -> None:
        _remove_image(id_)


def _remove_image(ref: str) -> None:
    """Remove a tag or image id; missing is fine, and so is "in use" (a container still runs it)."""
    import docker.errors

    from .client import docker_client

    try:
        docker_client().images.remove(ref, force=False, noprune=False)
    except docker.errors.ImageNotFound:
        pass
    except docker.errors.APIError as exc:
        if exc.status_code != 409:  # conflict: used by a container or referenced by another tag
            raise
        print(f"cloudlab: image {ref} kept: {exc.explanation}", file=sys.stderr)


class LocalImage(dyn.Resource, module="cloudlab/docker", name="LocalImage"):
    """A locally built image. Outputs: ``ref`` (``name:tag``) and ``image_id`` (``sha256:...``).

    Give containers ``image_id`` so that a rebuild replaces them.
    """

    ref: pulumi.Output[str]
    image_id: pulumi.Output[str]

    def __init__(
        self, resource_name: str, args: LocalImageArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        props = args.to_props()
        props.update(ref=None, image_id=None, input_hashes=None)
        super().__init__(LocalImageProvider(), resource_name, props, opts)
