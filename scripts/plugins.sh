#!/usr/bin/env bash
# Pulumi resource plugins built from Go modules (the Go module proxy refuses the providers' own
# modules, so each one is built from what it does serve: see scripts/plugins/<name>.sh).
#
#   scripts/plugins.sh list                 the plugins, one "name version" a line
#   scripts/plugins.sh bin NAME             print the cached binary of NAME, never build (exit 1 if none)
#   scripts/plugins.sh build [NAME...]      build what is missing from the cache (all by default)
#   scripts/plugins.sh install PULUMI_BIN [NAME...]
#                                           build what is missing, then install each plugin into
#                                           $PULUMI_HOME with `pulumi plugin install --file`
#
# A plugin is two things in the repo: its Go wrapper module toolchain/plugins/<name>/ and its build
# script scripts/plugins/<name>.sh, which holds a line `PLUGIN_VERSION=x.y.z` and builds
# OUT_DIR/pulumi-resource-<name> when called as `scripts/plugins/<name>.sh OUT_DIR`.
#
# Cache (outside the repo): ${CLOUDLAB_CACHE:-$HOME/.cache/cloudlab}/plugins/<name>-v<version>-<hash>/
# where <hash> covers the wrapper module and the build script, so any change rebuilds, and an old
# checkout finds its own build. Builds share Go's module and build caches.
# Knob: CLOUDLAB_PLUGINS="openstack kubernetes" limits the default set.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${CLOUDLAB_CACHE:-$HOME/.cache/cloudlab}/plugins
export PULUMI_HOME=${PULUMI_HOME:-$HOME/.cloudlab/pulumi-home}

# shellcheck source=scripts/lib/progress.sh
. "$ROOT/scripts/lib/progress.sh"
PROGRESS_PREFIX=toolchain
log() { progress_say "$@"; }
die() {
	log "ERROR: $*"
	exit 1
}

all_names() {
	local s
	for s in "$ROOT"/scripts/plugins/*.sh; do
		[ -e "$s" ] && basename "$s" .sh
	done
}

selected() {
	if [ $# -gt 0 ]; then
		printf '%s\n' "$@"
	elif [ -n "${CLOUDLAB_PLUGINS:-}" ]; then
		printf '%s\n' $CLOUDLAB_PLUGINS
	else
		all_names
	fi
}

script_of() {
	local s="$ROOT/scripts/plugins/$1.sh"
	[ -f "$s" ] || die "unknown plugin '$1' (known: $(all_names | tr '\n' ' '))"
	printf '%s\n' "$s"
}

version_of() {
	local v
	v=$(sed -n 's/^PLUGIN_VERSION=\([0-9][0-9.]*\)$/\1/p' "$(script_of "$1")")
	[ -n "$v" ] || die "scripts/plugins/$1.sh has no PLUGIN_VERSION= line"
	printf '%s\n' "$v"
}

# The plugin's wrapper module, its build script and the build libraries that script sources
# (scripts/lib/plugin-build.sh).
hash_of() {
	local libs
	libs=$(grep -o 'lib/[a-z-]*\.sh' "$ROOT/scripts/plugins/$1.sh" | sed 's|^|scripts/|' | sort -u || true)
	(cd "$ROOT" && {
		find "toolchain/plugins/$1" -type f ! -name '*~' -print0 2>/dev/null
		printf '%s\0' "scripts/plugins/$1.sh" $libs
	} | LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-12
}

dir_of() { printf '%s/%s-v%s-%s\n' "$CACHE" "$1" "$(version_of "$1")" "$(hash_of "$1")"; }

bin_of() {
	local b
	b="$(dir_of "$1")/pulumi-resource-$1"
	[ -x "$b" ] || return 1
	printf '%s\n' "$b"
}

build_one() {
	local name=$1 dir stage t0
	dir=$(dir_of "$name")
	[ -x "$dir/pulumi-resource-$name" ] && return 0
	mkdir -p "$CACHE"
	exec 8>"$CACHE/.$name.lock"
	progress_lock 8 "$CACHE/.$name.lock" "[$name] another build of this plugin"
	if [ -x "$dir/pulumi-resource-$name" ]; then
		exec 8>&-
		return 0
	fi
	stage=$(mktemp -d "$CACHE/.stage-$name.XXXXXX")
	# An interrupted build (Ctrl-C, a killed CI) leaves no half-built stage behind.
	trap 'rm -rf "$stage"' EXIT
	t0=$(date +%s)
	log "[$name] building pulumi-resource-$name v$(version_of "$name") into $dir"
	if ! "$(script_of "$name")" "$stage"; then
		rm -rf "$stage"
		die "[$name] build failed (see the log named above)"
	fi
	[ -x "$stage/pulumi-resource-$name" ] || {
		rm -rf "$stage"
		die "[$name] the build script made no pulumi-resource-$name"
	}
	printf 'plugin %s\nversion %s\nsources %s\nseconds %s\nbuilt %s\n' "$name" "$(version_of "$name")" \
		"$(hash_of "$name")" "$(($(date +%s) - t0))" "$(date -u +%FT%TZ)" >"$stage/BUILD-INFO"
	chmod 0755 "$stage"
	rm -rf "$dir"
	mv "$stage" "$dir"
	trap - EXIT
	log "[$name] built in $(($(date +%s) - t0))s"
	# Keep the two most recent builds of each plugin; the others are a few hundred MB each.
	find "$CACHE" -mindepth 1 -maxdepth 1 -type d -name "$name-v*" -printf '%T@ %p\n' |
		sort -rn | tail -n +3 | cut -d' ' -f2- | while read -r old; do
		log "[$name] pruning old build $old"
		rm -rf "$old"
	done
	exec 8>&-
}

# install_one PULUMI_BIN NAME: the cached build into $PULUMI_HOME, unless the same binary is there.
install_one() {
	local pulumi_bin=$1 name=$2 version bin target
	version=$(version_of "$name")
	bin=$(bin_of "$name") || die "[$name] not built"
	target="$PULUMI_HOME/plugins/resource-$name-v$version/pulumi-resource-$name"
	if [ -x "$target" ] && cmp -s "$bin" "$target"; then
		return 0
	fi
	log "[$name] installing v$version into $PULUMI_HOME"
	"$pulumi_bin/pulumi" plugin install resource "$name" "$version" --file "$bin" --reinstall >/dev/null ||
		die "[$name] pulumi plugin install failed"
}

cmd=${1:-}
shift || true
case "$cmd" in
list)
	for n in $(all_names); do printf '%s %s\n' "$n" "$(version_of "$n")"; done
	;;
bin)
	[ $# -eq 1 ] || die "usage: $0 bin NAME"
	script_of "$1" >/dev/null
	bin_of "$1"
	;;
build)
	for n in $(selected "$@"); do build_one "$n"; done
	;;
install)
	[ $# -ge 1 ] || die "usage: $0 install PULUMI_BIN_DIR [NAME...]"
	pulumi_bin=$1
	shift
	[ -x "$pulumi_bin/pulumi" ] || die "no pulumi in $pulumi_bin"
	for n in $(selected "$@"); do build_one "$n"; done
	for n in $(selected "$@"); do install_one "$pulumi_bin" "$n"; done
	;;
*)
	die "usage: $0 list | bin NAME | build [NAME...] | install PULUMI_BIN_DIR [NAME...]"
	;;
esac
