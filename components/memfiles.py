"""Secrets as files that live in memory only and vanish with the process.

Some APIs take a secret only as a path (``ssl.SSLContext.load_cert_chain`` wants the client
key in a file). A file in ``/tmp`` outlives a SIGKILL of its writer; an anonymous memory file
(Linux ``memfd_create``) does not: it has no name in any file system, is readable through
``/proc/self/fd/N`` by this process only (and by root), and the kernel frees it when the last
descriptor closes, which a SIGKILL does too::

    with memory_file("client.key", key_pem) as key_path:
        context.load_cert_chain(cert_path, key_path)
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["memory_file"]


@contextmanager
def memory_file(name: str, text: str) -> Iterator[str]:
    """A path to an in-memory file holding ``text`` (UTF-8), valid inside the block."""
    fd = os.memfd_create(name, os.MFD_CLOEXEC)
    try:
        os.write(fd, text.encode("utf-8"))
        yield f"/proc/self/fd/{fd}"
    finally:
        os.close(fd)
