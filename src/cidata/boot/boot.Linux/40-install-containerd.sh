#!/bin/sh
# containerd (lima.yaml `containerd.system` / `containerd.user`, systemd guests): unpack the
# nerdctl-full archive into the install prefix when its nerdctl is newer than the installed one
# (stopping what the old one ran first), then enable the system services and/or set up rootless
# containerd and BuildKit for the user, as Lima does.
# No `set -x`: boot.sh hands the last lines of stderr to `limactl start` when this fails, and
# they must be the error, not a trace.
set -eu
: "${CONTAINERD_NAMESPACE:=default}"
# Overridable in .bashrc (20-rootless-base.sh sets fuse-overlayfs on old kernels).
: "${CONTAINERD_SNAPSHOTTER:=overlayfs}"

[ "$LIMA_CIDATA_CONTAINERD_SYSTEM" = 1 ] || [ "$LIMA_CIDATA_CONTAINERD_USER" = 1 ] || exit 0
command -v systemctl >/dev/null 2>&1 || exit 0

archive="$LIMA_CIDATA_MNT/$LIMA_CIDATA_CONTAINERD_ARCHIVE"
prefix="$LIMA_CIDATA_GUEST_INSTALL_PREFIX"
user_runtime_dir="/run/user/$LIMA_CIDATA_UID"

# as_user ARGS...: a login shell of the guest user with the user's systemd reachable.
as_user() {
	sudo -iu "$LIMA_CIDATA_USER" "XDG_RUNTIME_DIR=$user_runtime_dir" "PATH=$PATH" "TERM=${TERM:-dumb}" "$@"
}

# Only nerdctl is extracted first: unpacking the whole archive takes a while under emulation.
probe="$(mktemp -d)"
tar -C "$probe" -xaf "$archive" bin/nerdctl
if [ ! -f "$prefix/bin/nerdctl" ] || [ -n "$(find "$probe/bin/nerdctl" -newer "$prefix/bin/nerdctl")" ]; then
	if [ -f "$prefix/bin/nerdctl" ]; then
		(
			set +e
			echo "Upgrading existing nerdctl"
			echo "- Old: $("$prefix/bin/nerdctl" --version)"
			echo "- New: $("$probe/bin/nerdctl" --version)"
			systemctl disable --now containerd default-buildkit stargz-snapshotter
			as_user "CONTAINERD_NAMESPACE=$CONTAINERD_NAMESPACE" containerd-rootless-setuptool.sh uninstall-buildkit-containerd
			as_user containerd-rootless-setuptool.sh uninstall
		)
	fi
	tar -C "$prefix" -xaf "$archive"
	mkdir -p /etc/bash_completion.d
	nerdctl completion bash >/etc/bash_completion.d/nerdctl
fi
rm -rf "$probe"

if [ "$LIMA_CIDATA_CONTAINERD_SYSTEM" = 1 ]; then
	if [ ! -e /etc/containerd/config.toml ]; then
		mkdir -p /etc/containerd
		# imports: containerd < 2.2 does not read conf.d by itself.
		cat >/etc/containerd/config.toml <<'EOF'
  version = 2
  imports = ['/etc/containerd/conf.d/*.toml']
  [plugins."io.containerd.grpc.v1.cri"]
    enable_cdi = true
  [proxy_plugins]
    [proxy_plugins."stargz"]
      type = "snapshot"
      address = "/run/containerd-stargz-grpc/containerd-stargz-grpc.sock"
EOF
	fi
	if [ ! -e /etc/buildkit/buildkitd.toml ]; then
		mkdir -p /etc/buildkit
		cat >/etc/buildkit/buildkitd.toml <<EOF
[worker.oci]
  enabled = false

[worker.containerd]
  enabled = true
  namespace = "$CONTAINERD_NAMESPACE"
  snapshotter = "$CONTAINERD_SNAPSHOTTER"
EOF
	fi
	systemctl enable --now containerd buildkit stargz-snapshotter
fi

[ "$LIMA_CIDATA_CONTAINERD_USER" = 1 ] || exit 0

if [ ! -e "$LIMA_CIDATA_HOME/.config/containerd/config.toml" ]; then
	mkdir -p "$LIMA_CIDATA_HOME/.config/containerd"
	cat >"$LIMA_CIDATA_HOME/.config/containerd/config.toml" <<EOF
  version = 2
  [plugins."io.containerd.grpc.v1.cri"]
    enable_cdi = true
  [proxy_plugins]
    [proxy_plugins."fuse-overlayfs"]
      type = "snapshot"
      address = "$user_runtime_dir/containerd-fuse-overlayfs.sock"
    [proxy_plugins."stargz"]
      type = "snapshot"
      address = "$user_runtime_dir/containerd-stargz-grpc/containerd-stargz-grpc.sock"
EOF
	chown -R "$LIMA_CIDATA_USER" "$LIMA_CIDATA_HOME/.config"
fi

selinux=
if command -v selinuxenabled >/dev/null 2>&1 && selinuxenabled; then
	selinux=1
fi
# Ubuntu ≥ 23.10 may forbid unprivileged user namespaces to unconfined programs: let
# rootlesskit have them.
if [ ! -e /etc/apparmor.d/usr.local.bin.rootlesskit ] && [ -e /etc/apparmor.d/abi/4.0 ] && [ -e /proc/sys/kernel/apparmor_restrict_unprivileged_userns ]; then
	cat >/etc/apparmor.d/usr.local.bin.rootlesskit <<'EOF'
# Lets rootlesskit create user namespaces where kernel.apparmor_restrict_unprivileged_userns is set.
abi <abi/4.0>,
include <tunables/global>

/usr/local/bin/rootlesskit flags=(unconfined) {
  userns,

  include if exists <local/usr.local.bin.rootlesskit>
}
EOF
	systemctl restart apparmor.service
fi

[ ! -e "$LIMA_CIDATA_HOME/.config/systemd/user/containerd.service" ] || exit 0
# The user's systemd instance (lingering, 20-rootless-base.sh) must be running.
until [ -e "$user_runtime_dir/systemd/private" ]; do sleep 3; done
if [ -n "$selinux" ]; then
	echo "Temporarily disabling SELinux, during installing containerd units"
	setenforce 0
fi
if [ "$(sudo -iu "$LIMA_CIDATA_USER" sh -ec 'systemctl --user show --property=RefuseManualStart --value dbus')" != "yes" ]; then
	as_user systemctl --user enable --now dbus.socket
fi
as_user containerd-rootless-setuptool.sh install
as_user "CONTAINERD_NAMESPACE=$CONTAINERD_NAMESPACE" "CONTAINERD_SNAPSHOTTER=$CONTAINERD_SNAPSHOTTER" \
	containerd-rootless-setuptool.sh install-buildkit-containerd
# The user's own CONTAINERD_SNAPSHOTTER (from .bashrc), not this script's default.
# shellcheck disable=SC2016 # expanded by the user's shell
if [ "$(sudo -iu "$LIMA_CIDATA_USER" sh -ec 'echo $CONTAINERD_SNAPSHOTTER')" = "fuse-overlayfs" ]; then
	as_user containerd-rootless-setuptool.sh install-fuse-overlayfs
fi
if compare_version.sh "$(uname -r)" -ge 5.13; then
	as_user containerd-rootless-setuptool.sh install-stargz
else
	echo >&2 "WARNING: the guest kernel seems older than 5.13. Skipping installing rootless stargz."
fi
if [ -n "$selinux" ]; then
	echo "Restoring SELinux"
	setenforce 1
fi
