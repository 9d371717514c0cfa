#!/usr/bin/env bash
# Make sure the local lab image of the Docker lab exists (idempotent).
#
#   scripts/lab-image.sh [IMAGE]        default IMAGE: cloudlab/lab:bookworm
#
# The Docker lab's ct2 is "ubuntu with nano and an SSH server". On a machine that reaches Docker
# Hub, images/ct2/Dockerfile builds it FROM ubuntu and installs nano and openssh-server with apt.
# This machine reaches no registry and `apt-get` does not work inside `docker build` here, so the
# packages come in with the root file system instead: mmdebstrap bootstraps Debian bookworm with
# openssh-server and nano, and the tarball is `docker import`ed. Set the stack's
# cloudlab:dockerlab.sshBaseImage to IMAGE (Pulumi.dockerlab.yaml does).
#
# Env: DEBIAN_MIRROR (default: the first Debian mirror apt uses here, else deb.debian.org).
set -euo pipefail

IMAGE="${1:-cloudlab/lab:bookworm}"
say() { echo "lab-image: $*"; }

if ! docker info >/dev/null 2>&1; then
  say "Docker engine not answering; run scripts/docker-engine.sh first" >&2
  exit 1
fi

if docker image inspect "$IMAGE" >/dev/null 2>&1; then
  say "$IMAGE already present ($(docker image inspect -f '{{.Id}}' "$IMAGE")); nothing to do"
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
if ! command -v mmdebstrap >/dev/null 2>&1; then
  say "installing mmdebstrap from Debian"
  apt-get update -q
  apt-get install -y -q --no-install-recommends mmdebstrap
fi

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

work=$(mktemp -d /tmp/cloudlab-lab.XXXXXX)
trap 'rm -rf "$work"' EXIT
tar="$work/rootfs.tar"

start=$(date +%s)
say "building $IMAGE: mmdebstrap bookworm (openssh-server, nano) from $mirror"
# No host keys in the image: the Dockerfile (or the container's first start) makes them, so two
# images built here never share keys. policy-rc.d: no service starts inside the chroot.
mmdebstrap --variant=apt \
  --include=openssh-server,nano,iproute2,iputils-ping,procps \
  --aptopt='Acquire::Retries "3"' \
  --customize-hook='rm -f "$1"/etc/ssh/ssh_host_*' \
  --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*' \
  bookworm "$tar" "$mirror"

say "docker import $tar -> $IMAGE"
docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'CMD ["/bin/bash"]' \
  --message "cloudlab lab image: debian bookworm + openssh-server + nano via mmdebstrap" \
  "$tar" "$IMAGE"

say "done in $(($(date +%s) - start))s: $(docker image inspect -f '{{.Id}} {{.Size}} bytes' "$IMAGE")"
