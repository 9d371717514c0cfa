# shellcheck shell=bash
# What every scripts/plugins/<name>.sh does around its own Go build steps (source it, then call
# plugin_build_init): the environment, a scratch directory, the log, numbered steps with the
# progress helpers of progress.sh, and the installation of the built binary.
#
#   plugin_build_init OUT_DIR      needs NAME and PLUGIN_VERSION; sets MOD (toolchain/plugins/NAME),
#                                  OUT, LOG, tmp (removed at exit) and ldflags (version stamped)
#   step N WHAT ESTIMATE CMD...    step N of 4: CMD with its output in LOG and a heartbeat
#   die MSG                        the error, the elapsed time and where the log is; exit 1
#   plugin_install                 checks $tmp/pulumi-resource-NAME reports PLUGIN_VERSION, moves
#                                  it to OUT
#
# scripts/plugins.sh counts this file in the cache key of every plugin script that sources it.

# shellcheck source=scripts/lib/progress.sh
. "$(dirname "${BASH_SOURCE[0]}")/progress.sh"

plugin_build_init() {
	[ $# -eq 1 ] || {
		echo "usage: $0 OUT_DIR" >&2
		exit 2
	}
	PROGRESS_PREFIX="toolchain: [$NAME]"
	PLUGIN_T0=$(date +%s)
	MOD="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/toolchain/plugins/$NAME"
	LOG=$(progress_log_file "$NAME-plugin-$PLUGIN_VERSION")
	command -v go >/dev/null 2>&1 || die "Go (>= 1.25) is needed to build pulumi-resource-$NAME"
	mkdir -p "$1"
	OUT=$(cd "$1" && pwd)
	export GOTOOLCHAIN=local
	export GOFLAGS="${GOFLAGS:-} -buildvcs=false"
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/plugin-$NAME.XXXXXX")
	trap 'progress_heartbeat_stop; rm -rf "$tmp"' EXIT
	ldflags="-s -w -X cloudlab.local/toolchain/plugins/$NAME.Version=$PLUGIN_VERSION"
}

die() {
	progress_heartbeat_stop
	progress_say "ERROR: $* (elapsed $(progress_elapsed "$PLUGIN_T0"); full go output: $LOG)"
	exit 1
}

step() {
	local n=$1 what=$2 estimate=$3 t
	shift 3
	t=$(date +%s)
	progress_say "[$n/4] $what (cold: $estimate; tail -f $LOG)"
	progress_run "step $n/4" "$LOG" "$@" || die "step $n/4 failed: $what"
	progress_say "      done in $(progress_elapsed "$t") (total $(progress_elapsed "$PLUGIN_T0"))"
}

plugin_install() {
	local bin="$tmp/pulumi-resource-$NAME" v
	v=$("$bin" -version 2>/dev/null || true)
	[ "$v" = "$PLUGIN_VERSION" ] || die "built plugin reports version '$v', expected $PLUGIN_VERSION"
	mv -f "$bin" "$OUT/pulumi-resource-$NAME"
	progress_say "built $OUT/pulumi-resource-$NAME $PLUGIN_VERSION" \
		"($(du -h "$OUT/pulumi-resource-$NAME" | cut -f1)) in $(progress_elapsed "$PLUGIN_T0")"
}
