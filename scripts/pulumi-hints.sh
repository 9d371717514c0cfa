#!/usr/bin/env bash
# Run `pulumi ARGS...`, and when it fails on an error a newcomer meets on this machine, say what
# to do next, after Pulumi's own words (which stay as they are, on the terminal).
#
#   scripts/pulumi-hints.sh preview --stack openstack ...
#
# Used by the Makefile's preview, policy, up and down targets.
set -uo pipefail

log=$(mktemp "${TMPDIR:-/tmp}/cloudlab-pulumi.XXXXXX")
trap 'rm -f "$log"' EXIT
pulumi "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
[ "$status" -eq 0 ] && exit 0

hint() { printf 'cloudlab: %s\n' "$*" >&2; }
if plugin=$(grep -o "no resource plugin 'pulumi-resource-[a-z0-9-]*'" "$log" | head -n1 | sed "s/.*pulumi-resource-\([a-z0-9-]*\)'/\1/"); [ -n "$plugin" ]; then
	case $plugin in
	openstack | kubernetes | random | tls)
		hint "the $plugin plugin is built by 'make toolchain' (it installs it into \$PULUMI_HOME): run it, then retry" ;;
	proxmoxve)
		hint "the proxmoxve plugin is not built on this machine yet: see docs/this-machine.md, \"The engine, offline\"; on a connected machine pulumi fetches it" ;;
	*)
		hint "no $plugin plugin can be built on this machine (its Go modules are not served): see docs/this-machine.md, \"The engine, offline\"; on a connected machine pulumi fetches it" ;;
	esac
fi
if grep -q "One of 'auth_url' or 'cloud' must be specified" "$log"; then
	hint "the openstack provider has no cloud: export OS_CLOUD=<a clouds.yaml entry>, or source your openrc; for the local cloud: make openstack, then eval \"\$(venv/bin/python -m localcloud.openstack env)\""
fi
if grep -q "configured Kubernetes cluster is unreachable" "$log"; then
	hint "the Kubernetes API does not answer: for the local one, make k8s (see docs/this-machine.md, \"Kubernetes\")"
fi
exit "$status"
