"""Remove everything labelled ``cloudlab.stack=<stack>`` (leftovers of tests, crashed runs)."""

from __future__ import annotations

from components.dynamic.base import STACK_LABEL


def cleanup(stack: str, *, images: bool = False) -> dict[str, list[str]]:
    """Force-remove the stack's containers, then its networks (and, if asked, its images).

    Returns the names removed per kind. Missing objects are fine (idempotent).
    """
    import docker.errors

    from .client import docker_client

    if not stack:
        raise ValueError("stack must be non-empty")
    client = docker_client()
    selector = {"label": f"{STACK_LABEL}={stack}"}
    removed: dict[str, list[str]] = {"containers": [], "networks": [], "images": []}
    for c in client.containers.list(all=True, filters=selector):
        try:
            c.remove(force=True, v=True)
            removed["containers"].append(c.name)
        except docker.errors.NotFound:
            pass
    for n in client.networks.list(filters=selector):
        try:
            n.remove()
            removed["networks"].append(n.name)
        except docker.errors.NotFound:
            pass
    if images:
        for i in client.images.list(filters=selector):
            for ref in i.tags or [i.id]:
                try:
                    client.images.remove(ref, force=True)
                    removed["images"].append(ref)
                except docker.errors.ImageNotFound:
                    pass
    return removed
