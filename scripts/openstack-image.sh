#!/usr/bin/env bash
# The local OpenStack's server image (idempotent): Debian bookworm with the base image's packages
# plus systemd as PID 1, cloud-init reading a config drive, and ifupdown + dhclient so that the
# network cloud-init writes (DHCP from Neutron's dnsmasq, host routes as option 121) comes up.
#
#   scripts/openstack-image.sh [IMAGE]     (default cloudlab/openstack-server:bookworm)
#
# The local cloud's bootstrap uploads it to Glance (`docker save`) as the labs' image.
set -euo pipefail
SAY_AS=openstack-image IMAGE_ESTIMATE="~200 Debian packages, about 3 min" \
  exec "$(dirname "$0")/debian-image.sh" "${1:-cloudlab/openstack-server:bookworm}" \
  python3,iproute2,iptables,curl,procps,ca-certificates,systemd,systemd-sysv,cloud-init,ifupdown,isc-dhcp-client,netbase \
  --customize-hook='printf "datasource_list: [ConfigDrive, None]\nlocale: false\n" > "$1"/etc/cloud/cloud.cfg.d/90-cloudlab.cfg; printf "timeout 300;\n" >> "$1"/etc/dhcp/dhclient.conf' \
  --customize-hook='for u in console-getty getty@tty1 systemd-udevd systemd-udev-trigger systemd-udev-settle; do ln -sf /dev/null "$1/etc/systemd/system/$u.service"; done' \
  --customize-hook=': > "$1"/etc/machine-id'
