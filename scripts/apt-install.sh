#!/usr/bin/env bash
# Install Debian packages that are missing, and start nothing: the project's one apt step.
#
#   scripts/apt-install.sh --step NAME       the packages of step NAME in scripts/apt-steps
#   scripts/apt-install.sh --missing NAME    print the packages of step NAME not installed yet
#   scripts/apt-install.sh --list            the step names, one a line
#
# Why: a package's postinst starts its service through invoke-rc.d unless /usr/sbin/policy-rc.d
# forbids it. cloudlab runs its own MariaDB, RabbitMQ, ... bound to 127.0.0.1 with their data in
# its state directory, so the system's must never start: not during the install, and not
# afterwards either (calling an init script's `stop` to undo a start is no cure: rabbitmq's runs
# an Erlang client, which starts the system's epmd on 0.0.0.0:4369 and leaves it running).
# So every install runs under a policy-rc.d of ours that forbids every start; an existing policy
# is put aside for that time and restored. One install at a time (a lock), so that two callers
# never juggle the policy file at once. Packages already installed are not touched.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STEPS="$here/apt-steps"
POLICY=/usr/sbin/policy-rc.d
LOCK=${CLOUDLAB_APT_LOCK:-/var/lock/cloudlab-apt.lock}
say() { echo "apt-install: $*" >&2; }
die() { say "$*"; exit 1; }

steps() { grep -vE '^[[:space:]]*(#|$)' "$STEPS"; }

case "${1:-}" in
--list) steps | sed -E 's/[[:space:]:].*//'; exit 0 ;;
--step | --missing) name=${2:?usage: $0 $1 NAME} ;;
*) die "usage: $0 --step NAME | --list (steps: $(steps | sed -E 's/[[:space:]:].*//' | tr '\n' ' '))" ;;
esac

line=$(steps | awk -v n="$name" '{ split($0, a, /[ :]/); if (a[1] == n) print }')
[ -n "$line" ] || die "no step '$name' in $STEPS (steps: $(steps | sed -E 's/[[:space:]:].*//' | tr '\n' ' '))"
head=${line%%:*}
read -r -a options <<<"${head#"$name"}"
read -r -a packages <<<"${line#*:}"

missing=()
for pkg in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$pkg")
done
if [ "$1" = --missing ]; then
  [ ${#missing[@]} -eq 0 ] || echo "${missing[*]}"
  exit 0
fi
[ ${#missing[@]} -eq 0 ] && exit 0

[ "$(id -u)" -eq 0 ] || die "not root: install them first with \`sudo apt-get install ${missing[*]}\`"
command -v apt-get >/dev/null || die "no apt-get: install ${missing[*]} by hand"

mkdir -p "$(dirname "$LOCK")"
exec 9>"$LOCK"
flock 9

saved=""
if [ -e "$POLICY" ]; then
  saved=$(mktemp "$POLICY.cloudlab.XXXXXX")
  mv "$POLICY" "$saved"
fi
restore() {
  rm -f "$POLICY"
  if [ -n "$saved" ]; then mv "$saved" "$POLICY"; fi
}
trap restore EXIT
printf '#!/bin/sh\n# cloudlab (scripts/apt-install.sh): no service starts during apt\nexit 101\n' >"$POLICY"
chmod 755 "$POLICY"

export DEBIAN_FRONTEND=noninteractive
say "step $name: apt-get install ${missing[*]} (no service is started)"
install() { apt-get install -y -q -o DPkg::Lock::Timeout=600 "${options[@]}" "${missing[@]}"; }
if ! install; then
  say "retrying after apt-get update"
  apt-get update -q -o DPkg::Lock::Timeout=600
  install
fi
