#!/usr/bin/env bash
# Starts libvirtd (and virtlogd, which QEMU domains log through) when no systemd does it, e.g. in
# CI containers; does nothing when qemu:///system already answers. Needs root (sudo otherwise).
set -euo pipefail
if ! command -v libvirtd >/dev/null; then
  echo "libvirtd is not installed (scripts/install-deps.sh installs it)" >&2
  exit 1
fi
if virsh -c qemu:///system version >/dev/null 2>&1; then exit 0; fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO mkdir -p /var/log/libvirt /run/libvirt
pgrep -x virtlogd >/dev/null || $SUDO virtlogd -d
pgrep -x libvirtd >/dev/null || $SUDO libvirtd -d
for _ in $(seq 50); do
  if $SUDO virsh -c qemu:///system version >/dev/null 2>&1; then exit 0; fi
  sleep 0.2
done
echo "libvirtd did not answer on qemu:///system within 10 s" >&2
exit 1
