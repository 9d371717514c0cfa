#!/usr/bin/env bash
# Write a stack's kubeconfig where only its owner can read it, outside the clone; print its path.
#
#   scripts/kubeconfig.sh [STACK] [FILE]     (default STACK kubernetes,
#                                             FILE $CLOUDLAB_HOME/kube/<STACK>.kubeconfig)
#   export KUBECONFIG=$(scripts/kubeconfig.sh kubernetes)
#
# Why: the kubeconfig holds the cluster's admin key. `pulumi stack output kubeconfig
# --show-secrets > kubeconfig` writes it with the umask's mode (often 0644: readable by every
# user of the machine) and into the clone, one `git add .` away from a commit. This script writes
# it with mode 0600 in a 0700 directory (umask 077 before the file exists, then an atomic
# rename), and refuses a FILE inside the clone. `.gitignore` covers kubeconfig files too.
set -euo pipefail

STACK=${1:-kubernetes}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FILE=${2:-${CLOUDLAB_HOME:-$HOME/.cloudlab}/kube/$STACK.kubeconfig}

umask 077
DIR=$(dirname "$FILE")
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd -P)
case "$DIR/" in
"$(cd "$ROOT" && pwd -P)/"*)
	echo "kubeconfig: refusing to write $FILE inside the clone ($ROOT); pick a path outside it" >&2
	exit 2
	;;
esac
FILE=$DIR/$(basename "$FILE")
tmp=$(mktemp "$DIR/.kubeconfig.XXXXXX")
trap 'rm -f "$tmp"' EXIT
pulumi stack output kubeconfig --show-secrets --stack "$STACK" >"$tmp"
if [ ! -s "$tmp" ]; then
	echo "kubeconfig: stack $STACK has no kubeconfig output (is it up?)" >&2
	exit 1
fi
chmod 600 "$tmp"
mv "$tmp" "$FILE"
trap - EXIT
printf '%s\n' "$FILE"
