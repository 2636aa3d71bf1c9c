#!/usr/bin/env bash
# Installs the host programs lima-ts drives (Debian/Ubuntu), only those that are missing.
set -euo pipefail
# libvirt-*: the libvirt driver (lima-driver-libvirt) and its end-to-end test; the daemon is started by scripts/start-libvirtd.sh.
# openssh-sftp-server: the host side of reverse-sshfs mounts. python3-grpcio + python3-grpc-tools: the independent gRPC client of the wire tests; dnsutils: dig for the DNS tests.
packages=(qemu-system-x86 qemu-utils openssh-client openssh-sftp-server rsync xorriso genisoimage mmdebstrap e2fsprogs xz-utils zstd bzip2 ovmf python3-grpcio python3-grpc-tools dnsutils libvirt-daemon-system libvirt-daemon-driver-qemu libvirt-clients)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "Installing: ${missing[*]}" >&2
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
