"""A group's handout: how to reach its cloud, its calculator and its VMs, in Markdown.

It holds the group's password (its ``clouds.yaml`` entry), so it is written readable by its
owner alone (mode 600), under the teacher's state directory, never in the repository.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import yaml

from components.classroom.membership import CREDENTIAL_KEYS


def clouds_entry(credentials: Mapping[str, str]) -> dict[str, object]:
    """The group's ``clouds.yaml`` entry."""
    return {
        "auth": {key: credentials[key] for key in CREDENTIAL_KEYS if key != "region_name"},
        "region_name": credentials["region_name"],
        "identity_api_version": 3,
        "interface": "public",
    }


def render(
    group_id: str,
    title: str,
    credentials: Mapping[str, str],
    outputs: Mapping[str, object],
    ssh_open: bool,
) -> str:
    """The handout's Markdown."""
    cloud = credentials["project_name"]
    entry = yaml.safe_dump({"clouds": {cloud: clouds_entry(credentials)}}, sort_keys=False)
    floating_ip = str(outputs.get("floatingIp", "-"))
    url = str(outputs.get("calculatorUrl", "-"))
    private = outputs.get("privateIps") or {}
    vms = "\n".join(f"| `{name}` | `{ip}` |" for name, ip in sorted(dict(private).items()))
    ssh = (
        f"SSH is open to your allowed networks on the calculator: `ssh ubuntu@{floating_ip}`, "
        f"then from it to the operands' private addresses (`ssh -J ubuntu@{floating_ip} "
        "ubuntu@<private address>`)."
        if ssh_open
        else "SSH is closed (the lab's security groups allow only the calculator's port); "
        "ask your teacher to add your network to `sshAllowedCidrs`, or use the console: "
        f"`openstack --os-cloud {cloud} console url show <server>`."
    )
    return f"""# Calculator lab: {title} (`{group_id}`)

## Your cloud account

Add this entry to `~/.config/openstack/clouds.yaml` (keep it private: it holds your password):

```yaml
{entry.rstrip()}
```

Then `export OS_CLOUD={cloud}` and `openstack server list` shows your lab's VMs, and only
yours.

## Your calculator

- Floating IP: `{floating_ip}`
- Calculator URL: {url}
- Try it: `curl -d '(5+6)*2' -X POST {url}` answers `result = 22`.

## Your VMs

| VM | private address |
|----|-----------------|
{vms}

{ssh}
"""


def write(directory: Path, group_id: str, text: str) -> Path:
    """``<directory>/<group_id>.md``, readable by its owner alone."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{group_id}.md"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    path.chmod(0o600)
    return path
