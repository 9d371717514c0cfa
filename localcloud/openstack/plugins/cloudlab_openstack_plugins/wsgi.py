"""WSGI entry points for gunicorn: one function per service, each importing its app cleanly.

The services parse the process's command line through oslo.config when their app is built, and
gunicorn's own arguments would be rejected; so ``sys.argv`` is reset to the bare program name before
the service's WSGI module is imported. Gunicorn loads ``cloudlab_openstack_plugins.wsgi:keystone()``
(and so on) with its factory syntax; the config files come from the services' own environment
variables (OS_KEYSTONE_CONFIG_FILES, OS_NEUTRON_CONFIG_FILES, OS_NOVA_CONFIG_DIR,
OS_PLACEMENT_CONFIG_DIR, OS_GLANCE_CONFIG_DIR).

Neutron and Keystone build their policy enforcer on the first request that checks a rule, and
publish it before its rules are registered: with gunicorn's threads, the first requests after a
start can be checked against an empty rule set and refused (Neutron answered two concurrent
``PUT /v2.0/quotas/<id>`` of an admin with 403 "rule:update_quota is disallowed by policy",
while the third passed). So their enforcers are built here, before a request is served.
"""

import importlib
import sys
from collections.abc import Callable
from typing import Any

WsgiApp = Callable[..., Any]


def _load(module: str, program: str) -> WsgiApp:
    sys.argv = [program]
    return importlib.import_module(module).application


def keystone() -> WsgiApp:
    """Keystone's public API (port 5000), its policy enforcer built."""
    app = _load("keystone.wsgi.api", "keystone-wsgi-public")
    from keystone.common.rbac_enforcer.enforcer import RBACEnforcer

    RBACEnforcer()._enforcer  # noqa: B018 (the property builds and registers the shared enforcer)
    return app


def neutron() -> WsgiApp:
    """Neutron's API (port 9696), with ML2 and the router plugin in-process, its policy
    enforcer built."""
    app = _load("neutron.wsgi.api", "neutron-api")
    from neutron import policy

    policy.init()
    return app


def nova() -> WsgiApp:
    """Nova's compute API (port 8774)."""
    return _load("nova.wsgi.osapi_compute", "nova-api-os-compute")


def placement() -> WsgiApp:
    """Placement's API (port 8778)."""
    return _load("placement.wsgi.api", "placement-api")


def glance() -> WsgiApp:
    """Glance's image API (port 9292)."""
    return _load("glance.wsgi.api", "glance-api")
