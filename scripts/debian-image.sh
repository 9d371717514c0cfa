#!/usr/bin/env bash
# Make sure a local Debian bookworm image exists (idempotent); shared by base-image.sh and
# lab-image.sh.
#
#   scripts/debian-image.sh IMAGE PACKAGES [MMDEBSTRAP_ARG...]
#
# This machine reaches no container registry, so images are bootstrapped from Debian's packages
# with mmdebstrap and `docker import`ed. PACKAGES is a comma-separated --include list; extra
# arguments go to mmdebstrap (e.g. --customize-hook=...).
#
# Env: DEBIAN_MIRROR (default: the first Debian mirror apt uses here, else deb.debian.org).
set -euo pipefail

IMAGE="${1:?usage: $0 IMAGE PACKAGES [MMDEBSTRAP_ARG...]}"
PACKAGES="${2:?usage: $0 IMAGE PACKAGES [MMDEBSTRAP_ARG...]}"
shift 2
say() { echo "${SAY_AS:-debian-image}: $*" >&2; }

if ! docker info >/dev/null 2>&1; then
  say "Docker engine not answering; run scripts/docker-engine.sh first" >&2
  exit 1
fi

if docker image inspect "$IMAGE" >/dev/null 2>&1; then
  say "$IMAGE present ($(docker image inspect -f '{{.Id}}' "$IMAGE" | cut -c1-19))"
  exit 0
fi

if ! command -v mmdebstrap >/dev/null 2>&1; then
  say "installing mmdebstrap from Debian"
  "$(dirname "$0")/apt-install.sh" --step image
fi

# The mirror apt already uses on this machine (deb822 sources first, then one-line sources).
mirror="${DEBIAN_MIRROR:-}"
if [[ -z $mirror ]]; then
  mirror=$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null \
    | awk '{print $2}' | grep -E '/debian/?$' | head -n1 || true)
fi
if [[ -z $mirror ]]; then
  mirror=$(grep -hE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
    | awk '{print $2}' | grep -E '/debian/?$' | head -n1 || true)
fi
mirror="${mirror:-http://deb.debian.org/debian}"

work=$(mktemp -d /tmp/cloudlab-image.XXXXXX)
trap 'rm -rf "$work"' EXIT
tar="$work/rootfs.tar"

start=$(date +%s)
say "building $IMAGE: mmdebstrap bookworm ($PACKAGES) from $mirror"
say "(first time only: downloads and unpacks ~${IMAGE_ESTIMATE:-100 Debian packages, about 2 min}; mmdebstrap's progress follows)"
mmdebstrap --variant=apt --include="$PACKAGES" \
  --aptopt='Acquire::Retries "3"' \
  "$@" \
  --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*' \
  bookworm "$tar" "$mirror"

say "docker import $tar -> $IMAGE"
docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'CMD ["/bin/bash"]' \
  --message "cloudlab: debian bookworm ($PACKAGES) via mmdebstrap" \
  "$tar" "$IMAGE"

say "done in $(($(date +%s) - start))s: $(docker image inspect -f '{{.Id}} {{.Size}} bytes' "$IMAGE")"
