#!/usr/bin/env bash
# Make sure the local lab image of the Docker lab exists (idempotent).
#
#   scripts/lab-image.sh [IMAGE]        default IMAGE: cloudlab/lab:bookworm
#
# The Docker lab's ct2 is "ubuntu with nano and an SSH server". On a machine that reaches Docker
# Hub, components/dockerlab/images/ct2/Dockerfile builds it FROM ubuntu and installs nano and
# openssh-server with apt.
# This machine reaches no registry and `apt-get` does not work inside `docker build` here, so the
# packages come in with the root file system instead (scripts/debian-image.sh). Set the stack's
# cloudlab:dockerlab.sshBaseImage to IMAGE (Pulumi.dockerlab.yaml does).
#
# No host keys in the image: the Dockerfile (or the container's first start) makes them, so two
# images built here never share keys.
set -euo pipefail
SAY_AS=lab-image exec "$(dirname "$0")/debian-image.sh" "${1:-cloudlab/lab:bookworm}" \
  openssh-server,nano,iproute2,iputils-ping,procps \
  --customize-hook='rm -f "$1"/etc/ssh/ssh_host_*'
