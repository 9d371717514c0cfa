"""cloudlab's offline stand-ins for maintained providers, behind one seam.

The official Docker and command provider plugins cannot be built here, so cloudlab drives
them with its own Pulumi *dynamic providers*, which the engine runs without a plugin binary:

- :mod:`components.dynamic.base`: what every stand-in shares (labels, input hashes, the
  hash diff of :class:`~components.dynamic.base.HashDiffProvider`, adoption of orphans);
- :mod:`components.dynamic.docker`: Docker through docker-py (image, network, container,
  commit), with its client and a label-based cleanup;
- :mod:`components.dynamic.command`: ``LocalCommand``, shell commands run at create, update
  and delete (pulumi-command's ``local.Command``): the tree's one command implementation;
- :mod:`components.dynamic.readiness`: ``ApiReady``, a Kubernetes API's readiness gate (no
  command at all: nothing of the machine that runs it is stored).

The engine stores each provider pickled by its module path in the state, so a provider's
module path is part of the state's format: state pickled under another path is rewritten by
the next update (:class:`~components.dynamic.base.HashDiffProvider`, docs/upgrading.md). A
lab's components import the stand-ins from here; the stand-ins import no component.
"""
