#!/usr/bin/env bash
# Give a stack a per-user copy of its config, create the stack when missing, print the copy's path.
#
#   scripts/stack-config.sh STACK      (needs `pulumi` on PATH and the environment of scripts/env.sh)
#
# Why: with the passphrase secrets provider, Pulumi keeps its salt in the stack config file and
# writes it there on the first command that loads the secrets manager (`stack init`, `preview`,
# `up`), re-serialising the YAML (comments and alignment lost). The make targets must not change
# the tracked Pulumi.<stack>.yaml because someone looked, so they pass a copy instead
# (`pulumi <command> --config-file`, Pulumi's own switch for "read and write the config here"):
#
#   $CLOUDLAB_STACK_CONFIG_DIR/Pulumi.<stack>.yaml = the encryptionsalt line of the previous copy
#       (if any) + the tracked Pulumi.<stack>.yaml without its own encryptionsalt line
#
# The copy is rewritten from the tracked file on every call, so edits to the tracked file take
# effect; the salt belongs to this machine's passphrase and stays in the copy, and the settings
# of $CLOUDLAB_STACK_CONFIG_DIR/Pulumi.<stack>.overrides (this machine's own, `path=value`
# lines) are applied to it again. A stack that exists
# but whose copy has no salt yet gets it from its state (PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER).
# A new stack is created with `pulumi stack init -C <copy dir>` (a Pulumi.yaml copy makes it the
# same project), which writes the new salt into the copy, not into the repository.
set -euo pipefail

STACK=${1:?usage: $0 STACK}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
: "${CLOUDLAB_STACK_CONFIG_DIR:?source scripts/env.sh first (or run through make)}"
DIR=$CLOUDLAB_STACK_CONFIG_DIR
COPY=$DIR/Pulumi.$STACK.yaml
TRACKED=$ROOT/Pulumi.$STACK.yaml

mkdir -p "$DIR"
# Only what `stack init` reads: the project's name (the file backend keys stacks by project).
cmp -s "$ROOT/Pulumi.yaml" "$DIR/Pulumi.yaml" || cp "$ROOT/Pulumi.yaml" "$DIR/Pulumi.yaml"

tmp=$(mktemp "$DIR/.Pulumi.$STACK.yaml.XXXXXX")
trap 'rm -f "$tmp"' EXIT
{
	grep -m1 '^encryptionsalt:' "$COPY" 2>/dev/null || true
	if [ -f "$TRACKED" ]; then
		grep -v '^encryptionsalt:' "$TRACKED" || true
	fi
} >"$tmp"
mv "$tmp" "$COPY"
trap - EXIT

if ! pulumi stack select "$STACK" --non-interactive -C "$DIR" >/dev/null 2>&1; then
	echo "stack-config: creating stack $STACK (config: $COPY)" >&2
	pulumi stack init "$STACK" --non-interactive -C "$DIR" >&2
fi
# This machine's own settings (`python -m edge migrate` writes the placement there), one
# `path=value` per line: applied to the copy on every sync, never to the tracked file.
OVERRIDES=$DIR/Pulumi.$STACK.overrides
if [ -s "$OVERRIDES" ]; then
	while IFS= read -r line || [ -n "$line" ]; do
		case $line in *=*) ;; *) continue ;; esac
		pulumi config set --path "${line%%=*}" "${line#*=}" --stack "$STACK" --non-interactive \
			-C "$DIR" >&2
	done <"$OVERRIDES"
fi
printf '%s\n' "$COPY"
