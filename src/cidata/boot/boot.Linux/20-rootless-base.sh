#!/bin/sh
# Groundwork for rootless containers and the user's systemd instance (systemd guests only):
# home ownership, PATH additions in the shell rc files, cgroup delegation, sysctls,
# subordinate ID ranges, and lingering so that user services run without a login.
set -eu

command -v systemctl >/dev/null 2>&1 || exit 0

home="$LIMA_CIDATA_HOME"
user="$LIMA_CIDATA_USER"

# Mount points below the home are created by root before the user exists, leaving the home
# owned by root. Fix that, without descending into other filesystems (the mounts themselves).
if [ -O "$home" ]; then
	find "$home" -xdev -exec chown "$user" {} + || true
fi

rc_block() {
	echo "# Lima BEGIN"
	echo "# iptables and mount.fuse3 live in the sbin directories"
	# shellcheck disable=SC2016 # expanded by the user's shell
	echo 'PATH="$PATH:/usr/sbin:/sbin"'
	echo "export PATH"
	if compare_version.sh "$(uname -r)" -lt 5.13; then
		echo "# overlayfs in user namespaces needs kernel 5.13; fuse-overlayfs is the stable choice before"
		echo 'CONTAINERD_SNAPSHOTTER="fuse-overlayfs"'
		echo "export CONTAINERD_SNAPSHOTTER"
	fi
	echo "# Lima END"
}
for rc in .profile .bashrc .zshrc; do
	if ! grep -q "# Lima BEGIN" "$home/$rc" 2>/dev/null; then
		rc_block >>"$home/$rc"
		chown "$user" "$home/$rc"
	fi
done

# cgroup v2 delegation for user services (rootless containerd limits).
delegate=/etc/systemd/system/user@.service.d/lima.conf
if [ ! -e "$delegate" ]; then
	mkdir -p "$(dirname "$delegate")"
	printf '[Service]\nDelegate=yes\n' >"$delegate"
fi
systemctl daemon-reload

sysctl_conf=/etc/sysctl.d/99-lima.conf
if [ ! -e "$sysctl_conf" ]; then
	{
		[ ! -e /proc/sys/kernel/unprivileged_userns_clone ] || echo "kernel.unprivileged_userns_clone=1"
		echo "net.ipv4.ping_group_range = 0 2147483647"
		echo "net.ipv4.ip_unprivileged_port_start=0"
	} >"$sysctl_conf"
	sysctl --system >/dev/null
fi

# Subordinate IDs: 1Gi IDs from 524288 (inside the range systemd-homed accepts), or right after
# the user's own UID when that is higher.
sub_start=524288
[ "$LIMA_CIDATA_UID" -lt "$sub_start" ] || sub_start=$((LIMA_CIDATA_UID + 1))
for f in /etc/subuid /etc/subgid; do
	grep -q "^$user:" "$f" 2>/dev/null || echo "$user:$sub_start:1073741824" >>"$f"
done

systemctl start systemd-logind.service
loginctl enable-linger "$user"
