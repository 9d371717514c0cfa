#!/usr/bin/env bash
# Build the Pulumi resource plugin pulumi-resource-kubernetes from Go modules.
#
#   scripts/plugins/kubernetes.sh OUT_DIR     builds OUT_DIR/pulumi-resource-kubernetes
#
# Why from source: the plugin's release downloads are unreachable here; only the Go module proxy
# is. The proxy refuses the tagged provider/v4 versions but serves the pseudo-version pinned in
# toolchain/plugins/kubernetes/go.mod, so that wrapper module (go.mod + go.sum) is the recipe.
#
# The provider's main package embeds schema-embed.json and terraform-mapping-embed.json, which
# upstream generates (`go generate`) and which are not in the module zip. We make them from the
# module's schema.json (with the version set) and terraform-mapping.json (compacted), as its
# generate.go does, and lay them plus the provider's own main.go over the wrapper directory with
# `go build -overlay` (overlays under GOMODCACHE are refused). Nothing is written to the repo or
# to the module cache; intermediates live in a temp dir. Go caches are the shared defaults.
#
# The driver (scripts/toolchain.sh) reads the version from the PLUGIN_VERSION= line below.
set -euo pipefail

PLUGIN_VERSION=4.34.2
PROVIDER_MODULE=github.com/pulumi/pulumi-kubernetes/provider/v4
COLD_ESTIMATE="~13 min on 2 cores alone, 35 min beside other builds; warm (link only) 0.5-1 min"

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WRAPPER=$ROOT/toolchain/plugins/kubernetes
LOG_DIR=${CLOUDLAB_CACHE:-$HOME/.cache/cloudlab}/logs
T0=$(date +%s)

log() { printf 'toolchain: [kubernetes] %s\n' "$*" >&2; }
elapsed() { printf '%ss' "$(($(date +%s) - T0))"; }
die() {
	log "ERROR: $*"
	exit 1
}

[ $# -eq 1 ] && [ -n "$1" ] || die "usage: $0 OUT_DIR"
command -v go >/dev/null 2>&1 || die "Go (>= 1.25) is needed to build pulumi-resource-kubernetes"
command -v python3 >/dev/null 2>&1 || die "python3 is needed to generate the provider's embedded schema"
[ -f "$WRAPPER/go.mod" ] || die "missing $WRAPPER/go.mod"

mkdir -p "$1" "$LOG_DIR"
OUT=$(cd "$1" && pwd)/pulumi-resource-kubernetes
GO_LOG=$LOG_DIR/kubernetes-plugin-$PLUGIN_VERSION-$(date -u +%Y%m%dT%H%M%SZ).log
export GOTOOLCHAIN=local
export GOFLAGS="${GOFLAGS:-} -buildvcs=false"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/cloudlab-k8s-plugin.XXXXXX")
HEARTBEAT=
cleanup() {
	[ -z "$HEARTBEAT" ] || kill "$HEARTBEAT" 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT

# run_go WHAT ARGS...: run go with its output appended to the log; on failure show the log's tail.
run_go() {
	local what=$1
	shift
	printf '\n$ go %s\n' "$*" >>"$GO_LOG"
	if ! go "$@" >>"$GO_LOG" 2>&1; then
		tail -n 25 "$GO_LOG" | sed 's/^/    /' >&2
		die "$what failed after $(elapsed); full go output: $GO_LOG"
	fi
}

log "building pulumi-resource-kubernetes v$PLUGIN_VERSION into $OUT ($(go version | cut -d' ' -f3), $(nproc 2>/dev/null || echo '?') cores)"
log "cold build: $COLD_ESTIMATE; full go output: tail -f $GO_LOG"

log "[1/3] locating $PROVIDER_MODULE (download if not cached)"
run_go "downloading $PROVIDER_MODULE" -C "$WRAPPER" mod download -json "$PROVIDER_MODULE"
MOD_DIR=$(go -C "$WRAPPER" list -m -f '{{.Dir}}' "$PROVIDER_MODULE")
CMD_DIR=$MOD_DIR/cmd/pulumi-resource-kubernetes
for f in main.go schema.json terraform-mapping.json; do
	[ -f "$CMD_DIR/$f" ] || die "$CMD_DIR/$f not found (module download incomplete?)"
done
log "      $(go -C "$WRAPPER" list -m "$PROVIDER_MODULE"), $(elapsed)"

log "[2/3] generating the embedded schema (version $PLUGIN_VERSION) and terraform mapping"
python3 - "$CMD_DIR" "$WORK" "$PLUGIN_VERSION" "$WRAPPER" <<'PY' || die "generating the embed files failed"
"""Do what the provider's generate.go does, and write the overlay that places the results."""
import json
import os
import sys

cmd_dir, work, version, wrapper = sys.argv[1:]
with open(os.path.join(cmd_dir, "schema.json"), encoding="utf-8") as f:
    schema = json.load(f)
schema["version"] = version
with open(os.path.join(cmd_dir, "terraform-mapping.json"), encoding="utf-8") as f:
    mapping = json.load(f)
generated = {"schema-embed.json": schema, "terraform-mapping-embed.json": mapping}
for name, doc in generated.items():
    with open(os.path.join(work, name), "w", encoding="utf-8") as f:
        json.dump(doc, f, separators=(",", ":"), ensure_ascii=False)
replace = {os.path.join(wrapper, n): os.path.join(work, n) for n in generated}
replace[os.path.join(wrapper, "main.go")] = os.path.join(cmd_dir, "main.go")
with open(os.path.join(work, "overlay.json"), "w", encoding="utf-8") as f:
    json.dump({"Replace": replace}, f, indent=1)
PY
log "      $(elapsed)"

log "[3/3] go build (cold: $COLD_ESTIMATE)"
(
	# Heartbeat for long (cold) builds: elapsed time and how many packages go has compiled.
	# The package count is only worked out once the build has run a minute: warm builds skip it.
	trap 'kill "$nap" 2>/dev/null; exit 0' TERM
	total=
	while :; do
		sleep 60 &
		nap=$!
		wait "$nap"
		[ -n "$total" ] || total=$(go -C "$WRAPPER" list -overlay "$WORK/overlay.json" -deps . 2>/dev/null | wc -l)
		n=$(awk '/^\$ go .* build /{f=1; next} f && NF && !/^go: /{n++} END{print n+0}' "$GO_LOG")
		log "      still building: $(elapsed), $n of ~$total packages compiled; tail -f $GO_LOG"
	done
) &
HEARTBEAT=$!
ldflags="-s -w -X $PROVIDER_MODULE/pkg/version.Version=$PLUGIN_VERSION"
run_go "go build" -C "$WRAPPER" build -v -overlay "$WORK/overlay.json" -ldflags "$ldflags" \
	-o "$WORK/pulumi-resource-kubernetes" .
kill "$HEARTBEAT" 2>/dev/null || true
HEARTBEAT=

[ -x "$WORK/pulumi-resource-kubernetes" ] || die "go build produced no binary; see $GO_LOG"
mv -f "$WORK/pulumi-resource-kubernetes" "$OUT"
log "done in $(elapsed): $OUT ($(du -m "$OUT" | cut -f1) MB); go output: $GO_LOG"
