"""Autonomic manager of the group's Proxmox containers (docs/labs/proxmox.md): a MAPE-K loop.

monitor (:mod:`autonomic.monitor`) reads the nodes and the group's containers through the
Proxmox API; analyse and plan (:mod:`autonomic.policy`) are pure functions of that snapshot
and the thresholds; execute (:mod:`autonomic.execute`) acts either directly on the API or
declaratively, by changing the placement in the Proxmox stack's config and running
``pulumi up``. :mod:`autonomic.loop` ties them together, ``python -m autonomic`` runs it.
"""
