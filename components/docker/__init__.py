"""The local Docker environment's settings (:mod:`components.docker.settings`).

The Docker resources (image, network, container, commit) are cloudlab's own dynamic providers in
:mod:`components.dynamic.docker`. See README.md beside this file for the routing recipe of the
secured calculator topology.
"""
