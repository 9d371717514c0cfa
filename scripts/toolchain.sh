#!/usr/bin/env bash
# Provide a working Pulumi engine (CLI v3.259.0 + Python language host + dynamic-provider plugin).
#
#   scripts/toolchain.sh            find or build the toolchain, print its bin dir on the last line
#   scripts/toolchain.sh --bin-dir  print the bin dir of an existing toolchain, never build (exit 1 if none)
#   scripts/toolchain.sh --plugin-bin NAME
#                                   print the cached binary of resource plugin NAME, never build (exit 1)
#
# After the engine, the resource plugins of scripts/plugins/ (kubernetes, openstack, proxmoxve,
# random, tls) are built when missing and installed into $PULUMI_HOME: see scripts/plugins.sh.
# CLOUDLAB_TOOLCHAIN_NO_PLUGINS=1 skips them (the Docker twin needs none).
#
# Order: (a) a pulumi v3.259.x plus Python language host already on PATH; (b) a toolchain built earlier
# (cache); (c) the official installer, only if get.pulumi.com answers within 5 seconds; (d) build from the
# Go modules pinned in toolchain/ (CLI from pkg/v3, our own language host on sdk/v3).
#
# Cache (outside the repo): ${CLOUDLAB_CACHE:-$HOME/.cache/cloudlab}/toolchain/
#   pulumi-v3.259.0-<hash of toolchain/>/bin/   built toolchain (hash changes when toolchain/ changes)
#   pulumi-v3.259.0-official/bin/               official installer result
#   current -> <bin dir in use>                 symlink refreshed by every successful run
# Knobs: CLOUDLAB_TOOLCHAIN_IGNORE_PATH=1 skips (a); CLOUDLAB_TOOLCHAIN_OFFLINE=1 skips (c).
set -euo pipefail

PULUMI_VERSION=3.259.0
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${CLOUDLAB_CACHE:-$HOME/.cache/cloudlab}/toolchain
SDK_MODULE=github.com/pulumi/pulumi/sdk/v3
# Measured: 13 min for the CLI on 2 idle cores with an empty Go cache (longer when other builds
# share the CPU); the language host adds about a minute.
COLD_ESTIMATE="~13 min on 2 idle cores, more when the CPU is shared"

# shellcheck source=scripts/lib/progress.sh
. "$ROOT/scripts/lib/progress.sh"
PROGRESS_PREFIX=toolchain
log() { progress_say "$@"; }
die() {
	progress_heartbeat_stop
	log "ERROR: $*"
	exit 1
}

# The engine's own sources only: the plugins (toolchain/plugins/) and the local Kubernetes
# (toolchain/k8s/) have their own caches, and a change there must not rebuild the CLI.
sources_hash() {
	(cd "$ROOT" && find toolchain/pulumi toolchain/language-python toolchain/dynamic-host -type f \
		! -name '*~' ! -name '*.pyc' -print0 |
		LC_ALL=C sort -z | xargs -0 sha256sum) |
		sha256sum | cut -c1-12
}

# complete_bin DIR: DIR holds pulumi and the Python language host with its two helper scripts.
complete_bin() {
	local d=$1 f
	for f in pulumi pulumi-language-python pulumi-language-python-exec pulumi-resource-pulumi-python; do
		[ -x "$d/$f" ] || return 1
	done
}

pulumi_version() { "$1/pulumi" version 2>/dev/null | head -n1 || true; }

# use_bin DIR [built]: the toolchain to use. A warm run says one line; after a build, also how
# to get it into a shell.
use_bin() {
	mkdir -p "$CACHE"
	if [ "${CLOUDLAB_TOOLCHAIN_NO_PLUGINS:-}" != 1 ]; then
		"$ROOT/scripts/plugins.sh" install "$1"
	fi
	ln -sfn "$1" "$CACHE/current"
	log "pulumi $(pulumi_version "$1") in $1"
	if [ "${2:-}" = built ]; then
		log "in a shell: source scripts/env.sh (puts it on PATH with the project's settings)"
	fi
	printf '%s\n' "$1"
	exit 0
}

HASH=$(sources_hash)
built_dir() { printf '%s/pulumi-v%s-%s/bin' "$CACHE" "$PULUMI_VERSION" "$HASH"; }

if [ "${1:-}" = "--bin-dir" ] || [ "${1:-}" = "--print-bin-dir" ]; then
	for d in "$(built_dir)" "$CACHE/current"; do
		if complete_bin "$d"; then
			(cd "$d" && pwd -P)
			exit 0
		fi
	done
	exit 1
elif [ "${1:-}" = "--plugin-bin" ] && [ $# -eq 2 ]; then
	exec "$ROOT/scripts/plugins.sh" bin "$2"
elif [ $# -gt 0 ]; then
	die "usage: $0 [--bin-dir | --plugin-bin NAME]"
fi

# (a) Something suitable already on PATH.
if [ "${CLOUDLAB_TOOLCHAIN_IGNORE_PATH:-}" != 1 ] && command -v pulumi >/dev/null 2>&1; then
	ambient=$(cd "$(dirname "$(command -v pulumi)")" && pwd -P)
	v=$(pulumi_version "$ambient")
	if [[ $v == v3.259.* ]] && complete_bin "$ambient"; then
		use_bin "$ambient"
	fi
	log "ignoring pulumi ${v:-?} at $ambient (want v3.259.x next to pulumi-language-python, -exec and" \
		"pulumi-resource-pulumi-python)"
fi

# (b) Built (or installed) earlier.
bin=$(built_dir)
if complete_bin "$bin"; then
	use_bin "$bin"
fi
official="$CACHE/pulumi-v$PULUMI_VERSION-official/bin"
if complete_bin "$official"; then
	use_bin "$official"
fi

# (c) Official installer, only when reachable.
if [ "${CLOUDLAB_TOOLCHAIN_OFFLINE:-}" != 1 ] && command -v curl >/dev/null 2>&1 &&
	curl -fsS --max-time 5 -o /dev/null https://get.pulumi.com 2>/dev/null; then
	log "get.pulumi.com is reachable: running the official installer for v$PULUMI_VERSION"
	root="$CACHE/pulumi-v$PULUMI_VERSION-official"
	if curl -fsSL --max-time 60 https://get.pulumi.com | sh -s -- --version "$PULUMI_VERSION" \
		--install-root "$root" --no-edit-path >&2 && complete_bin "$root/bin"; then
		use_bin "$root/bin" built
	fi
	log "official installer failed; falling back to building from source"
fi

# (d) Build from the Go modules in toolchain/.
command -v go >/dev/null 2>&1 || die "Go (>= 1.25) is needed to build the Pulumi CLI; install it or put pulumi v$PULUMI_VERSION on PATH"
export GOTOOLCHAIN=local
export GOFLAGS="${GOFLAGS:-} -buildvcs=false"
mkdir -p "$CACHE"
exec 9>"$CACHE/.build.lock"
# Another `make toolchain` may be building the same thing: say whose lock it is and wait.
progress_lock 9 "$CACHE/.build.lock" "another toolchain build"
if complete_bin "$bin"; then use_bin "$bin"; fi

ldflags="-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION"
stage=$(mktemp -d "$CACHE/.stage.XXXXXX")
chmod 0755 "$stage"
trap 'progress_heartbeat_stop; rm -rf "$stage"' EXIT
mkdir -p "$stage/bin"
LOG=$(progress_log_file toolchain-pulumi-v$PULUMI_VERSION)
log "no cached toolchain: building pulumi v$PULUMI_VERSION from Go modules into $bin"
log "($(go version | cut -d' ' -f3), $(nproc 2>/dev/null || echo '?') cores; cold build $COLD_ESTIMATE, a cached rebuild ~1 min)"
log "go's own output: tail -f $LOG"

log "[1/3] Pulumi CLI (github.com/pulumi/pulumi/pkg/v3/cmd/pulumi): module downloads, then compile"
t0=$(date +%s)
progress_run "[1/3] go build pulumi" "$LOG" go -C "$ROOT/toolchain/pulumi" build -v \
	-o "$stage/bin/pulumi" -ldflags "$ldflags" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi ||
	die "building the Pulumi CLI failed (log: $LOG)"
t1=$(date +%s)
log "      done in $(progress_elapsed "$t0")"

log "[2/3] Python language host (toolchain/language-python)"
progress_run "[2/3] go build pulumi-language-python" "$LOG" go -C "$ROOT/toolchain/language-python" \
	build -v -o "$stage/bin/pulumi-language-python" -ldflags "$ldflags" . ||
	die "building the language host failed (log: $LOG)"
t2=$(date +%s)
log "      done in $(progress_elapsed "$t1")"

log "[3/3] Python helper scripts from $SDK_MODULE@v$PULUMI_VERSION"
sdk=$(go -C "$ROOT/toolchain/language-python" list -m -f '{{.Dir}}' "$SDK_MODULE")
[ -d "$sdk/python" ] || die "could not locate $SDK_MODULE in the module cache"
install -m 0755 "$sdk/python/cmd/pulumi-language-python-exec" "$stage/bin/pulumi-language-python-exec"
# The dynamic provider runs through toolchain/dynamic-host (the SDK's module with a wider gRPC
# pool; see that file): the SDK's launcher script, pointed at it.
install -m 0644 "$ROOT/toolchain/dynamic-host/cloudlab-dynamic-host.py" "$stage/bin/cloudlab-dynamic-host.py"
sed 's|-u -m pulumi\.dynamic |-u "$(dirname "$0")/cloudlab-dynamic-host.py" |' \
	"$sdk/python/dist/pulumi-resource-pulumi-python" >"$stage/bin/pulumi-resource-pulumi-python"
chmod 0755 "$stage/bin/pulumi-resource-pulumi-python"
[ "$(grep -c 'cloudlab-dynamic-host.py' "$stage/bin/pulumi-resource-pulumi-python")" = 2 ] ||
	die "the SDK's pulumi-resource-pulumi-python changed: it no longer runs '-u -m pulumi.dynamic' twice"

complete_bin "$stage/bin" || die "build finished but $stage/bin is incomplete"
v=$(pulumi_version "$stage/bin")
[ "$v" = "v$PULUMI_VERSION" ] || die "built pulumi reports '$v', expected v$PULUMI_VERSION"
printf 'pulumi %s\nsources %s\ncli_seconds %s\nlanguage_host_seconds %s\nbuilt %s\n' "$v" \
	"$HASH" "$((t1 - t0))" "$((t2 - t1))" "$(date -u +%FT%TZ)" >"$stage/BUILD-INFO"
log "built in $(progress_elapsed "$t0"); log kept at $LOG"
rm -rf "$(dirname "$bin")"
mv "$stage" "$(dirname "$bin")"
trap - EXIT
# Keep the three most recent builds (other checkouts may pin other toolchain/ revisions); ~200 MB each.
find "$CACHE" -mindepth 1 -maxdepth 1 -type d -name "pulumi-v*-*" ! -name "*-official" -printf '%T@ %p\n' |
	sort -rn | tail -n +4 | cut -d' ' -f2- | while read -r old; do
	log "pruning old build $old"
	rm -rf "$old"
done
use_bin "$bin" built
