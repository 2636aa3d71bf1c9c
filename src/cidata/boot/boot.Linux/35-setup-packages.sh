#!/bin/sh
# After the packages are installed: let sshfs (run by the user) mount with allow_other, then
# tell the host agent that reverse-sshfs mounts can start (/run/lima-fuse-ready = IID); and
# retry the host DNS rules in case iptables has just been installed.
set -eu

allow_other() {
	conf=/etc/fuse.conf
	[ ! -e /etc/fuse3.conf ] || conf=/etc/fuse3.conf
	grep -q '^user_allow_other' "$conf" 2>/dev/null || echo user_allow_other >>"$conf"

	# Since Ubuntu 25.04 AppArmor confines fusermount3, which breaks mounts on the home directory.
	if [ -e /etc/apparmor.d/fusermount3 ] && [ ! -e /etc/apparmor.d/local/fusermount3 ]; then
		mkdir -p /etc/apparmor.d/local
		cat >/etc/apparmor.d/local/fusermount3 <<'RULES'
# Lima: allow mounting on and unmounting from the home directory.
mount fstype=@{fuse_types} options=(nosuid,nodev) options in (ro,rw,noatime,dirsync,nodiratime,noexec,sync) -> @{HOME},
umount @{HOME},
RULES
		apparmor_parser -r /etc/apparmor.d/fusermount3
	fi
}

if [ "$LIMA_CIDATA_MOUNTTYPE" = reverse-sshfs ]; then
	[ "$LIMA_CIDATA_MOUNTS" -eq 0 ] || allow_other
	echo "$LIMA_CIDATA_IID" >/run/lima-fuse-ready
fi

if [ "${LIMA_CIDATA_UDP_DNS_LOCAL_PORT:-0}" -ne 0 ] || [ "${LIMA_CIDATA_TCP_DNS_LOCAL_PORT:-0}" -ne 0 ]; then
	"$LIMA_CIDATA_MNT/boot.Linux/09-host-dns-setup.sh"
fi
