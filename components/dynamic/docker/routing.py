"""The routing prelude of a :class:`~components.dynamic.docker.container.Container`.

``routes`` (a gateway's static routes), ``forward`` and ``masquerade`` (a router's policy and
source NAT) need ``NET_ADMIN`` and ``/bin/sh``, ``ip`` and ``iptables`` in the image. A short
shell prelude, put in front of the image's own entrypoint and command, applies them at every
start, so they survive ``docker restart`` (Docker re-creates the network namespace, the
prelude runs again). Pure: unit-tested without Docker.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

ROUTING_CAP = "NET_ADMIN"

INIT_SCRIPT = r"""set -eu
for r in ${CLOUDLAB_ROUTES:-}; do ip route replace "${r%%=*}" via "${r#*=}"; done
if [ -n "${CLOUDLAB_FORWARD:-}" ]; then
  iptables -P FORWARD DROP
  iptables -C FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT 2>/dev/null \
    || iptables -A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
  for f in $CLOUDLAB_FORWARD; do
    iptables -C FORWARD -s "${f%%>*}" -d "${f#*>}" -j ACCEPT 2>/dev/null \
      || iptables -A FORWARD -s "${f%%>*}" -d "${f#*>}" -j ACCEPT
  done
fi
for m in ${CLOUDLAB_MASQUERADE:-}; do
  iptables -t nat -C POSTROUTING -d "$m" -j MASQUERADE 2>/dev/null \
    || iptables -t nat -A POSTROUTING -d "$m" -j MASQUERADE
done
echo "cloudlab-init: routes=[${CLOUDLAB_ROUTES:-}] forward=[${CLOUDLAB_FORWARD:-}]" \
  "masquerade=[${CLOUDLAB_MASQUERADE:-}] run-as=[${CLOUDLAB_RUN_AS:-root}]" >&2
if [ -n "${CLOUDLAB_RUN_AS:-}" ]; then
  exec setpriv --reuid="${CLOUDLAB_RUN_AS%%:*}" --regid="${CLOUDLAB_RUN_AS#*:}" \
    --clear-groups --inh-caps=-all --bounding-set=-all -- "$@"
fi
exec "$@"
"""
"""Prelude run at every start of a container with routes/forward/masquerade."""


def routing_env(props: dict[str, Any]) -> dict[str, str]:
    """The ``CLOUDLAB_*`` variables the prelude reads (empty when no routing feature is used)."""
    env: dict[str, str] = {}
    routes = props.get("routes") or []
    forward = props.get("forward") or []
    masquerade = props.get("masquerade") or []
    if routes:
        env["CLOUDLAB_ROUTES"] = " ".join(f"{r['destination']}={r['via']}" for r in routes)
    if forward:
        env["CLOUDLAB_FORWARD"] = " ".join(f"{f['source']}>{f['destination']}" for f in forward)
    if masquerade:
        env["CLOUDLAB_MASQUERADE"] = " ".join(str(m) for m in masquerade)
    return env


def compose_argv(
    entrypoint: Sequence[str] | None,
    command: Sequence[str] | None,
    image_entrypoint: Sequence[str] | None,
    image_cmd: Sequence[str] | None,
) -> list[str]:
    """The argv Docker would run (an explicit entrypoint drops the image's command)."""
    if entrypoint:
        return [*entrypoint, *(command or [])]
    return [*(image_entrypoint or []), *(command if command else image_cmd or [])]
