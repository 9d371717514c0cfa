#!/usr/bin/env bash
# Make sure a Docker engine answers on this machine (idempotent).
#
# - installs Debian's docker.io (dockerd + containerd + runc) when dockerd is missing, through the
#   project's apt step (scripts/apt-install.sh --step docker: nothing is started by apt);
#   `--install-only` stops there;
# - starts dockerd in the background when `docker info` does not answer, logging to
#   $DOCKERD_LOG (default /var/log/dockerd.log), and waits up to $DOCKERD_WAIT seconds (60);
# - exits non-zero with the tail of the log when the engine does not come up.
#
# The client at /usr/local/bin/docker (28.x) may be newer than Debian's dockerd (20.10.x, API 1.41):
# the CLI and docker-py negotiate the API version, so a newer client talks to the older daemon.
set -euo pipefail

LOG="${DOCKERD_LOG:-/var/log/dockerd.log}"
WAIT="${DOCKERD_WAIT:-60}"
SOCK=/var/run/docker.sock

say() { echo "docker-engine: $*" >&2; }

if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; else SUDO=; fi

if ! command -v dockerd >/dev/null 2>&1; then
  say "dockerd not installed; installing Debian's docker.io"
  # the docker.io package also ships a `docker` client; /usr/local/bin comes first on PATH.
  $SUDO "$(dirname "$0")/apt-install.sh" --step docker
fi
[ "${1:-}" = --install-only ] && exit 0

if ! command -v docker >/dev/null 2>&1; then
  say "no docker client on PATH" >&2
  exit 1
fi

if docker info >/dev/null 2>&1; then
  say "engine already answering (server $(docker version --format '{{.Server.Version}}' 2>/dev/null))"
  exit 0
fi

# A dockerd of ours may still be starting: wait for it instead of starting a second one.
if ! pgrep -x dockerd >/dev/null 2>&1; then
  # containerd: dockerd starts its own when none runs.
  say "starting $(dockerd --version) in the background (usually ready in 2-10 s; log: $LOG)"
  mkdir -p "$(dirname "$LOG")"
  # The daemon outlives this script, so it must not inherit the caller's other descriptors:
  # a held `flock` lock would stay held as long as dockerd runs, and a caller reading this
  # script's output until EOF would wait for dockerd to exit.
  # shellcheck disable=SC2086
  (
    for fd in /proc/self/fd/*; do
      fd=${fd##*/}
      if [ "$fd" -gt 2 ]; then eval "exec $fd>&-" 2>/dev/null || true; fi
    done
    exec nohup $SUDO dockerd ${DOCKERD_ARGS:-} >>"$LOG" 2>&1 </dev/null
  ) &
  disown || true
else
  say "dockerd is running but not answering yet; waiting"
fi

for ((i = 0; i < WAIT; i++)); do
  if [[ -S $SOCK ]] && docker info >/dev/null 2>&1; then
    say "engine up after ${i}s: server $(docker version --format '{{.Server.Version}}') (API $(docker version --format '{{.Server.APIVersion}}'))"
    exit 0
  fi
  sleep 1
done

say "engine did not answer within ${WAIT}s; last lines of $LOG:" >&2
tail -n 40 "$LOG" >&2 || true
exit 1
