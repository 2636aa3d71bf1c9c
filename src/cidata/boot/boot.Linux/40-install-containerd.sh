#!/bin/sh
# containerd (lima.yaml `containerd.system` / `containerd.user`, systemd guests): unpack the
# nerdctl-full archive into the install prefix when it is newer than what is installed, then
# enable the system services and/or set up rootless containerd and BuildKit for the user.
set -eu

[ "$LIMA_CIDATA_CONTAINERD_SYSTEM" = 1 ] || [ "$LIMA_CIDATA_CONTAINERD_USER" = 1 ] || exit 0
command -v systemctl >/dev/null 2>&1 || exit 0

archive="$LIMA_CIDATA_MNT/${LIMA_CIDATA_CONTAINERD_ARCHIVE:-nerdctl-full.tgz}"
if [ ! -f "$archive" ]; then
	echo "containerd is enabled but $archive is missing" >&2
	exit 1
fi

prefix="$LIMA_CIDATA_GUEST_INSTALL_PREFIX"
namespace="${CONTAINERD_NAMESPACE:-default}"
snapshotter="${CONTAINERD_SNAPSHOTTER:-overlayfs}"

probe="$(mktemp -d)"
tar -C "$probe" -xaf "$archive" bin/nerdctl
if [ ! -f "$prefix/bin/nerdctl" ] || [ -n "$(find "$probe/bin/nerdctl" -newer "$prefix/bin/nerdctl")" ]; then
	tar -C "$prefix" -xaf "$archive"
	mkdir -p /etc/bash_completion.d
	"$prefix/bin/nerdctl" completion bash >/etc/bash_completion.d/nerdctl || true
fi
rm -rf "$probe"

if [ "$LIMA_CIDATA_CONTAINERD_SYSTEM" = 1 ]; then
	if [ ! -e /etc/containerd/config.toml ]; then
		mkdir -p /etc/containerd
		cat >/etc/containerd/config.toml <<'TOML'
version = 2
imports = ['/etc/containerd/conf.d/*.toml']
[plugins."io.containerd.grpc.v1.cri"]
  enable_cdi = true
[proxy_plugins]
  [proxy_plugins."stargz"]
    type = "snapshot"
    address = "/run/containerd-stargz-grpc/containerd-stargz-grpc.sock"
TOML
	fi
	if [ ! -e /etc/buildkit/buildkitd.toml ]; then
		mkdir -p /etc/buildkit
		printf '[worker.oci]\n  enabled = false\n\n[worker.containerd]\n  enabled = true\n  namespace = "%s"\n  snapshotter = "%s"\n' \
			"$namespace" "$snapshotter" >/etc/buildkit/buildkitd.toml
	fi
	systemctl enable --now containerd buildkit stargz-snapshotter
fi

if [ "$LIMA_CIDATA_CONTAINERD_USER" = 1 ] && [ ! -e "$LIMA_CIDATA_HOME/.config/systemd/user/containerd.service" ]; then
	# The user's systemd instance (lingering, 20-rootless-base.sh) must be running.
	until [ -e "/run/user/$LIMA_CIDATA_UID/systemd/private" ]; do sleep 3; done
	as_user() {
		sudo -iu "$LIMA_CIDATA_USER" "XDG_RUNTIME_DIR=/run/user/$LIMA_CIDATA_UID" "PATH=$prefix/bin:$PATH" "$@"
	}
	as_user containerd-rootless-setuptool.sh install
	as_user "CONTAINERD_NAMESPACE=$namespace" "CONTAINERD_SNAPSHOTTER=$snapshotter" \
		containerd-rootless-setuptool.sh install-buildkit-containerd
	if compare_version.sh "$(uname -r)" -ge 5.13; then
		as_user containerd-rootless-setuptool.sh install-stargz
	fi
fi
