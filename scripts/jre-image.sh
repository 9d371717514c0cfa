#!/usr/bin/env bash
# The image of the PaaS lab's Cloud Foundry stand-in (idempotent): Debian bookworm with a Java
# runtime for the servlet container (Jetty's runner + the WAR are added by the stack's own
# Dockerfile, apps/hello-servlet/Dockerfile) and python3 for the router (components/paas/router.py).
#
#   scripts/jre-image.sh [IMAGE]   (default cloudlab/jre:bookworm)
set -euo pipefail
IMAGE_ESTIMATE="120 Debian packages, about 3 min" SAY_AS=jre-image \
  exec "$(dirname "$0")/debian-image.sh" "${1:-cloudlab/jre:bookworm}" \
  openjdk-17-jre-headless,python3,procps
