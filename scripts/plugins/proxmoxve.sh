#!/usr/bin/env bash
# Build the Pulumi resource plugin pulumi-resource-proxmoxve from Go modules.
#
#   scripts/plugins/proxmoxve.sh OUT_DIR     builds OUT_DIR/pulumi-resource-proxmoxve
#
# Why ourselves: the Go proxy does not serve the module of pulumi-proxmoxve's provider, but it
# serves the upstream Terraform provider bpg/terraform-provider-proxmox (at v0.112.0: the nearest
# served version to the one the SDK was generated from; see toolchain/plugins/proxmoxve/README.md)
# and the Pulumi bridge, so toolchain/plugins/proxmoxve/ bridges them, with the tokens of the
# pinned pulumi-proxmoxve SDK (see its gen_tokens.py). The upstream provider is half SDKv2, half
# Plugin Framework: the bridge muxes the two, and tfgen writes the muxer's dispatch table into
# bridge-metadata.json, which the plugin embeds next to the schema.
# Steps: download the modules, build the tfgen, let it write the schema and the metadata, build the
# provider with both embedded. The committed cmd/provider/schema.json and bridge-metadata.json are
# placeholders: the real ones are substituted with `go build -overlay`, so the repo tree never
# changes and nothing is copied.
# Intermediate files live in a temp dir; go's verbose output goes to a log file, progress to stderr.
# Called by scripts/plugins.sh, which caches the result by PLUGIN_VERSION and the module's hash.
set -euo pipefail

PLUGIN_VERSION=8.6.0
NAME=proxmoxve
UPSTREAM=github.com/bpg/terraform-provider-proxmox

# shellcheck source=scripts/lib/plugin-build.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/plugin-build.sh"
plugin_build_init "$@"

step 1 "download Go modules (about 230 modules)" "~2 min; seconds when the OpenStack plugin was built" go -C "$MOD" mod download -x
step 2 "compile the tfgen" \
	"~4 min of CPU with an empty build cache (236 s measured on the 2 shared cores)" \
	go -C "$MOD" build -v -ldflags "$ldflags" -o "$tmp/pulumi-tfgen-$NAME" ./cmd/tfgen
# tfgen reads the upstream docs (descriptions of the SDKv2 resources) from the module's source.
upstream=$(go -C "$MOD" list -m -f '{{.Dir}}' "$UPSTREAM") || die "cannot resolve $UPSTREAM"
step 3 "generate the schema (tfgen schema --skip-examples)" "~5 s" \
	env -C "$tmp" CLOUDLAB_UPSTREAM_DIR="$upstream" \
	"$tmp/pulumi-tfgen-$NAME" schema --skip-examples --out "$tmp/schema"
[ -s "$tmp/schema/schema.json" ] || die "tfgen wrote no schema.json"
grep -q '"mux"' "$tmp/schema/bridge-metadata.json" 2>/dev/null || die "tfgen wrote no muxer dispatch table"
printf '{"Replace": {"%s": "%s", "%s": "%s"}}\n' \
	"$MOD/cmd/provider/schema.json" "$tmp/schema/schema.json" \
	"$MOD/bridge-metadata.json" "$tmp/schema/bridge-metadata.json" >"$tmp/overlay.json"
step 4 "build pulumi-resource-$NAME with the schema and metadata embedded" "~20 s" go -C "$MOD" build -v \
	-overlay "$tmp/overlay.json" -ldflags "$ldflags" -o "$tmp/pulumi-resource-$NAME" ./cmd/provider

plugin_install
