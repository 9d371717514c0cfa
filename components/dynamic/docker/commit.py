"""``CommittedImage``: ``docker commit`` of a container as a named image (a snapshot).

create = commit the container to ``name:tag``; delete = remove that image. The snapshot is
taken once: it changes only when the container is replaced (its id is an input) or the name,
tag or commit options change, which replace the image (the old tag removed first: a name can
point to one image only). ``read`` notices a snapshot removed behind Pulumi's back.

Why a commit and not an image built from the container's definition: see the Docker lab's
README section (components/dockerlab/README.md).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pulumi
import pulumi.dynamic as dyn

from components.dynamic.base import (
    HashDiffProvider,
    adoptable,
    input_hashes,
    spec_labels,
    to_props,
    value_hash,
)


@dataclasses.dataclass
class CommittedImageArgs:
    """Commit ``container`` (id or name) to ``name:tag``."""

    container: pulumi.Input[str]
    """Give ``Container.container_id``: a replaced container is snapshotted again."""
    name: pulumi.Input[str]
    """Repository, lower case (``dockerpictures``)."""
    stack: pulumi.Input[str]
    """Value of the ``cloudlab.stack`` label the image carries."""
    tag: pulumi.Input[str] = "latest"
    message: pulumi.Input[str] = ""
    """Commit message (``docker commit -m``)."""
    author: pulumi.Input[str] = ""
    changes: pulumi.Input[list[str]] = dataclasses.field(default_factory=list)
    """Dockerfile instructions applied to the snapshot (``docker commit -c``), e.g. ``CMD``."""
    pause: pulumi.Input[bool] = True
    """Pause the container while committing (Docker's default)."""

    def to_props(self) -> dict[str, Any]:
        return to_props(self)


INPUT_KEYS = ("container", "name", "tag", "message", "author", "changes", "pause", "stack")
REPLACE_KEYS = INPUT_KEYS


class CommittedImageProvider(HashDiffProvider):
    """The resource id is the image ref ``name:tag``."""

    INPUT_KEYS = INPUT_KEYS
    REPLACE_KEYS = REPLACE_KEYS
    DELETE_BEFORE_REPLACE = True

    def create(self, props: dict[str, Any]) -> dyn.CreateResult:
        import docker.errors

        from .client import docker_client

        client = docker_client()
        ref = f"{props['name']}:{props.get('tag') or 'latest'}"
        spec = value_hash(input_hashes(props, REPLACE_KEYS))
        try:
            existing = client.images.get(ref)
        except docker.errors.ImageNotFound:
            pass
        else:
            if adoptable(existing.labels, props["stack"], spec):
                # Committed by an interrupted update, from these very inputs: take it over.
                return self._created(props, ref, existing.id)
            raise RuntimeError(
                f"an image {ref} already exists and is not this snapshot; remove it "
                f"(docker rmi {ref}) or pick another name"
            )
        changes = list(props.get("changes") or [])
        # The stack label lets cleanup(stack, images=True) find the snapshot; the spec label
        # lets a later create adopt it (see base.adoptable).
        changes += [
            f'LABEL "{k}"="{v}"' for k, v in spec_labels(props["stack"], None, spec).items()
        ]
        try:
            result = client.api.commit(
                props["container"],
                repository=props["name"],
                tag=props.get("tag") or "latest",
                message=props.get("message") or None,
                author=props.get("author") or None,
                changes=changes,
                pause=bool(props.get("pause", True)),
            )
        except docker.errors.APIError as exc:
            raise RuntimeError(f"docker commit {props['container']} {ref}: {exc}") from exc
        return self._created(props, ref, result["Id"])

    @staticmethod
    def _created(props: dict[str, Any], ref: str, image_id: str) -> dyn.CreateResult:
        outs = {k: props.get(k) for k in INPUT_KEYS}
        outs.update(ref=ref, image_id=image_id, input_hashes=input_hashes(props, INPUT_KEYS))
        return dyn.CreateResult(id_=ref, outs=outs)

    def read(self, id_: str, props: dict[str, Any]) -> dyn.ReadResult:
        import docker.errors

        from .client import docker_client

        try:
            image = docker_client().images.get(id_)
        except docker.errors.ImageNotFound:
            return dyn.ReadResult("", {})
        if props.get("image_id") and image.id != props["image_id"]:
            return dyn.ReadResult("", {})  # the name now points to another image
        return dyn.ReadResult(id_, dict(props))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        import docker.errors

        from .client import docker_client

        client = docker_client()
        try:
            current = client.images.get(id_)
        except docker.errors.ImageNotFound:
            return
        if props.get("image_id") and current.id != props["image_id"]:
            return  # someone re-tagged the name since: not ours to remove
        try:
            client.images.remove(id_, force=False, noprune=False)
        except docker.errors.ImageNotFound:
            pass
        except docker.errors.APIError as exc:
            raise RuntimeError(
                f"cannot remove snapshot {id_}: {exc.explanation} (a container still uses it?)"
            ) from exc


class CommittedImage(dyn.Resource, module="cloudlab/docker", name="CommittedImage"):
    """A snapshot of a container. Outputs: ``ref`` (``name:tag``), ``image_id``.

    Give containers ``image_id`` so that a new snapshot replaces them.
    """

    ref: pulumi.Output[str]
    image_id: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        args: CommittedImageArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = args.to_props()
        props.update(ref=None, image_id=None, input_hashes=None)
        super().__init__(CommittedImageProvider(), resource_name, props, opts)
