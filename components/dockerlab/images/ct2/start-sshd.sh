#!/bin/sh
# Start sshd in the foreground: host keys made at the first start (none are baked into the
# image), the authorized keys from CLOUDLAB_AUTHORIZED_KEYS (one per line), then exec sshd.
set -eu
ssh-keygen -A >/dev/null
mkdir -p /run/sshd /root/.ssh
if [ -n "${CLOUDLAB_AUTHORIZED_KEYS:-}" ]; then
  printf '%s\n' "$CLOUDLAB_AUTHORIZED_KEYS" > /root/.ssh/authorized_keys
  chmod 600 /root/.ssh/authorized_keys
fi
exec /usr/sbin/sshd -D -e -p "${CLOUDLAB_SSH_PORT:-22}"
