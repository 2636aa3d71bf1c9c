#!/bin/sh
# Dependencies: first the user's provision.dependency scripts, then (unless they asked to skip
# it) the packages Lima needs that are missing: sshfs for reverse-sshfs mounts, iptables for the
# host resolver and containerd, uidmap/fuse3 for rootless containerd, rsync for `limactl copy`.
# Nothing is installed, and no network is touched, when everything is present already. Each
# package manager command is time-bounded so that an offline guest does not stall the boot.
set -eu

PKG_TIMEOUT=300

if [ -d "$LIMA_CIDATA_MNT/provision.dependency" ]; then
	echo "Running the dependency provisioning scripts before installing default dependencies"
	failed=0
	for f in "$LIMA_CIDATA_MNT"/provision.dependency/*; do
		[ -e "$f" ] || continue
		"$f" || failed=1
	done
	[ "$failed" = 0 ] || exit 1
fi

if [ "${LIMA_CIDATA_SKIP_DEFAULT_DEPENDENCY_RESOLUTION:-}" = 1 ]; then
	echo "LIMA_CIDATA_SKIP_DEFAULT_DEPENDENCY_RESOLUTION is set: not installing default dependencies"
	exit 0
fi

has() { command -v "$1" >/dev/null 2>&1; }
bounded() {
	if has timeout; then timeout "$PKG_TIMEOUT" "$@"; else "$@"; fi
}

need_sshfs=0
if [ "$LIMA_CIDATA_MOUNTTYPE" = reverse-sshfs ] && [ "$LIMA_CIDATA_MOUNTS" -gt 0 ] && ! has sshfs; then
	need_sshfs=1
fi
need_iptables=0
if [ "$LIMA_CIDATA_CONTAINERD_SYSTEM" = 1 ] || [ "$LIMA_CIDATA_CONTAINERD_USER" = 1 ] ||
	[ "${LIMA_CIDATA_UDP_DNS_LOCAL_PORT:-0}" -ne 0 ] || [ "${LIMA_CIDATA_TCP_DNS_LOCAL_PORT:-0}" -ne 0 ]; then
	[ -e /usr/sbin/iptables ] || [ -e /sbin/iptables ] || has iptables || need_iptables=1
fi
need_rootless=0
if [ "$LIMA_CIDATA_CONTAINERD_USER" = 1 ] && { ! has newuidmap || ! has mount.fuse3; }; then
	need_rootless=1
fi
need_rsync=0
has rsync || need_rsync=1

# pick NAME_IF_NEEDED...: "flag:package" words whose flag is 1, as a package list.
pick() {
	for word in "$@"; do
		[ "${word%%:*}" = 1 ] && printf ' %s' "${word#*:}"
	done
	return 0
}

install_apt() {
	# shellcheck disable=SC2046
	set -- $(pick "$need_sshfs:sshfs" "$need_iptables:iptables" "$need_rootless:uidmap" "$need_rootless:fuse3" \
		"$need_rootless:dbus-user-session" "$need_rsync:rsync")
	[ "$#" -gt 0 ] || return 0
	export DEBIAN_FRONTEND=noninteractive
	apt_opts="-o Acquire::Retries=1 -o Acquire::http::Timeout=20 -o Acquire::https::Timeout=20"
	# shellcheck disable=SC2086
	bounded apt-get $apt_opts update
	# shellcheck disable=SC2086
	bounded apt-get $apt_opts install -y -q --no-upgrade --no-install-recommends "$@"
}

install_dnf() {
	need_tar=0
	has tar || need_tar=1
	# shellcheck disable=SC2046
	set -- $(pick "$need_tar:tar" "$need_iptables:iptables" "$need_rootless:shadow-utils" "$need_rootless:fuse3" \
		"$need_rsync:rsync")
	flags="-y --setopt=install_weak_deps=False"
	# shellcheck disable=SC2086
	[ "$#" -eq 0 ] || bounded dnf install $flags "$@"
	if [ "$need_sshfs" = 1 ]; then
		# Enterprise Linux ships fuse-sshfs in EPEL only.
		epel=""
		if ! grep -qi fedora /etc/os-release 2>/dev/null; then
			# shellcheck disable=SC2086
			bounded dnf install $flags epel-release || true
			epel="--enablerepo=epel"
		fi
		# shellcheck disable=SC2086
		bounded dnf install $flags $epel fuse-sshfs
	fi
	if [ "$LIMA_CIDATA_CONTAINERD_USER" = 1 ] && [ ! -e /usr/bin/fusermount ] && [ -e /usr/bin/fusermount3 ]; then
		# stargz-snapshotter calls `fusermount`.
		ln -s fusermount3 /usr/bin/fusermount
	fi
}

install_zypper() {
	# shellcheck disable=SC2046
	set -- $(pick "$need_sshfs:sshfs" "$need_iptables:iptables" "$need_rootless:fuse3" "$need_rsync:rsync")
	[ "$#" -eq 0 ] || bounded zypper --non-interactive install -y --no-recommends "$@"
}

install_pacman() {
	# shellcheck disable=SC2046
	set -- $(pick "$need_sshfs:sshfs" "$need_rsync:rsync")
	[ "$#" -eq 0 ] || bounded pacman -Sy --noconfirm "$@"
}

install_apk() {
	# shellcheck disable=SC2046
	set -- $(pick "$need_sshfs:sshfs" "$need_iptables:iptables" "$need_rsync:rsync")
	[ "$#" -gt 0 ] || return 0
	bounded apk update
	bounded apk add "$@"
}

if [ "$need_sshfs$need_iptables$need_rootless$need_rsync" = 0000 ]; then
	echo "All default dependencies are installed"
	exit 0
fi

# openSUSE has an apt-get compatibility wrapper, hence the dpkg check.
if has apt-get && has dpkg; then
	install_apt
elif has dnf; then
	install_dnf
elif has zypper; then
	install_zypper
elif has pacman; then
	install_pacman
elif has apk; then
	install_apk
else
	echo "No supported package manager: cannot install missing dependencies" >&2
	exit 1
fi
