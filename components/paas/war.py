"""Digests of the app's build output: what tells a changed WAR from a rebuilt identical one."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path


def war_digest(war: Path) -> str:
    """sha256 over the WAR's entries (names and contents, in name order), not its timestamps:
    a rebuild of the same sources keeps it, a changed class or descriptor changes it."""
    digest = hashlib.sha256()
    with zipfile.ZipFile(war) as archive:
        for info in sorted(archive.infolist(), key=lambda i: i.filename):
            if info.is_dir():
                continue
            digest.update(info.filename.encode() + b"\0")
            digest.update(archive.read(info))
            digest.update(b"\0")
    return digest.hexdigest()


def file_digest(path: Path) -> str:
    """sha256 of one file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()
