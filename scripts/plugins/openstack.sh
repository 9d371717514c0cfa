#!/usr/bin/env bash
# Build the Pulumi resource plugin pulumi-resource-openstack from Go modules.
#
#   scripts/plugins/openstack.sh OUT_DIR     builds OUT_DIR/pulumi-resource-openstack
#
# Why ourselves: the Go proxy refuses github.com/pulumi/pulumi-openstack, but serves the upstream
# Terraform provider and the Pulumi bridge, so toolchain/plugins/openstack/ bridges them with the
# token map of the pinned pulumi-openstack SDK (see its gen_tokens.py).
# Steps: download the modules, build the tfgen, let it write the schema, build the provider with
# that schema embedded. The committed cmd/provider/schema.json is a placeholder: the real schema is
# substituted with `go build -overlay`, so the repo tree never changes and nothing is copied.
# Intermediate files live in a temp dir; go's verbose output goes to a log file, progress to stderr.
# Called by scripts/toolchain.sh, which caches the result by PLUGIN_VERSION and the module's hash.
set -euo pipefail

PLUGIN_VERSION=5.5.3
NAME=openstack
UPSTREAM=github.com/terraform-provider-openstack/terraform-provider-openstack/v3

# shellcheck source=scripts/lib/plugin-build.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/plugin-build.sh"
plugin_build_init "$@"

step 1 "download Go modules (175 modules, 1.2 GB)" "~2 min" go -C "$MOD" mod download -x
step 2 "compile the tfgen (0.86 GB of build cache)" \
	"~4 min of CPU; 7-10 min measured with other builds on the 2 cores" \
	go -C "$MOD" build -v -ldflags "$ldflags" -o "$tmp/pulumi-tfgen-$NAME" ./cmd/tfgen
# tfgen reads the upstream docs (descriptions) from the module's source; a missing page is an error.
upstream=$(go -C "$MOD" list -m -f '{{.Dir}}' "$UPSTREAM") || die "cannot resolve $UPSTREAM"
step 3 "generate the schema (tfgen schema --skip-examples)" "~5 s" \
	env -C "$tmp" CLOUDLAB_UPSTREAM_DIR="$upstream" PULUMI_MISSING_DOCS_ERROR=true \
	"$tmp/pulumi-tfgen-$NAME" schema --skip-examples --out "$tmp/schema"
[ -s "$tmp/schema/schema.json" ] || die "tfgen wrote no schema.json"
printf '{"Replace": {"%s": "%s"}}\n' "$MOD/cmd/provider/schema.json" "$tmp/schema/schema.json" \
	>"$tmp/overlay.json"
step 4 "build pulumi-resource-$NAME with the schema embedded" "~10 s" go -C "$MOD" build -v \
	-overlay "$tmp/overlay.json" -ldflags "$ldflags" -o "$tmp/pulumi-resource-$NAME" ./cmd/provider

plugin_install
