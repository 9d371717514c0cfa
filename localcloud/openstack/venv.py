"""The services venv: OpenStack's services from PyPI, pinned by the committed lock file.

It is a cache outside the repo, keyed by the lock's hash, built once (about 1-3 min, ~600 MB) and
reused; our plugin distribution is (re)installed into it whenever its sources change.
"""

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from localcloud.openstack.layout import LOCK_FILE, PLUGINS_DIR, Layout, plugins_hash
from localcloud.openstack.progress import step

COMPLETE_MARKER = ".cloudlab-complete"


def ensure_venv(layout: Layout) -> Path:
    """Create the services venv if missing and install our plugins; returns its path."""
    venv = layout.venv
    log = layout.cache / f"{venv.name}.log"
    if not (venv / COMPLETE_MARKER).exists():
        layout.cache.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(venv, ignore_errors=True)  # a half-built venv from an interrupted run
        with step(f"creating the services venv {venv}", estimate_s=180, log=log):
            with log.open("w") as out:
                _run([sys.executable, "-m", "venv", str(venv)], out)
                _run(
                    [
                        str(venv / "bin" / "pip"),
                        "install",
                        "--disable-pip-version-check",
                        "--no-deps",
                        "-r",
                        str(LOCK_FILE),
                    ],
                    out,
                )
            (venv / COMPLETE_MARKER).touch()
    _ensure_plugins(venv, log)
    return venv


def plugins_current(layout: Layout) -> bool:
    """Whether the services venv has this checkout's plugin sources installed."""
    return (layout.venv / f".cloudlab-plugins-{plugins_hash()}").exists()


def _ensure_plugins(venv: Path, log: Path) -> None:
    marker = venv / f".cloudlab-plugins-{plugins_hash()}"
    if marker.exists():
        return
    with step("installing cloudlab's OpenStack plugins into the services venv", 15, log):
        # Build from a copy: an in-tree build would leave build/ and *.egg-info in the repo.
        with tempfile.TemporaryDirectory() as tmp, log.open("a") as out:
            src = Path(tmp) / "plugins"
            shutil.copytree(PLUGINS_DIR, src, ignore=shutil.ignore_patterns("__pycache__"))
            _run(
                [
                    str(venv / "bin" / "pip"),
                    "install",
                    "--disable-pip-version-check",
                    "--no-deps",
                    "--force-reinstall",
                    str(src),
                ],
                out,
            )
        for old in venv.glob(".cloudlab-plugins-*"):
            old.unlink()
        marker.touch()


def _run(argv: list[str], out) -> None:
    result = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({result.returncode}); see {out.name}")
