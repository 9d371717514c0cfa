#!/usr/bin/env bash
# The lab's own check against the local OpenStack, from the host: POST an expression to the
# calculator at its floating IP. Refuses unless the address routes to the local cloud's external
# bridge (br-ex): a lab address that routed anywhere else would leave by the default route.
#
#   scripts/openstack-curl.sh FLOATING_IP [EXPRESSION] [PORT]     (default "(5+6)*2", 50005)
set -euo pipefail
ip="${1:?usage: $0 FLOATING_IP [EXPRESSION] [PORT]}"
expr="${2:-(5+6)*2}"
port="${3:-50005}"
bridge="${CLOUDLAB_OPENSTACK_BRIDGE:-br-ex}"
route=$(ip route get "$ip" 2>&1) || { echo "openstack-curl: no route to $ip: $route" >&2; exit 2; }
dev=$(awk '{for (i = 1; i < NF; i++) if ($i == "dev") {print $(i + 1); exit}}' <<<"$route")
if [[ $dev != "$bridge" ]]; then
  echo "openstack-curl: refusing: $ip routes via '${dev:-?}', not the local cloud's $bridge" \
    "(is the local OpenStack up in this network namespace?): $route" >&2
  exit 3
fi
exec curl -sS --max-time 20 -d "$expr" -X POST "http://$ip:$port"
