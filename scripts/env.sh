# shellcheck shell=bash
# The project's environment, in one place: `source scripts/env.sh` in a shell, and the Makefile
# reads the same values (`scripts/env.sh --make`).
#
# Why: the Pulumi CLI of this project runs against a local file backend with a passphrase file
# and its own PULUMI_HOME. Without these a bare `pulumi ...` asks for PULUMI_ACCESS_TOKEN (the
# Pulumi Cloud login), and without the toolchain on PATH there is no `pulumi` at all.
#
#   source scripts/env.sh      exports the variables below and puts the toolchain's bin dir and
#                              the venv first on PATH (once; sourcing it again changes nothing)
#   scripts/env.sh --make      prints NAME=value words for the Makefile (no PATH)
#
# Every value keeps what the environment already sets; the defaults:
#   CLOUDLAB_HOME                  ~/.cloudlab        everything per user, outside the repo
#   CLOUDLAB_STATE_DIR             $CLOUDLAB_HOME/state
#   CLOUDLAB_STACK_CONFIG_DIR      $CLOUDLAB_HOME/stacks   per-user copies of Pulumi.<stack>.yaml
#                                  that the make targets pass with --config-file (see
#                                  scripts/stack-config.sh): the tracked files are never written
#   PULUMI_BACKEND_URL             file://$CLOUDLAB_STATE_DIR?metadata=skip
#                                  (no .attrs sidecar: the blob library rewrites it in place, and
#                                  a stack reading its own outputs during an update, as the
#                                  openstack stack does, could read it empty: "failed to load
#                                  checkpoint: EOF"; without it every write is an atomic rename)
#   PULUMI_CONFIG_PASSPHRASE_FILE  $CLOUDLAB_STATE_DIR/passphrase (`make state` creates it)
#   PULUMI_HOME                    $CLOUDLAB_HOME/pulumi-home (plugins, workspace settings)
#   PULUMI_SKIP_UPDATE_CHECK=true, PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true (offline)
#   PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER=true: a stack config without its encryptionsalt
#                                  takes the salt recorded in the stack's state
#
# No `set -euo pipefail` here: the file is sourced into the user's shell, whose options it must
# leave alone.

_cloudlab_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

export CLOUDLAB_HOME=${CLOUDLAB_HOME:-$HOME/.cloudlab}
export CLOUDLAB_STATE_DIR=${CLOUDLAB_STATE_DIR:-$CLOUDLAB_HOME/state}
export CLOUDLAB_STACK_CONFIG_DIR=${CLOUDLAB_STACK_CONFIG_DIR:-$CLOUDLAB_HOME/stacks}
export PULUMI_BACKEND_URL=${PULUMI_BACKEND_URL:-file://$CLOUDLAB_STATE_DIR?metadata=skip}
export PULUMI_CONFIG_PASSPHRASE_FILE=${PULUMI_CONFIG_PASSPHRASE_FILE:-$CLOUDLAB_STATE_DIR/passphrase}
export PULUMI_HOME=${PULUMI_HOME:-$CLOUDLAB_HOME/pulumi-home}
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER=true

if [ "${1:-}" = --make ]; then
	for _v in CLOUDLAB_HOME CLOUDLAB_STATE_DIR CLOUDLAB_STACK_CONFIG_DIR PULUMI_BACKEND_URL \
		PULUMI_CONFIG_PASSPHRASE_FILE PULUMI_HOME PULUMI_SKIP_UPDATE_CHECK \
		PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER; do
		printf '%s=%s\n' "$_v" "${!_v}"
	done
	unset _v _cloudlab_root
	# shellcheck disable=SC2317 # reached when executed rather than sourced
	return 0 2>/dev/null || exit 0
fi

# PATH: the venv, then the toolchain (when they exist), each added once.
_cloudlab_path_add() {
	case ":$PATH:" in
	*":$1:"*) ;;
	*) PATH="$1:$PATH" ;;
	esac
}
if _cloudlab_bin=$("$_cloudlab_root/scripts/toolchain.sh" --bin-dir 2>/dev/null); then
	_cloudlab_path_add "$_cloudlab_bin"
else
	echo "cloudlab: no Pulumi toolchain yet: run \`make toolchain\`, then source scripts/env.sh again" >&2
fi
if [ -x "$_cloudlab_root/venv/bin/python" ]; then
	_cloudlab_path_add "$_cloudlab_root/venv/bin"
else
	echo "cloudlab: no venv yet: run \`make venv\`, then source scripts/env.sh again" >&2
fi
if [ ! -s "$PULUMI_CONFIG_PASSPHRASE_FILE" ]; then
	echo "cloudlab: no passphrase file yet: run \`make state\`" >&2
fi
export PATH
unset -f _cloudlab_path_add
unset _cloudlab_bin _cloudlab_root
