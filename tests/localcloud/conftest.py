"""The local OpenStack for the tests that need it: started if needed, stopped if we started it.

A cloud that cannot be started is an error of every test that uses it, never a skip.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from localcloud import openstack as localcloud_openstack


@pytest.fixture(scope="session")
def local_openstack(pytestconfig: pytest.Config) -> Iterator[None]:
    """Bring the local cloud up for the session (its progress uncaptured: a cold start takes
    minutes); take it down after if this session started it."""
    capture = pytestconfig.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        started = localcloud_openstack.ensure_up()
    try:
        yield
    finally:
        if started:
            localcloud_openstack.down()
