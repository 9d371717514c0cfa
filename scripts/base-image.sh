#!/usr/bin/env bash
# Make sure the base image for cloudlab's containers exists (idempotent).
#
#   scripts/base-image.sh [IMAGE]        default IMAGE: cloudlab/base:bookworm
#
# Debian bookworm + python3, iproute2, iptables, curl, procps, built offline by
# scripts/debian-image.sh. On a normal machine the base image is a public one chosen in the
# stack config (e.g. python:3.12-slim; services/Dockerfile adds iproute2 and iptables to it)
# and this script is not needed.
set -euo pipefail
SAY_AS=base-image exec "$(dirname "$0")/debian-image.sh" "${1:-cloudlab/base:bookworm}" \
  python3,iproute2,iptables,curl,procps,ca-certificates
