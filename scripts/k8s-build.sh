#!/usr/bin/env bash
# Build the local Kubernetes control plane from Go modules (no release downloads are reachable here):
# etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl and kwok's controller,
# plus kwok's stage configs (fake node and pod life cycles), which come from the kwok module itself.
#
#   scripts/k8s-build.sh            build what is missing, print the bin dir on the last line
#   scripts/k8s-build.sh --bin-dir  print the bin dir of an existing complete build, never build
#                                   (exit 1 if none)
#
# Cache (outside the repo): ${CLOUDLAB_CACHE:-$HOME/.cache/cloudlab}/k8s/<key>/
#   bin/      the six binaries            stages/   kwok Stage configs
#   BUILD-INFO  versions and build seconds
# <key> = the pinned versions + a hash of toolchain/k8s/ and of this script's build flags, so a change
# to the wrapper modules gives a new build and an old checkout keeps its own. The stage configs are
# copied from the kwok module (its version is in the key) whenever one is missing.
# Logs: ${CLOUDLAB_CACHE:-$HOME/.cache/cloudlab}/logs/k8s-build-<binary>.log
set -euo pipefail

K8S_VERSION=v1.37.2
ETCD_VERSION=v3.7.3
KWOK_VERSION=v0.8.0
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE_ROOT=${CLOUDLAB_CACHE:-$HOME/.cache/cloudlab}
CACHE=$CACHE_ROOT/k8s
LOGS=$CACHE_ROOT/logs
SRC=$ROOT/toolchain/k8s

# name|wrapper module dir|package|cold estimate on 2 cores. Measured 2026-12-01 with three other Go
# builds sharing the cores: etcd 2 min, kube-apiserver 26 min (about 6 min alone), then on its
# build cache kube-controller-manager 6 min, kube-scheduler 26 s, kubectl 50 s; kwok 11 min.
BINARIES=(
	"etcd|etcd|.|~1-2 min"
	"kube-apiserver|kubernetes|k8s.io/kubernetes/cmd/kube-apiserver|~6 min alone, up to ~26 min on busy cores"
	"kube-controller-manager|kubernetes|k8s.io/kubernetes/cmd/kube-controller-manager|~2-6 min"
	"kube-scheduler|kubernetes|k8s.io/kubernetes/cmd/kube-scheduler|~0.5 min"
	"kubectl|kubernetes|k8s.io/kubernetes/cmd/kubectl|~1 min"
	"kwok|kwok|sigs.k8s.io/kwok/cmd/kwok|~3-11 min"
)
STAGES=(
	node/fast/node-initialize.yaml
	node/heartbeat-with-lease/node-heartbeat-with-lease.yaml
	pod/fast/pod-ready.yaml
	pod/fast/pod-complete.yaml
	pod/fast/pod-delete.yaml
)

# The version variables make `kubectl version` and the API's /version report v1.37.2 instead of
# v0.0.0-master; -s -w drop the symbol tables (smaller; nobody debugs these binaries here).
VPKG=k8s.io/component-base/version
K8S_LDFLAGS="-s -w -X $VPKG.gitVersion=$K8S_VERSION -X $VPKG.gitMajor=1 -X $VPKG.gitMinor=37"
K8S_LDFLAGS="$K8S_LDFLAGS -X $VPKG.gitTreeState=clean -X $VPKG.buildDate=1970-01-01T00:00:00Z"
K8S_LDFLAGS="$K8S_LDFLAGS -X k8s.io/client-go/pkg/version.gitVersion=$K8S_VERSION"
KWOK_LDFLAGS="-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION"
BUILD_FLAGS="-trimpath"

log() { printf 'k8s: %s\n' "$*" >&2; }
die() {
	log "ERROR: $*"
	exit 1
}

sources_hash() {
	{
		(cd "$ROOT" && find toolchain/k8s -type f ! -name '*~' -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
		printf '%s\n' "$K8S_LDFLAGS" "$KWOK_LDFLAGS" "$BUILD_FLAGS"
	} | sha256sum | cut -c1-12
}

KEY="k8s-$K8S_VERSION-etcd-$ETCD_VERSION-kwok-$KWOK_VERSION-$(sources_hash)"
DIR=$CACHE/$KEY
BIN=$DIR/bin

complete() {
	local entry
	for entry in "${BINARIES[@]}"; do
		[ -x "$BIN/${entry%%|*}" ] || return 1
	done
	for entry in "${STAGES[@]}"; do
		[ -s "$DIR/stages/$(basename "$entry")" ] || return 1
	done
}

if [ "${1:-}" = "--bin-dir" ]; then
	complete || exit 1
	printf '%s\n' "$BIN"
	exit 0
fi
[ $# -eq 0 ] || die "usage: $0 [--bin-dir]"

if complete; then
	printf '%s\n' "$BIN"
	exit 0
fi

command -v go >/dev/null 2>&1 || die "Go >= 1.26.0 is needed to build the control plane (kwok v0.8.0 requires it)"
export GOTOOLCHAIN=local
export GOFLAGS="${GOFLAGS:-} -buildvcs=false"
mkdir -p "$CACHE" "$LOGS" "$BIN" "$DIR/stages"
exec 9>"$CACHE/.build.lock"
if ! flock -n 9; then
	log "another k8s build holds $CACHE/.build.lock; waiting for it"
	flock 9
fi
if complete; then
	printf '%s\n' "$BIN"
	exit 0
fi

log "building into $BIN ($(go version | cut -d' ' -f3), $(nproc) cores; the Go build cache is shared)"
info=$DIR/BUILD-INFO.partial
printf 'kubernetes %s\netcd %s\nkwok %s\nkey %s\n' "$K8S_VERSION" "$ETCD_VERSION" "$KWOK_VERSION" "$KEY" >"$info"

# build_one NAME MODULE_DIR PACKAGE ESTIMATE: go build into a temporary name, then rename, so an
# interrupted build never leaves a truncated binary that `complete` would accept.
build_one() {
	local name=$1 mod=$2 pkg=$3 estimate=$4 ldflags logf t0 pid rc
	[ -x "$BIN/$name" ] && return 0
	case $mod in
	kubernetes) ldflags=$K8S_LDFLAGS ;;
	kwok) ldflags=$KWOK_LDFLAGS ;;
	*) ldflags="-s -w" ;;
	esac
	logf=$LOGS/k8s-build-$name.log
	log "building $name (cold: $estimate on 2 cores; log: $logf)"
	t0=$(date +%s)
	# shellcheck disable=SC2086
	go -C "$SRC/$mod" build $BUILD_FLAGS -ldflags "$ldflags" -o "$BIN/.$name.tmp" "$pkg" >"$logf" 2>&1 &
	pid=$!
	while ! wait_for "$pid" 60; do
		log "  $name: still building, $(($(date +%s) - t0))s elapsed (tail -f $logf)"
	done
	rc=0
	wait "$pid" || rc=$?
	if [ "$rc" -ne 0 ]; then
		tail -n 20 "$logf" >&2
		die "building $name failed (exit $rc); full log: $logf"
	fi
	mv "$BIN/.$name.tmp" "$BIN/$name"
	log "  $name built in $(($(date +%s) - t0))s ($(du -m "$BIN/$name" | cut -f1) MB)"
	printf '%s_seconds %s\n' "$name" "$(($(date +%s) - t0))" >>"$info"
}

# wait_for PID SECONDS: true once PID has exited, false if it is still running after SECONDS.
wait_for() {
	local i
	for ((i = 0; i < $2; i++)); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 1
	done
	! kill -0 "$1" 2>/dev/null
}

for entry in "${BINARIES[@]}"; do
	IFS='|' read -r name mod pkg estimate <<<"$entry"
	build_one "$name" "$mod" "$pkg" "$estimate"
done

kwok_dir=$(go -C "$SRC/kwok" list -m -f '{{.Dir}}' sigs.k8s.io/kwok)
[ -d "$kwok_dir/kustomize/stage" ] || die "kwok's stage configs not found under $kwok_dir/kustomize/stage"
for entry in "${STAGES[@]}"; do
	install -m 0644 "$kwok_dir/kustomize/stage/$entry" "$DIR/stages/$(basename "$entry")"
done
printf 'built %s\n' "$(date -u +%FT%TZ)" >>"$info"
mv "$info" "$DIR/BUILD-INFO"
complete || die "build finished but $DIR is incomplete"
log "control plane binaries ready in $BIN"
printf '%s\n' "$BIN"
