#!/usr/bin/env bash
# Provide a working Pulumi engine (CLI v3.259.0 + Python language host + dynamic-provider plugin).
#
#   scripts/toolchain.sh            find or build the toolchain, print its bin dir on the last line
#   scripts/toolchain.sh --bin-dir  print the bin dir of an existing toolchain, never build (exit 1 if none)
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

log() { printf 'toolchain: %s\n' "$*" >&2; }
die() {
	log "ERROR: $*"
	exit 1
}

sources_hash() {
	(cd "$ROOT" && find toolchain -type f ! -name '*~' -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) |
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

use_bin() {
	mkdir -p "$CACHE"
	ln -sfn "$1" "$CACHE/current"
	log "using $(pulumi_version "$1") from $1"
	log "add it to PATH:  export PATH=\"$1:\$PATH\""
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
elif [ $# -gt 0 ]; then
	die "usage: $0 [--bin-dir]"
fi

# (a) Something suitable already on PATH.
if [ "${CLOUDLAB_TOOLCHAIN_IGNORE_PATH:-}" != 1 ] && command -v pulumi >/dev/null 2>&1; then
	ambient=$(cd "$(dirname "$(command -v pulumi)")" && pwd -P)
	v=$(pulumi_version "$ambient")
	if [[ $v == v3.259.* ]] && complete_bin "$ambient"; then
		log "found pulumi $v with a Python language host on PATH"
		use_bin "$ambient"
	fi
	log "ignoring pulumi ${v:-?} at $ambient (want v3.259.x next to pulumi-language-python, -exec and" \
		"pulumi-resource-pulumi-python)"
fi

# (b) Built (or installed) earlier.
bin=$(built_dir)
if complete_bin "$bin"; then
	log "cached toolchain for toolchain/ sources $HASH"
	use_bin "$bin"
fi
official="$CACHE/pulumi-v$PULUMI_VERSION-official/bin"
if complete_bin "$official"; then
	log "cached official install"
	use_bin "$official"
fi

# (c) Official installer, only when reachable.
if [ "${CLOUDLAB_TOOLCHAIN_OFFLINE:-}" != 1 ] && command -v curl >/dev/null 2>&1 &&
	curl -fsS --max-time 5 -o /dev/null https://get.pulumi.com 2>/dev/null; then
	log "get.pulumi.com is reachable: running the official installer for v$PULUMI_VERSION"
	root="$CACHE/pulumi-v$PULUMI_VERSION-official"
	if curl -fsSL --max-time 60 https://get.pulumi.com | sh -s -- --version "$PULUMI_VERSION" \
		--install-root "$root" --no-edit-path >&2 && complete_bin "$root/bin"; then
		use_bin "$root/bin"
	fi
	log "official installer failed; falling back to building from source"
fi

# (d) Build from the Go modules in toolchain/.
command -v go >/dev/null 2>&1 || die "Go (>= 1.25) is needed to build the Pulumi CLI; install it or put pulumi v$PULUMI_VERSION on PATH"
export GOTOOLCHAIN=local
export GOFLAGS="${GOFLAGS:-} -buildvcs=false"
mkdir -p "$CACHE"
exec 9>"$CACHE/.build.lock"
flock 9 2>/dev/null || true # another `make toolchain` may be building the same thing
if complete_bin "$bin"; then use_bin "$bin"; fi

ldflags="-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION"
stage=$(mktemp -d "$CACHE/.stage.XXXXXX")
chmod 0755 "$stage"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin"
log "building into $bin ($(go version | cut -d' ' -f3), $(nproc 2>/dev/null || echo '?') cores)"

log "[1/3] Pulumi CLI v$PULUMI_VERSION (github.com/pulumi/pulumi/pkg/v3/cmd/pulumi); cold: ~13 min on 2 cores, mostly downloads + compile"
t0=$(date +%s)
go -C "$ROOT/toolchain/pulumi" build -o "$stage/bin/pulumi" -ldflags "$ldflags" \
	github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
t1=$(date +%s)
log "      done in $((t1 - t0))s"

log "[2/3] Python language host (toolchain/language-python)"
go -C "$ROOT/toolchain/language-python" build -o "$stage/bin/pulumi-language-python" -ldflags "$ldflags" .
t2=$(date +%s)
log "      done in $((t2 - t1))s"

log "[3/3] Python helper scripts from $SDK_MODULE@v$PULUMI_VERSION"
sdk=$(go -C "$ROOT/toolchain/language-python" list -m -f '{{.Dir}}' "$SDK_MODULE")
[ -d "$sdk/python" ] || die "could not locate $SDK_MODULE in the module cache"
install -m 0755 "$sdk/python/cmd/pulumi-language-python-exec" "$stage/bin/pulumi-language-python-exec"
install -m 0755 "$sdk/python/dist/pulumi-resource-pulumi-python" "$stage/bin/pulumi-resource-pulumi-python"

complete_bin "$stage/bin" || die "build finished but $stage/bin is incomplete"
v=$(pulumi_version "$stage/bin")
[ "$v" = "v$PULUMI_VERSION" ] || die "built pulumi reports '$v', expected v$PULUMI_VERSION"
printf 'pulumi %s\nsources %s\ncli_seconds %s\nlanguage_host_seconds %s\nbuilt %s\n' "$v" \
	"$HASH" "$((t1 - t0))" "$((t2 - t1))" "$(date -u +%FT%TZ)" >"$stage/BUILD-INFO"
rm -rf "$(dirname "$bin")"
mv "$stage" "$(dirname "$bin")"
trap - EXIT
# Keep the three most recent builds (other checkouts may pin other toolchain/ revisions); ~200 MB each.
find "$CACHE" -mindepth 1 -maxdepth 1 -type d -name "pulumi-v*-*" ! -name "*-official" -printf '%T@ %p\n' |
	sort -rn | tail -n +4 | cut -d' ' -f2- | while read -r old; do
	log "pruning old build $old"
	rm -rf "$old"
done
use_bin "$bin"
