# shellcheck shell=bash
# Progress helpers shared by the build scripts (source it; it defines functions only).
#
# Why: a cold build of the toolchain takes minutes with `go build` printing nothing, and a user
# who sees no output for ten minutes cannot tell a slow build from a hung one. Every long step
# says what it does, how long it usually takes when cold, where its full log is, and then prints
# a heartbeat line with the elapsed time until it ends. Everything goes to stderr: stdout stays
# free for results (scripts/toolchain.sh prints its bin dir there).
#
#   PROGRESS_PREFIX=toolchain        prefix of every line (set it before using the functions)
#   progress_say MSG...              one line on stderr
#   progress_log_file NAME           a fresh log file under ${CLOUDLAB_CACHE:-~/.cache/cloudlab}/logs
#   progress_heartbeat_start WHAT HINT [SECONDS]
#                                    a background loop printing "WHAT: still running, Ns; HINT"
#                                    every SECONDS (default $PROGRESS_HEARTBEAT or 30)
#   progress_heartbeat_stop          stops it (idempotent; call it from an EXIT trap too)
#   progress_run WHAT LOG CMD...     CMD with its output appended to LOG and a heartbeat; on failure
#                                    the log's last lines go to stderr and the exit status is CMD's
#   progress_lock FD LOCKFILE WHAT   take an flock on FD (already opened on LOCKFILE); when another
#                                    process holds it, say which (PID and command) and wait for it
#   progress_elapsed T0              "Ns" or "MmSSs" since the epoch second T0

PROGRESS_PREFIX=${PROGRESS_PREFIX:-cloudlab}
PROGRESS_HEARTBEAT=${PROGRESS_HEARTBEAT:-30}
_PROGRESS_HB_PID=

progress_say() { printf '%s: %s\n' "$PROGRESS_PREFIX" "$*" >&2; }

progress_elapsed() {
	local s=$(($(date +%s) - $1))
	if [ "$s" -ge 60 ]; then
		printf '%dm%02ds' $((s / 60)) $((s % 60))
	else
		printf '%ds' "$s"
	fi
}

progress_log_file() {
	local dir=${CLOUDLAB_CACHE:-$HOME/.cache/cloudlab}/logs
	mkdir -p "$dir"
	printf '%s/%s-%s.log\n' "$dir" "$1" "$(date -u +%Y%m%dT%H%M%SZ)"
}

progress_heartbeat_start() {
	local what=$1 hint=$2 every=${3:-$PROGRESS_HEARTBEAT} t0 parent=$$
	t0=$(date +%s)
	progress_heartbeat_stop
	(
		# The sleep runs in the background so that TERM (progress_heartbeat_stop) ends the
		# loop at once; the loop also ends by itself when the script that started it is gone.
		nap=
		trap '[ -z "$nap" ] || kill "$nap" 2>/dev/null; exit 0' TERM
		while kill -0 "$parent" 2>/dev/null; do
			sleep "$every" &
			nap=$!
			wait "$nap" || true
			nap=
			kill -0 "$parent" 2>/dev/null || break
			progress_say "$what: still running, $(progress_elapsed "$t0"); $hint"
		done
	) &
	_PROGRESS_HB_PID=$!
}

progress_heartbeat_stop() {
	if [ -n "$_PROGRESS_HB_PID" ]; then
		kill "$_PROGRESS_HB_PID" 2>/dev/null || true
		wait "$_PROGRESS_HB_PID" 2>/dev/null || true
		_PROGRESS_HB_PID=
	fi
}

progress_run() {
	local what=$1 log=$2 rc=0
	shift 2
	printf '\n$ %s\n' "$*" >>"$log"
	progress_heartbeat_start "$what" "tail -f $log"
	"$@" >>"$log" 2>&1 || rc=$?
	progress_heartbeat_stop
	if [ "$rc" -ne 0 ]; then
		tail -n 25 "$log" | sed 's/^/    /' >&2
		progress_say "$what failed (exit $rc); full log: $log"
	fi
	return "$rc"
}

# progress_holders LOCKFILE: "PID (command)" of the processes holding LOCKFILE open, leaving
# out their children (which inherit the descriptor: a `go build` under the lock has dozens).
progress_holders() {
	local pid ppid out= all
	all=" $(fuser "$1" 2>/dev/null | tr -s ' ') "
	for pid in $all; do
		[ "$pid" != "$$" ] || continue
		ppid=$(awk '/^PPid:/ {print $2}' "/proc/$pid/status" 2>/dev/null) || continue
		[[ $all == *" $ppid "* ]] && continue
		out+="${out:+, }PID $pid ($(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c1-100 | sed 's/ $//'))"
	done
	printf '%s\n' "${out:-unknown}"
}

progress_lock() {
	local fd=$1 file=$2 what=$3 t0
	flock -n "$fd" && return 0
	t0=$(date +%s)
	progress_say "waiting for $what: lock $file is held by $(progress_holders "$file")"
	progress_heartbeat_start "waiting for $what" "lock $file"
	flock "$fd"
	progress_heartbeat_stop
	progress_say "lock free after $(progress_elapsed "$t0")"
}
